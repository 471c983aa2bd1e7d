// The depthwise convolution kernel (group == C_in == C_out, 2-D; 1-D as H = 1): one
// channel at a time, vectorised over output columns with every tap accumulated in
// registers. Padding is never materialised: border vectors use masked loads, which skip
// the lanes that would fall outside the input row. One ISA variant per translation unit.
#pragma once

#include <cstdint>

#include "kernels/cpu_features.h"

namespace braid::detail {

struct DepthwiseArgs {
  const float* x = nullptr;     // [C, ih, iw] of one image
  const float* w = nullptr;     // [C, kh, kw]
  const float* bias = nullptr;  // [C] or nullptr
  float* y = nullptr;           // [C, oh, ow]
  int64_t ih = 0, iw = 0, oh = 0, ow = 0, kh = 0, kw = 0;
  int64_t sh = 1, sw = 1, dh = 1, dw = 1, ph = 0, pw = 0;  // ph / pw: leading pads
  bool relu = false;
};

// Computes channels [c0, c1) of one image.
using DepthwiseFn = void (*)(const DepthwiseArgs& args, int64_t c0, int64_t c1);

// The variant for these CPU features (chosen once, at kernel creation).
DepthwiseFn depthwise_for(const CpuFeatures& features);

void depthwise_scalar(const DepthwiseArgs& args, int64_t c0, int64_t c1);
void depthwise_avx2(const DepthwiseArgs& args, int64_t c0, int64_t c1);
void depthwise_avx512(const DepthwiseArgs& args, int64_t c0, int64_t c1);

// One channel with plain loops (the scalar variant; the others use it for unusual strides).
void depthwise_channel_loop(const DepthwiseArgs& args, int64_t c);

}  // namespace braid::detail
