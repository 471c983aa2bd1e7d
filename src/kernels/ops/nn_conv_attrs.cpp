#include "kernels/ops/nn_conv_attrs.h"

#include <algorithm>

#include "kernels/attributes.h"
#include "kernels/op_kernel.h"

namespace braid::detail {
namespace {

int64_t product(std::span<const int64_t> v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

// floor(a / b) for b > 0.
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

std::string list(std::span<const int64_t> v) { return shape_to_string(Shape(v.begin(), v.end())); }

// Fills per-dim vectors from the attributes (defaults where absent) and checks lengths.
Status spatial_params(const Node& node, const ConvAttrs& a, int64_t rank,
                      std::span<const int64_t> w_kernel, ConvGeometry& g) {
  const size_t r = static_cast<size_t>(rank);
  g.kernel = a.kernel_shape.empty() ? Dims(w_kernel) : Dims(a.kernel_shape);
  if (g.kernel.size() != r) return bad_node(node, "kernel_shape " + list(g.kernel) + " does not match the spatial rank");
  if (!std::ranges::equal(g.kernel, w_kernel))
    return bad_node(node, "kernel_shape " + list(g.kernel) + " does not match W's spatial dims " + list(w_kernel));
  g.stride = a.strides.empty() ? Dims(r, 1) : Dims(a.strides);
  g.dilation = a.dilations.empty() ? Dims(r, 1) : Dims(a.dilations);
  if (g.stride.size() != r) return bad_node(node, "strides " + list(g.stride) + " do not match the spatial rank");
  if (g.dilation.size() != r)
    return bad_node(node, "dilations " + list(g.dilation) + " do not match the spatial rank");
  if (!a.pads.empty() && a.pads.size() != 2 * r)
    return bad_node(node, "pads " + list(a.pads) + " must have 2 x spatial rank entries");
  g.pad_begin.assign(r, 0);
  g.pad_end.assign(r, 0);
  if (!a.pads.empty() && a.auto_pad == AutoPad::kNotSet) {
    for (size_t i = 0; i < r; ++i) {
      g.pad_begin[i] = a.pads[i];
      g.pad_end[i] = a.pads[r + i];
    }
  }
  return {};
}

}  // namespace

int64_t ConvGeometry::in_size() const { return product(in); }
int64_t ConvGeometry::out_size() const { return product(out); }
int64_t ConvGeometry::kernel_size() const { return product(kernel); }

Result<ConvAttrs> parse_conv_attrs(const Node& node, bool transpose) {
  ConvAttrs a;
  a.group = attr_int(node, "group", 1);
  if (a.group < 1) return bad_node(node, "group must be >= 1, got " + std::to_string(a.group));
  const std::string pad = attr_string(node, "auto_pad", "NOTSET");
  if (pad == "NOTSET" || pad.empty()) a.auto_pad = AutoPad::kNotSet;
  else if (pad == "VALID") a.auto_pad = AutoPad::kValid;
  else if (pad == "SAME_UPPER") a.auto_pad = AutoPad::kSameUpper;
  else if (pad == "SAME_LOWER") a.auto_pad = AutoPad::kSameLower;
  else return bad_node(node, "unknown auto_pad '" + pad + "'");
  a.kernel_shape = attr_ints(node, "kernel_shape");
  a.strides = attr_ints(node, "strides");
  a.dilations = attr_ints(node, "dilations");
  a.pads = attr_ints(node, "pads");
  for (int64_t k : a.kernel_shape)
    if (k < 1) return bad_node(node, "kernel_shape entries must be >= 1");
  for (int64_t s : a.strides)
    if (s < 1) return bad_node(node, "strides must be >= 1");
  for (int64_t d : a.dilations)
    if (d < 1) return bad_node(node, "dilations must be >= 1");
  for (int64_t p : a.pads)
    if (p < 0) return bad_node(node, "pads must be >= 0");
  if (transpose) {
    a.output_padding = attr_ints(node, "output_padding");
    a.output_shape = attr_ints(node, "output_shape");
    for (int64_t p : a.output_padding)
      if (p < 0) return bad_node(node, "output_padding must be >= 0");
    for (int64_t s : a.output_shape)
      if (s < 0) return bad_node(node, "output_shape must be >= 0");
  }
  const std::string act = attr_string(node, "braid_fused_activation", "");
  if (act == "Relu") a.fused_relu = true;
  else if (!act.empty()) return unsupported_op(node.describe() + ": fused activation '" + act + "' is not supported");
  const std::vector<int64_t> pool = attr_ints(node, "braid_fused_max_pool");
  if (!pool.empty()) {
    if (transpose || pool.size() != 3 || !(pool[1] == 2 && ((pool[0] == 3 && pool[2] == 1) || (pool[0] == 2 && pool[2] == 0))))
      return unsupported_op(node.describe() + ": fused max pool " + list(pool) +
                            " is not supported (3x3 stride 2 pad 1, or 2x2 stride 2 pad 0)");
    a.pool_k = pool[0];
    a.pool_stride = pool[1];
    a.pool_pad = pool[2];
  }
  return a;
}

Result<ConvGeometry> conv_geometry(const Node& node, const ConvAttrs& a, const Shape& x, const Shape& w) {
  if (x.size() < 3) return bad_node(node, "X must have rank >= 3, got " + list(x));
  if (w.size() != x.size()) return bad_node(node, "W " + list(w) + " must have the rank of X " + list(x));
  ConvGeometry g;
  const int64_t rank = static_cast<int64_t>(x.size()) - 2;
  g.batch = x[0];
  g.in_channels = x[1];
  g.out_channels = w[0];
  g.group = a.group;
  if (g.out_channels % g.group != 0)
    return bad_node(node, "W has " + std::to_string(g.out_channels) + " output channels, not divisible by group " +
                              std::to_string(g.group));
  if (w[1] * g.group != g.in_channels)
    return bad_node(node, "X has " + std::to_string(g.in_channels) + " channels but W " + list(w) + " with group " +
                              std::to_string(g.group) + " expects " + std::to_string(w[1] * g.group));
  g.in.assign(x.begin() + 2, x.end());
  BRAID_RETURN_IF_ERROR(spatial_params(node, a, rank, std::span<const int64_t>(w.data() + 2, w.size() - 2), g));
  g.out.resize(static_cast<size_t>(rank));
  for (size_t i = 0; i < g.out.size(); ++i) {
    const int64_t dk = (g.kernel[i] - 1) * g.dilation[i] + 1;
    const int64_t s = g.stride[i];
    if (a.auto_pad == AutoPad::kSameUpper || a.auto_pad == AutoPad::kSameLower) {
      g.out[i] = (g.in[i] + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (g.out[i] - 1) * s + dk - g.in[i]);
      const int64_t small = total / 2, large = total - small;
      g.pad_begin[i] = a.auto_pad == AutoPad::kSameUpper ? small : large;
      g.pad_end[i] = a.auto_pad == AutoPad::kSameUpper ? large : small;
    } else {
      g.out[i] = floor_div(g.in[i] + g.pad_begin[i] + g.pad_end[i] - dk, s) + 1;
    }
    if (g.out[i] < 0)
      return bad_node(node, "kernel " + list(g.kernel) + " (dilated) is larger than the padded input " + list(x));
  }
  return g;
}

Result<ConvGeometry> conv_transpose_geometry(const Node& node, const ConvAttrs& a, const Shape& x,
                                             const Shape& w) {
  if (x.size() < 3) return bad_node(node, "X must have rank >= 3, got " + list(x));
  if (w.size() != x.size()) return bad_node(node, "W " + list(w) + " must have the rank of X " + list(x));
  ConvGeometry g;
  const int64_t rank = static_cast<int64_t>(x.size()) - 2;
  const size_t r = static_cast<size_t>(rank);
  g.batch = x[0];
  g.in_channels = x[1];
  g.group = a.group;
  if (w[0] != g.in_channels)
    return bad_node(node, "W " + list(w) + " must have X's " + std::to_string(g.in_channels) + " input channels");
  if (g.in_channels % g.group != 0)
    return bad_node(node, "input channels " + std::to_string(g.in_channels) + " not divisible by group " +
                              std::to_string(g.group));
  g.out_channels = w[1] * g.group;
  g.in.assign(x.begin() + 2, x.end());
  BRAID_RETURN_IF_ERROR(spatial_params(node, a, rank, std::span<const int64_t>(w.data() + 2, w.size() - 2), g));
  const Dims out_pad = a.output_padding.empty() ? Dims(r, 0) : Dims(a.output_padding);
  if (out_pad.size() != r) return bad_node(node, "output_padding " + list(out_pad) + " does not match the spatial rank");
  Dims out_shape(a.output_shape);
  if (out_shape.size() == r + 2) out_shape.assign(a.output_shape.begin() + 2, a.output_shape.end());
  if (!out_shape.empty() && out_shape.size() != r)
    return bad_node(node, "output_shape " + list(a.output_shape) + " does not match the spatial rank");
  g.out.resize(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t dk = (g.kernel[i] - 1) * g.dilation[i] + 1;
    const int64_t s = g.stride[i];
    const bool same = a.auto_pad == AutoPad::kSameUpper || a.auto_pad == AutoPad::kSameLower;
    if (!out_shape.empty() || same) {
      // Pads follow from the requested output size; an odd total puts the extra pad at
      // the end, except SAME_LOWER, which puts it at the beginning (the ONNX spec).
      g.out[i] = !out_shape.empty() ? out_shape[i] : g.in[i] * s;
      const int64_t total = std::max<int64_t>(0, s * (g.in[i] - 1) + out_pad[i] + dk - g.out[i]);
      const int64_t small = total / 2, large = total - small;
      g.pad_begin[i] = a.auto_pad == AutoPad::kSameLower ? large : small;
      g.pad_end[i] = a.auto_pad == AutoPad::kSameLower ? small : large;
    } else {
      g.out[i] = s * (g.in[i] - 1) + out_pad[i] + dk - g.pad_begin[i] - g.pad_end[i];
    }
    if (g.out[i] < 0) return bad_node(node, "pads " + list(a.pads) + " make the output size negative");
  }
  return g;
}

}  // namespace braid::detail
