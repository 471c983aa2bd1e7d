// Depthwise convolution, AVX2+FMA variant (compiled with -mavx2 -mfma). Stride 1 keeps up
// to 32 output columns in registers over every tap; other strides use the plain loop.
#include <immintrin.h>

#include "kernels/ops/nn_depthwise.h"
#include "kernels/ops/nn_depthwise_plane.h"

namespace braid::detail {
namespace {

// Outputs [ox0, ox0 + 8 * NV) of row oy (stride 1); `last` lanes of the last vector stored.
template <int NV>
inline void row_block(const DepthwiseArgs& a, const Plane& p, const float* plane, const float* w, float bias,
                      float* yrow, int64_t oy, int64_t ox0, int64_t last) {
  __m256 acc[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) acc[v] = _mm256_set1_ps(bias);
  for (int64_t ky = 0; ky < a.kh; ++ky) {
    const float* prow = plane + (oy * a.sh + ky * a.dh) * p.cols + ox0;
    const float* wk = w + ky * a.kw;
    for (int64_t kx = 0; kx < a.kw; ++kx) {
      const __m256 wb = _mm256_set1_ps(wk[kx]);
      const float* src = prow + kx * a.dw;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[v] = _mm256_fmadd_ps(wb, _mm256_loadu_ps(src + 8 * v), acc[v]);
    }
  }
  const __m256 zero = _mm256_setzero_ps();
  const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(last)),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    const __m256 r = a.relu ? _mm256_max_ps(zero, acc[v]) : acc[v];
    if (v == NV - 1 && last < 8) _mm256_maskstore_ps(yrow + ox0 + 8 * v, mask, r);
    else _mm256_storeu_ps(yrow + ox0 + 8 * v, r);
  }
}

void channel_stride1(const DepthwiseArgs& a, const Plane& p, int64_t c, const float* plane) {
  const float* w = a.w + c * a.kh * a.kw;
  const float bias = a.bias ? a.bias[c] : 0.0f;
  float* y = a.y + c * a.oh * a.ow;
  for (int64_t oy = 0; oy < a.oh; ++oy) {
    float* yrow = y + oy * a.ow;
    int64_t ox = 0;
    for (; a.ow - ox >= 32; ox += 32) row_block<4>(a, p, plane, w, bias, yrow, oy, ox, 8);
    const int64_t rem = a.ow - ox;
    if (rem == 0) continue;
    const int64_t nv = (rem + 7) / 8;
    const int64_t last = rem - 8 * (nv - 1);
    switch (nv) {
      case 1: row_block<1>(a, p, plane, w, bias, yrow, oy, ox, last); break;
      case 2: row_block<2>(a, p, plane, w, bias, yrow, oy, ox, last); break;
      case 3: row_block<3>(a, p, plane, w, bias, yrow, oy, ox, last); break;
      default: row_block<4>(a, p, plane, w, bias, yrow, oy, ox, last); break;
    }
  }
}

}  // namespace

void depthwise_avx2(const DepthwiseArgs& args, int64_t c0, int64_t c1, float* scratch) {
  const Plane p = plane_of(args);
  for (int64_t c = c0; c < c1; ++c) {
    fill_plane(args, p, c, scratch);
    if (args.sw == 1) channel_stride1(args, p, c, scratch);
    else depthwise_channel_loop(args, p, c, scratch);
  }
}

}  // namespace braid::detail
