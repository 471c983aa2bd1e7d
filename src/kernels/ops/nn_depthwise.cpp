// The depthwise variant table and the portable variant.
#include "kernels/ops/nn_depthwise.h"

namespace braid::detail {

void depthwise_channel_loop(const DepthwiseArgs& a, int64_t c) {
  const float* x = a.x + c * a.ih * a.iw;
  const float* w = a.w + c * a.kh * a.kw;
  const float b = a.bias ? a.bias[c] : 0.0f;
  float* y = a.y + c * a.oh * a.ow;
  for (int64_t oy = 0; oy < a.oh; ++oy) {
    float* yrow = y + oy * a.ow;
    for (int64_t ox = 0; ox < a.ow; ++ox) yrow[ox] = b;
    for (int64_t ky = 0; ky < a.kh; ++ky) {
      const int64_t iy = oy * a.sh - a.ph + ky * a.dh;
      if (iy < 0 || iy >= a.ih) continue;
      const float* xrow = x + iy * a.iw;
      for (int64_t kx = 0; kx < a.kw; ++kx) {
        const float wv = w[ky * a.kw + kx];
        const int64_t off = kx * a.dw - a.pw;  // input column of output 0
        // Outputs [lo, hi) read inside the row: 0 <= ox * sw + off < iw.
        int64_t lo = off >= 0 ? 0 : (-off + a.sw - 1) / a.sw;
        int64_t hi = a.iw - off <= 0 ? 0 : (a.iw - off + a.sw - 1) / a.sw;
        if (hi > a.ow) hi = a.ow;
        for (int64_t ox = lo; ox < hi; ++ox) yrow[ox] += wv * xrow[ox * a.sw + off];
      }
    }
    if (a.relu)
      for (int64_t ox = 0; ox < a.ow; ++ox) yrow[ox] = yrow[ox] < 0.0f ? 0.0f : yrow[ox];
  }
}

void depthwise_scalar(const DepthwiseArgs& args, int64_t c0, int64_t c1) {
  for (int64_t c = c0; c < c1; ++c) depthwise_channel_loop(args, c);
}

DepthwiseFn depthwise_for(const CpuFeatures& f) {
#if defined(__x86_64__) || defined(__i386__)
  if (f.has_avx512() && f.fma) return depthwise_avx512;
  if (f.has_avx2_fma()) return depthwise_avx2;
#endif
  (void)f;
  return depthwise_scalar;
}

}  // namespace braid::detail
