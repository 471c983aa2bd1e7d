// Pieces shared by the depthwise variants: the zero-padded copy of one input plane and
// the plain per-channel loop (the scalar variant, and the fallback for unusual strides).
// Internal linkage: each variant's translation unit gets its own copy built with its flags.
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/ops/nn_depthwise.h"

namespace braid::detail {
namespace {

// Slack after the plane so vector loads of the last row may run past its end.
constexpr int64_t kPlaneSlack = 64;

struct Plane {
  int64_t rows, cols;  // the input window the outputs touch, starting at (-ph, -pw)
};

inline Plane plane_of(const DepthwiseArgs& a) {
  return {(a.oh - 1) * a.sh + (a.kh - 1) * a.dh + 1, (a.ow - 1) * a.sw + (a.kw - 1) * a.dw + 1};
}

// Copies channel c's input window into `dst` (rows x cols), zeros where it is padding.
inline void fill_plane(const DepthwiseArgs& a, const Plane& p, int64_t c, float* dst) {
  const float* x = a.x + c * a.ih * a.iw;
  for (int64_t r = 0; r < p.rows; ++r) {
    float* out = dst + r * p.cols;
    const int64_t y = r - a.ph;
    if (y < 0 || y >= a.ih) {
      std::memset(out, 0, static_cast<size_t>(p.cols) * sizeof(float));
      continue;
    }
    // Columns [lo, hi) of the window are inside the image.
    const int64_t lo = a.pw < p.cols ? a.pw : p.cols;
    int64_t hi = a.pw + a.iw;
    if (hi > p.cols) hi = p.cols;
    if (lo > 0) std::memset(out, 0, static_cast<size_t>(lo) * sizeof(float));
    if (hi > lo) std::memcpy(out + lo, x + y * a.iw + (lo - a.pw), static_cast<size_t>(hi - lo) * sizeof(float));
    const int64_t from = hi > lo ? hi : lo;
    if (from < p.cols) std::memset(out + from, 0, static_cast<size_t>(p.cols - from) * sizeof(float));
  }
  std::memset(dst + p.rows * p.cols, 0, kPlaneSlack * sizeof(float));
}

// One channel from its padded plane, any strides and dilations.
inline void depthwise_channel_loop(const DepthwiseArgs& a, const Plane& p, int64_t c, const float* plane) {
  const float* w = a.w + c * a.kh * a.kw;
  const float b = a.bias ? a.bias[c] : 0.0f;
  float* y = a.y + c * a.oh * a.ow;
  for (int64_t oy = 0; oy < a.oh; ++oy) {
    float* yrow = y + oy * a.ow;
    for (int64_t ox = 0; ox < a.ow; ++ox) yrow[ox] = b;
    for (int64_t ky = 0; ky < a.kh; ++ky) {
      const float* prow = plane + (oy * a.sh + ky * a.dh) * p.cols;
      for (int64_t kx = 0; kx < a.kw; ++kx) {
        const float wv = w[ky * a.kw + kx];
        const float* src = prow + kx * a.dw;
        for (int64_t ox = 0; ox < a.ow; ++ox) yrow[ox] += wv * src[ox * a.sw];
      }
    }
    if (a.relu)
      for (int64_t ox = 0; ox < a.ow; ++ox) yrow[ox] = yrow[ox] < 0.0f ? 0.0f : yrow[ox];
  }
}

}  // namespace
}  // namespace braid::detail
