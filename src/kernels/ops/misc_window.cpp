#include "kernels/ops/misc_window.h"

#include <algorithm>
#include <string>

#include "kernels/attributes.h"
#include "kernels/op_kernel.h"

namespace braid::detail::misc {
namespace {

Status check_positive(const Node& node, const char* name, const std::vector<int64_t>& v, size_t rank) {
  if (!v.empty() && rank != 0 && v.size() != rank)
    return bad_node(node, std::string(name) + " has " + std::to_string(v.size()) + " values for " +
                              std::to_string(rank) + " spatial dims");
  for (int64_t x : v)
    if (x <= 0) return bad_node(node, std::string(name) + " must be positive, got " + std::to_string(x));
  return {};
}

int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

}  // namespace

TapRange window_taps(int64_t start, int64_t kernel, int64_t dilation, int64_t in, int64_t pad_end) {
  TapRange r;
  r.lo = start >= 0 ? 0 : ceil_div(-start, dilation);
  r.hi = in - start <= 0 ? 0 : std::min(kernel, ceil_div(in - start, dilation));
  if (r.hi < r.lo) r.hi = r.lo;
  const int64_t padded = in + pad_end - start;
  r.count_pad = padded <= 0 ? 0 : std::min(kernel, ceil_div(padded, dilation));
  return r;
}

Result<WindowGeometry> parse_window_geometry(const Node& node, const WindowOptions& options) {
  WindowGeometry g;
  g.kernel = attr_ints(node, "kernel_shape");
  if (g.kernel.empty() && options.kernel_required) return bad_node(node, "kernel_shape attribute is required");
  g.strides = attr_ints(node, "strides");
  if (options.allow_dilations) g.dilations = attr_ints(node, "dilations");
  g.pads = attr_ints(node, "pads");
  g.ceil_mode = options.allow_ceil_mode && attr_int(node, "ceil_mode", 0) != 0;

  const std::string auto_pad = attr_string(node, "auto_pad", "NOTSET");
  if (auto_pad == "NOTSET" || auto_pad.empty()) g.auto_pad = AutoPad::kNotSet;
  else if (auto_pad == "VALID") g.auto_pad = AutoPad::kValid;
  else if (auto_pad == "SAME_UPPER") g.auto_pad = AutoPad::kSameUpper;
  else if (auto_pad == "SAME_LOWER") g.auto_pad = AutoPad::kSameLower;
  else return bad_node(node, "unknown auto_pad '" + auto_pad + "'");

  size_t rank = g.kernel.size();
  if (rank == 0) rank = !g.strides.empty() ? g.strides.size() : g.dilations.size();
  BRAID_RETURN_IF_ERROR(check_positive(node, "kernel_shape", g.kernel, rank));
  BRAID_RETURN_IF_ERROR(check_positive(node, "strides", g.strides, rank));
  BRAID_RETURN_IF_ERROR(check_positive(node, "dilations", g.dilations, rank));
  if (!g.pads.empty() && rank != 0 && g.pads.size() != 2 * rank)
    return bad_node(node, "pads has " + std::to_string(g.pads.size()) + " values, expected " +
                              std::to_string(2 * rank));
  for (int64_t p : g.pads)
    if (p < 0) return bad_node(node, "pads must not be negative, got " + std::to_string(p));
  return g;
}

Result<WindowPlan> plan_window(const Node& node, const WindowGeometry& g, std::span<const int64_t> kernel,
                               std::span<const int64_t> in_spatial) {
  const size_t rank = in_spatial.size();
  if (kernel.size() != rank)
    return bad_node(node, "kernel has " + std::to_string(kernel.size()) + " dims but the input has " +
                              std::to_string(rank) + " spatial dims");
  auto sized = [&](const std::vector<int64_t>& v, const char* name) -> Status {
    if (!v.empty() && v.size() != rank)
      return bad_node(node, std::string(name) + " has " + std::to_string(v.size()) + " values for " +
                                std::to_string(rank) + " spatial dims");
    return {};
  };
  BRAID_RETURN_IF_ERROR(sized(g.strides, "strides"));
  BRAID_RETURN_IF_ERROR(sized(g.dilations, "dilations"));
  if (!g.pads.empty() && g.pads.size() != 2 * rank)
    return bad_node(node, "pads has " + std::to_string(g.pads.size()) + " values for " + std::to_string(rank) +
                              " spatial dims");

  WindowPlan p;
  p.in.assign(in_spatial.begin(), in_spatial.end());
  p.kernel.assign(kernel.begin(), kernel.end());
  p.strides = g.strides.empty() ? Dims(rank, 1) : Dims(g.strides);
  p.dilations = g.dilations.empty() ? Dims(rank, 1) : Dims(g.dilations);
  p.pad_begin.assign(rank, 0);
  p.pad_end.assign(rank, 0);
  p.out.assign(rank, 0);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t in = p.in[d], k = p.kernel[d], s = p.strides[d], dil = p.dilations[d];
    if (k <= 0) return bad_node(node, "kernel dims must be positive");
    const int64_t extent = (k - 1) * dil + 1;
    if (g.auto_pad == AutoPad::kSameUpper || g.auto_pad == AutoPad::kSameLower) {
      const int64_t out = (in + s - 1) / s;
      int64_t total = (out - 1) * s + extent - in;
      if (total < 0) total = 0;
      p.pad_begin[d] = g.auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
      p.pad_end[d] = total - p.pad_begin[d];
      p.out[d] = out;
      continue;
    }
    if (g.auto_pad == AutoPad::kNotSet && !g.pads.empty()) {
      p.pad_begin[d] = g.pads[d];
      p.pad_end[d] = g.pads[d + rank];
    }
    const int64_t span = in + p.pad_begin[d] + p.pad_end[d] - extent;
    if (span < 0)
      return bad_node(node, "window of extent " + std::to_string(extent) + " does not fit the padded input dim " +
                                std::to_string(in + p.pad_begin[d] + p.pad_end[d]));
    int64_t out = g.ceil_mode ? (span + s - 1) / s + 1 : span / s + 1;
    // ceil_mode: a window that would start inside the end padding is dropped (as PyTorch).
    if (g.ceil_mode && out > 1 && (out - 1) * s >= in + p.pad_begin[d]) --out;
    p.out[d] = out;
  }
  return p;
}

}  // namespace braid::detail::misc
