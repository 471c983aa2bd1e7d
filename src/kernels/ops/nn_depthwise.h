// The depthwise convolution kernel (group == C_in == C_out, 2-D; 1-D as H = 1): one
// channel at a time over a zero-padded copy of its plane, vectorised over output columns
// with all taps accumulated in registers. One ISA variant per translation unit.
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

// Computes channels [c0, c1). `scratch` holds padded_plane_floats(args) floats.
using DepthwiseFn = void (*)(const DepthwiseArgs& args, int64_t c0, int64_t c1, float* scratch);

// Floats of the padded plane (plus slack for vector over-reads) a DepthwiseFn needs.
int64_t depthwise_scratch_floats(const DepthwiseArgs& args);

// The variant for these CPU features (chosen once, at kernel creation).
DepthwiseFn depthwise_for(const CpuFeatures& features);

void depthwise_scalar(const DepthwiseArgs& args, int64_t c0, int64_t c1, float* scratch);
void depthwise_avx2(const DepthwiseArgs& args, int64_t c0, int64_t c1, float* scratch);
void depthwise_avx512(const DepthwiseArgs& args, int64_t c0, int64_t c1, float* scratch);

}  // namespace braid::detail
