// Depthwise convolution, AVX2+FMA variant (compiled with -mavx2 -mfma). Stride 1 keeps up
// to 32 output columns in registers over every tap (border vectors use masked loads,
// which never touch masked-off lanes); other strides use the plain loop.
#include <immintrin.h>

#include "kernels/ops/nn_depthwise.h"

namespace braid::detail {
namespace {

// Lane mask for row positions b .. b + 7 inside [0, n).
inline __m256i range_mask(int64_t b, int64_t n) {
  const __m256i pos = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(b)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  return _mm256_and_si256(_mm256_cmpgt_epi32(pos, _mm256_set1_epi32(-1)),
                          _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), pos));
}

// Load masks of one column block per (kx, vector): computed once, reused for every row.
constexpr int kMaxMaskedTaps = 16;  // wider kernels use the plain loop
struct BlockMasks {
  __m256i m[kMaxMaskedTaps][4];
};

template <int NV, bool kMasked>
inline void row_block(const DepthwiseArgs& a, const float* x, const float* w, float bias, float* yrow, int64_t oy,
                      int64_t ox0, int64_t last, const BlockMasks& masks) {
  __m256 acc[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) acc[v] = _mm256_set1_ps(bias);
  for (int64_t ky = 0; ky < a.kh; ++ky) {
    const int64_t iy = oy * a.sh - a.ph + ky * a.dh;
    if (iy < 0 || iy >= a.ih) continue;
    const float* row = x + iy * a.iw;
    const float* wk = w + ky * a.kw;
    for (int64_t kx = 0; kx < a.kw; ++kx) {
      const __m256 wb = _mm256_set1_ps(wk[kx]);
      const int64_t b = ox0 - a.pw + kx * a.dw;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        const __m256 in = kMasked ? _mm256_maskload_ps(row + b + 8 * v, masks.m[kx][v]) : _mm256_loadu_ps(row + b + 8 * v);
        acc[v] = _mm256_fmadd_ps(wb, in, acc[v]);
      }
    }
  }
  const __m256 zero = _mm256_setzero_ps();
  const __m256i store_mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(last)),
                                                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    const __m256 r = a.relu ? _mm256_max_ps(zero, acc[v]) : acc[v];
    if (v == NV - 1 && last < 8) _mm256_maskstore_ps(yrow + ox0 + 8 * v, store_mask, r);
    else _mm256_storeu_ps(yrow + ox0 + 8 * v, r);
  }
}

template <int NV>
void column_block(const DepthwiseArgs& a, const float* x, const float* w, float bias, float* y, int64_t ox0,
                  int64_t last) {
  const int64_t first = ox0 - a.pw;
  const int64_t end = ox0 + 8 * NV - a.pw + (a.kw - 1) * a.dw;
  const bool interior = first >= 0 && end <= a.iw;
  BlockMasks masks;
  if (!interior)
    for (int64_t kx = 0; kx < a.kw; ++kx)
      for (int v = 0; v < NV; ++v) masks.m[kx][v] = range_mask(ox0 - a.pw + kx * a.dw + 8 * v, a.iw);
  for (int64_t oy = 0; oy < a.oh; ++oy) {
    float* yrow = y + oy * a.ow;
    if (interior) row_block<NV, false>(a, x, w, bias, yrow, oy, ox0, last, masks);
    else row_block<NV, true>(a, x, w, bias, yrow, oy, ox0, last, masks);
  }
}

void channel_stride1(const DepthwiseArgs& a, int64_t c) {
  const float* x = a.x + c * a.ih * a.iw;
  const float* w = a.w + c * a.kh * a.kw;
  const float bias = a.bias ? a.bias[c] : 0.0f;
  float* y = a.y + c * a.oh * a.ow;
  int64_t ox = 0;
  for (; a.ow - ox >= 32; ox += 32) column_block<4>(a, x, w, bias, y, ox, 8);
  const int64_t rem = a.ow - ox;
  if (rem == 0) return;
  const int64_t nv = (rem + 7) / 8;
  const int64_t last = rem - 8 * (nv - 1);
  switch (nv) {
    case 1: column_block<1>(a, x, w, bias, y, ox, last); break;
    case 2: column_block<2>(a, x, w, bias, y, ox, last); break;
    case 3: column_block<3>(a, x, w, bias, y, ox, last); break;
    default: column_block<4>(a, x, w, bias, y, ox, last); break;
  }
}

}  // namespace

void depthwise_avx2(const DepthwiseArgs& args, int64_t c0, int64_t c1) {
  for (int64_t c = c0; c < c1; ++c) {
    if (args.sw == 1 && args.kw <= kMaxMaskedTaps) channel_stride1(args, c);
    else depthwise_channel_loop(args, c);
  }
}

}  // namespace braid::detail
