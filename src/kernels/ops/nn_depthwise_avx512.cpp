// Depthwise convolution, AVX-512 variant (compiled with -mavx512f -mavx512bw -mavx512vl
// -mfma). Up to 64 output columns of a row accumulate in registers over every tap (rows of
// one vector: four rows at a time, for four independent FMA chains). Stride 1 loads
// directly, stride 2 deinterleaves two loads, other strides gather; vectors that touch the
// left/right padding use masked loads (masked-off lanes are never read). 3x3 layers have
// their own loops: stride 1 with the input rows shared by neighbouring output rows, stride
// 2 with each input row deinterleaved once for its three taps.
#include <immintrin.h>

#include "kernels/ops/nn_depthwise.h"

// GCC 12's _mm512_max_ps uses _mm512_undefined_ps(), which trips a false
// -Wmaybe-uninitialized once inlined.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace braid::detail {
namespace {

// Lanes j of [0, 16) with 0 <= b + j < n.
inline __mmask16 range_mask(int64_t b, int64_t n) {
  const int64_t lo = b < 0 ? -b : 0;
  const int64_t hi = n - b < 16 ? n - b : 16;
  if (hi <= lo) return 0;
  return static_cast<__mmask16>(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

// Load masks of the vectors of one column block: they depend on the column and the tap's
// kx only, so they are computed once per block and reused for every row and ky.
constexpr int kMaxMaskedTaps = 16;  // wider kernels take the gather path for their borders
struct BlockMasks {
  __mmask16 lo[kMaxMaskedTaps][4];  // first (or only) load of vector v at tap kx
  __mmask16 hi[kMaxMaskedTaps][4];  // second load (stride 2)
};

// 16 inputs at row positions b, b + S, ..., b + 15 S (S == 0: a.sw, gathered).
template <int S, bool kMasked>
inline __m512 load_inputs(const float* row, int64_t b, int64_t iw, int64_t sw, __mmask16 m_lo, __mmask16 m_hi) {
  if constexpr (S == 1) {
    (void)m_hi;
    if constexpr (kMasked) return _mm512_maskz_loadu_ps(m_lo, row + b);
    else return _mm512_loadu_ps(row + b);
  } else if constexpr (S == 2) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    if constexpr (kMasked) {
      return _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(m_lo, row + b), even, _mm512_maskz_loadu_ps(m_hi, row + b + 16));
    } else {
      return _mm512_permutex2var_ps(_mm512_loadu_ps(row + b), even, _mm512_loadu_ps(row + b + 16));
    }
  } else {
    (void)m_lo;
    (void)m_hi;
    const __m512i idx = _mm512_add_epi32(
        _mm512_set1_epi32(static_cast<int>(b)),
        _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                           _mm512_set1_epi32(static_cast<int>(sw))));
    __mmask16 m = 0xFFFF;
    if constexpr (kMasked) {
      m = _mm512_cmpge_epi32_mask(idx, _mm512_setzero_si512()) &
          _mm512_cmplt_epi32_mask(idx, _mm512_set1_epi32(static_cast<int>(iw)));
    }
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, row, 4);
  }
}

// Outputs [ox0, ox0 + 16 * NV) of rows oy .. oy + R - 1 (those below a.oh are neither
// read nor stored); `last` lanes of the last vector are stored. Several rows at once give
// narrow outputs (one vector per row: 8-16 columns) R independent FMA chains instead of one.
template <int S, int NV, bool kMasked, int R = 1>
inline void row_block(const DepthwiseArgs& a, const float* x, const float* w, float bias, float* y,
                      int64_t oy, int64_t ox0, int64_t last, const BlockMasks& masks) {
  const int64_t stride = S == 0 ? a.sw : S;
  __m512 acc[R][NV];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_set1_ps(bias);
  for (int64_t ky = 0; ky < a.kh; ++ky) {
    const float* wk = w + ky * a.kw;
    for (int64_t kx = 0; kx < a.kw; ++kx) {
      const __m512 wb = _mm512_set1_ps(wk[kx]);
      const int64_t b = ox0 * stride - a.pw + kx * a.dw;
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const int64_t iy = (oy + r) * a.sh - a.ph + ky * a.dh;
        if (oy + r >= a.oh || iy < 0 || iy >= a.ih) continue;  // a padding row contributes nothing
        const float* row = x + iy * a.iw;
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v)
          acc[r][v] = _mm512_fmadd_ps(
              wb, load_inputs<S, kMasked>(row, b + 16 * v * stride, a.iw, a.sw, masks.lo[kx][v], masks.hi[kx][v]),
              acc[r][v]);
      }
    }
  }
  const __m512 zero = _mm512_setzero_ps();
  const __mmask16 last_mask = last >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << last) - 1u);
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    if (oy + r >= a.oh) break;
    float* yrow = y + (oy + r) * a.ow;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const __m512 o = a.relu ? _mm512_max_ps(zero, acc[r][v]) : acc[r][v];
      _mm512_mask_storeu_ps(yrow + ox0 + 16 * v, v == NV - 1 ? last_mask : static_cast<__mmask16>(0xFFFF), o);
    }
  }
}

// One block of 16 * NV output columns starting at ox0, for every output row.
template <int S, int NV>
void column_block(const DepthwiseArgs& a, const float* x, const float* w, float bias, float* y, int64_t ox0,
                  int64_t last) {
  const int64_t stride = S == 0 ? a.sw : S;
  const int64_t first = ox0 * stride - a.pw;
  // One past the last input column read (stride 2 reads 32 columns per vector).
  const int64_t end = (ox0 + 16 * NV) * stride - a.pw + (a.kw - 1) * a.dw;
  BlockMasks masks;
  const bool interior = first >= 0 && end <= a.iw;
  if (!interior && S != 0) {
    for (int64_t kx = 0; kx < a.kw; ++kx)
      for (int v = 0; v < NV; ++v) {
        const int64_t b = ox0 * stride - a.pw + kx * a.dw + 16 * v * stride;
        masks.lo[kx][v] = range_mask(b, a.iw);
        masks.hi[kx][v] = range_mask(b + 16, a.iw);
      }
  }
  // One vector per row: four rows at a time (four FMA chains).
  constexpr int R = NV == 1 ? 4 : 1;
  for (int64_t oy = 0; oy < a.oh; oy += R) {
    if (interior) row_block<S, NV, false, R>(a, x, w, bias, y, oy, ox0, last, masks);
    else row_block<S, NV, true, R>(a, x, w, bias, y, oy, ox0, last, masks);
  }
}

// 3x3, stride 1, no dilation (the common depthwise layer): R output rows at a time, so
// each loaded input row feeds up to three of them; the nine weights stay in registers. R
// is 4 for one vector per row (8-16 columns: four FMA chains instead of one), else 2.
template <int NV, bool kMasked, int R = (NV == 1 ? 4 : 2)>
void rows_3x3(const DepthwiseArgs& a, const float* x, const __m512* wv, float bias, float* y, int64_t ox0,
              int64_t last, const BlockMasks& masks) {
  const __m512 zero = _mm512_setzero_ps();
  const __mmask16 last_mask = last >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << last) - 1u);
  for (int64_t oy = 0; oy < a.oh; oy += R) {
    __m512 acc[R][NV];
#pragma GCC unroll 4
    for (int j = 0; j < R; ++j)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[j][v] = _mm512_set1_ps(bias);
    // Input rows oy - ph .. oy - ph + R + 1: row r is tap ky = r - j of output oy + j.
#pragma GCC unroll 6
    for (int r = 0; r < R + 2; ++r) {
      const int64_t iy = oy - a.ph + r;
      if (iy < 0 || iy >= a.ih) continue;
      const float* row = x + iy * a.iw + ox0 - a.pw;
#pragma GCC unroll 3
      for (int kx = 0; kx < 3; ++kx) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          const __m512 in = kMasked ? _mm512_maskz_loadu_ps(masks.lo[kx][v], row + kx + 16 * v)
                                    : _mm512_loadu_ps(row + kx + 16 * v);
#pragma GCC unroll 4
          for (int j = 0; j < R; ++j)
            if (r - j >= 0 && r - j < 3) acc[j][v] = _mm512_fmadd_ps(wv[(r - j) * 3 + kx], in, acc[j][v]);
        }
      }
    }
#pragma GCC unroll 4
    for (int j = 0; j < R; ++j) {
      if (oy + j >= a.oh) break;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        const __mmask16 m = v == NV - 1 ? last_mask : static_cast<__mmask16>(0xFFFF);
        _mm512_mask_storeu_ps(y + (oy + j) * a.ow + ox0 + 16 * v, m, a.relu ? _mm512_max_ps(zero, acc[j][v]) : acc[j][v]);
      }
    }
  }
}

template <int NV>
void column_3x3(const DepthwiseArgs& a, const float* x, const __m512* wv, float bias, float* y, int64_t ox0,
                int64_t last) {
  const bool interior = ox0 - a.pw >= 0 && ox0 + 16 * NV - a.pw + 2 <= a.iw;
  BlockMasks masks;
  if (interior) return rows_3x3<NV, false>(a, x, wv, bias, y, ox0, last, masks);
  for (int kx = 0; kx < 3; ++kx)
    for (int v = 0; v < NV; ++v) masks.lo[kx][v] = range_mask(ox0 - a.pw + kx + 16 * v, a.iw);
  rows_3x3<NV, true>(a, x, wv, bias, y, ox0, last, masks);
}

void channel_3x3(const DepthwiseArgs& a, int64_t c) {
  const float* x = a.x + c * a.ih * a.iw;
  const float* w = a.w + c * 9;
  __m512 wv[9];
  for (int i = 0; i < 9; ++i) wv[i] = _mm512_set1_ps(w[i]);
  const float bias = a.bias ? a.bias[c] : 0.0f;
  float* y = a.y + c * a.oh * a.ow;
  int64_t ox = 0;
  for (; a.ow - ox >= 64; ox += 64) column_3x3<4>(a, x, wv, bias, y, ox, 16);
  const int64_t rem = a.ow - ox;
  if (rem == 0) return;
  const int64_t nv = (rem + 15) / 16;
  const int64_t last = rem - 16 * (nv - 1);
  switch (nv) {
    case 1: column_3x3<1>(a, x, wv, bias, y, ox, last); break;
    case 2: column_3x3<2>(a, x, wv, bias, y, ox, last); break;
    case 3: column_3x3<3>(a, x, wv, bias, y, ox, last); break;
    default: column_3x3<4>(a, x, wv, bias, y, ox, last); break;
  }
}

// 3x3, stride 2, no dilation: per block of 16 output columns, four output rows at a time
// from their nine input rows, each input row deinterleaved once into the columns of taps
// kx = 0, 1, 2 (even and odd lanes of two loads, the even ones shifted by one lane with
// one more column) and used by the one or two output rows that read it. The generic
// stride-2 loop deinterleaves every (row, tap) again: two loads and a permute per FMA.
void channel_3x3_s2(const DepthwiseArgs& a, int64_t c) {
  constexpr int R = 4;
  const float* x = a.x + c * a.ih * a.iw;
  const float* w = a.w + c * 9;
  __m512 wv[9];
  for (int i = 0; i < 9; ++i) wv[i] = _mm512_set1_ps(w[i]);
  const __m512 bias = _mm512_set1_ps(a.bias ? a.bias[c] : 0.0f);
  const __m512 zero = _mm512_setzero_ps();
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  float* y = a.y + c * a.oh * a.ow;
  for (int64_t ox0 = 0; ox0 < a.ow; ox0 += 16) {
    const int64_t base = 2 * ox0 - a.pw;  // input column of tap kx = 0 for output ox0
    const __mmask16 m_lo = range_mask(base, a.iw), m_hi = range_mask(base + 16, a.iw);
    const __mmask16 m_x = range_mask(base + 32, a.iw) & 1;
    const int64_t left = a.ow - ox0;
    const __mmask16 store = left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
    for (int64_t oy0 = 0; oy0 < a.oh; oy0 += R) {
      __m512 acc[R];
#pragma GCC unroll 4
      for (int j = 0; j < R; ++j) acc[j] = bias;
      // Input rows 2 oy0 - ph + r, r = 0 .. 2 R: tap row ky = r - 2 j of output row oy0 + j.
#pragma GCC unroll 9
      for (int r = 0; r < 2 * R + 1; ++r) {
        const int64_t iy = 2 * oy0 - a.ph + r;
        if (iy < 0 || iy >= a.ih) continue;
        const float* row = x + iy * a.iw + base;
        const __m512 lo = _mm512_maskz_loadu_ps(m_lo, row), hi = _mm512_maskz_loadu_ps(m_hi, row + 16);
        const __m512 t0 = _mm512_permutex2var_ps(lo, even, hi), t1 = _mm512_permutex2var_ps(lo, odd, hi);
        const __m512 t2 = _mm512_castsi512_ps(_mm512_alignr_epi32(
            _mm512_castps_si512(_mm512_maskz_loadu_ps(m_x, row + 32)), _mm512_castps_si512(t0), 1));
#pragma GCC unroll 4
        for (int j = 0; j < R; ++j) {
          const int ky = r - 2 * j;
          if (ky < 0 || ky > 2) continue;
          acc[j] = _mm512_fmadd_ps(wv[ky * 3], t0, acc[j]);
          acc[j] = _mm512_fmadd_ps(wv[ky * 3 + 1], t1, acc[j]);
          acc[j] = _mm512_fmadd_ps(wv[ky * 3 + 2], t2, acc[j]);
        }
      }
#pragma GCC unroll 4
      for (int j = 0; j < R; ++j) {
        if (oy0 + j >= a.oh) break;
        _mm512_mask_storeu_ps(y + (oy0 + j) * a.ow + ox0, store, a.relu ? _mm512_max_ps(zero, acc[j]) : acc[j]);
      }
    }
  }
}

template <int S>
void channel(const DepthwiseArgs& a, int64_t c) {
  const float* x = a.x + c * a.ih * a.iw;
  const float* w = a.w + c * a.kh * a.kw;
  const float bias = a.bias ? a.bias[c] : 0.0f;
  float* y = a.y + c * a.oh * a.ow;
  int64_t ox = 0;
  for (; a.ow - ox >= 64; ox += 64) column_block<S, 4>(a, x, w, bias, y, ox, 16);
  const int64_t rem = a.ow - ox;
  if (rem == 0) return;
  const int64_t nv = (rem + 15) / 16;
  const int64_t last = rem - 16 * (nv - 1);
  switch (nv) {
    case 1: column_block<S, 1>(a, x, w, bias, y, ox, last); break;
    case 2: column_block<S, 2>(a, x, w, bias, y, ox, last); break;
    case 3: column_block<S, 3>(a, x, w, bias, y, ox, last); break;
    default: column_block<S, 4>(a, x, w, bias, y, ox, last); break;
  }
}

}  // namespace

void depthwise_avx512(const DepthwiseArgs& args, int64_t c0, int64_t c1) {
  const bool k3 = args.kh == 3 && args.kw == 3 && args.dh == 1 && args.dw == 1;
  const bool k3s1 = k3 && args.sh == 1 && args.sw == 1;
  const bool k3s2 = k3 && args.sh == 2 && args.sw == 2;
  for (int64_t c = c0; c < c1; ++c) {
    if (k3s1) channel_3x3(args, c);
    else if (k3s2) channel_3x3_s2(args, c);
    else if (args.sw == 1 && args.kw <= kMaxMaskedTaps) channel<1>(args, c);
    else if (args.sw == 2 && args.kw <= kMaxMaskedTaps) channel<2>(args, c);
    else channel<0>(args, c);
  }
}

}  // namespace braid::detail
