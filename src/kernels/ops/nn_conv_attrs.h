// Conv / ConvTranspose attributes (kernel_shape, strides, dilations, pads, auto_pad, group)
// parsed and validated once at load, and the per-call output geometry computed from them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "braid/status.h"
#include "braid/tensor.h"
#include "ir/graph.h"
#include "kernels/dims.h"

namespace braid::detail {

enum class AutoPad { kNotSet, kValid, kSameUpper, kSameLower };

struct ConvAttrs {
  int64_t group = 1;
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> kernel_shape;    // empty: taken from W
  std::vector<int64_t> strides;         // empty: all 1
  std::vector<int64_t> dilations;       // empty: all 1
  std::vector<int64_t> pads;            // empty: all 0; else [begin..., end...]
  std::vector<int64_t> output_padding;  // ConvTranspose only
  std::vector<int64_t> output_shape;    // ConvTranspose only (spatial dims)
  bool fused_relu = false;              // braid_fused_activation = "Relu" (set by graph fusion)
  // braid_fused_max_pool = [k, stride, pad] (set by graph fusion, Conv only): the output is
  // MaxPool(k x k, stride, pads `pad` on every side, floor rounding) of the convolution's
  // (after its activation). k 0: none.
  int64_t pool_k = 0, pool_stride = 0, pool_pad = 0;
};

// Parses and checks the attributes of `node` (a Conv or ConvTranspose).
Result<ConvAttrs> parse_conv_attrs(const Node& node, bool transpose);

// The resolved geometry of one call: per spatial dim i (rank = spatial rank). Inline
// lists (Dims): computing it on every call allocates nothing.
struct ConvGeometry {
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  Dims in, out, kernel, stride, dilation, pad_begin, pad_end;

  int64_t rank() const { return static_cast<int64_t>(in.size()); }
  int64_t in_size() const;      // product of in
  int64_t out_size() const;     // product of out
  int64_t kernel_size() const;  // product of kernel
};

// Geometry of Conv for X of shape `x` and W of shape `w` ([Cout, Cin/group, k...]).
Result<ConvGeometry> conv_geometry(const Node& node, const ConvAttrs& a, const Shape& x, const Shape& w);
// Geometry of ConvTranspose for X and W ([Cin, Cout/group, k...]).
Result<ConvGeometry> conv_transpose_geometry(const Node& node, const ConvAttrs& a, const Shape& x,
                                             const Shape& w);

}  // namespace braid::detail
