// Depthwise convolution, AVX-512 variant (compiled with -mavx512f -mavx512bw -mavx512vl
// -mfma). Up to 64 output columns of a row accumulate in registers over every tap; stride
// 2 deinterleaves two loads, other strides gather.
#include <immintrin.h>

// GCC 12's _mm512_max_ps uses _mm512_undefined_ps(), which trips a false
// -Wmaybe-uninitialized once inlined.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "kernels/ops/nn_depthwise.h"
#include "kernels/ops/nn_depthwise_plane.h"

namespace braid::detail {
namespace {

inline __mmask16 tail_mask(int64_t lanes) {
  return lanes >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << lanes) - 1u);
}

// 16 inputs for 16 consecutive outputs: stride S (0: a.sw at run time, gathered).
template <int S>
inline __m512 load_inputs(const float* src, __m512i gather_idx, __mmask16 mask) {
  if constexpr (S == 1) {
    (void)gather_idx;
    (void)mask;
    return _mm512_loadu_ps(src);
  } else if constexpr (S == 2) {
    (void)gather_idx;
    (void)mask;
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(_mm512_loadu_ps(src), even, _mm512_loadu_ps(src + 16));
  } else {
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, gather_idx, src, 4);
  }
}

// Outputs [ox0, ox0 + 16 * NV) of row oy; the last vector stores `last` lanes.
template <int S, int NV>
inline void row_block(const DepthwiseArgs& a, const Plane& p, const float* plane, const float* w, float bias,
                      float* yrow, int64_t oy, int64_t ox0, int64_t last, __m512i gather_idx) {
  const int64_t stride = S == 0 ? a.sw : S;
  const __mmask16 last_mask = tail_mask(last);
  __m512 acc[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) acc[v] = _mm512_set1_ps(bias);
  for (int64_t ky = 0; ky < a.kh; ++ky) {
    const float* prow = plane + (oy * a.sh + ky * a.dh) * p.cols + ox0 * stride;
    const float* wk = w + ky * a.kw;
    for (int64_t kx = 0; kx < a.kw; ++kx) {
      const __m512 wb = _mm512_set1_ps(wk[kx]);
      const float* src = prow + kx * a.dw;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        const __mmask16 m = v == NV - 1 ? last_mask : static_cast<__mmask16>(0xFFFF);
        acc[v] = _mm512_fmadd_ps(wb, load_inputs<S>(src + v * 16 * stride, gather_idx, m), acc[v]);
      }
    }
  }
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    __m512 r = a.relu ? _mm512_max_ps(zero, acc[v]) : acc[v];
    _mm512_mask_storeu_ps(yrow + ox0 + 16 * v, v == NV - 1 ? last_mask : static_cast<__mmask16>(0xFFFF), r);
  }
}

template <int S>
void channel(const DepthwiseArgs& a, const Plane& p, int64_t c, const float* plane) {
  const float* w = a.w + c * a.kh * a.kw;
  const float bias = a.bias ? a.bias[c] : 0.0f;
  float* y = a.y + c * a.oh * a.ow;
  const __m512i gather_idx = _mm512_mullo_epi32(
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(static_cast<int>(a.sw)));
  for (int64_t oy = 0; oy < a.oh; ++oy) {
    float* yrow = y + oy * a.ow;
    int64_t ox = 0;
    for (; a.ow - ox >= 64; ox += 64) row_block<S, 4>(a, p, plane, w, bias, yrow, oy, ox, 16, gather_idx);
    const int64_t rem = a.ow - ox;
    if (rem == 0) continue;
    const int64_t nv = (rem + 15) / 16;
    const int64_t last = rem - 16 * (nv - 1);
    switch (nv) {
      case 1: row_block<S, 1>(a, p, plane, w, bias, yrow, oy, ox, last, gather_idx); break;
      case 2: row_block<S, 2>(a, p, plane, w, bias, yrow, oy, ox, last, gather_idx); break;
      case 3: row_block<S, 3>(a, p, plane, w, bias, yrow, oy, ox, last, gather_idx); break;
      default: row_block<S, 4>(a, p, plane, w, bias, yrow, oy, ox, last, gather_idx); break;
    }
  }
}

}  // namespace

void depthwise_avx512(const DepthwiseArgs& args, int64_t c0, int64_t c1, float* scratch) {
  const Plane p = plane_of(args);
  for (int64_t c = c0; c < c1; ++c) {
    fill_plane(args, p, c, scratch);
    if (args.sw == 1) channel<1>(args, p, c, scratch);
    else if (args.sw == 2) channel<2>(args, p, c, scratch);
    else channel<0>(args, p, c, scratch);
  }
}

}  // namespace braid::detail
