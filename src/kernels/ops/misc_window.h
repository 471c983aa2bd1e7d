// Window geometry shared by the pooling and integer convolution kernels: kernel_shape,
// strides, dilations, pads / auto_pad and ceil_mode are parsed and checked once at load;
// plan_window() resolves them against an input's spatial dims at run time.
//
//   BRAID_ASSIGN_OR_RETURN(WindowGeometry g, parse_window_geometry(node, {.kernel_required = true}));
//   BRAID_ASSIGN_OR_RETURN(WindowPlan p, plan_window(node, g, g.kernel, in_spatial));
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "braid/status.h"
#include "ir/graph.h"
#include "kernels/dims.h"

namespace braid::detail::misc {

enum class AutoPad { kNotSet, kValid, kSameUpper, kSameLower };

struct WindowGeometry {
  std::vector<int64_t> kernel;     // kernel_shape; empty when it comes from weights
  std::vector<int64_t> strides;    // empty: all 1
  std::vector<int64_t> dilations;  // empty: all 1
  std::vector<int64_t> pads;       // explicit pads, all begins then all ends; empty: 0
  AutoPad auto_pad = AutoPad::kNotSet;
  bool ceil_mode = false;
};

struct WindowOptions {
  bool kernel_required = true;  // pooling: kernel_shape must be given
  bool allow_ceil_mode = true;
  bool allow_dilations = true;
};

// One window geometry resolved for an input shape (inline lists: resolving it on every
// call allocates nothing).
struct WindowPlan {
  Dims in;         // input spatial dims
  Dims out;        // output spatial dims
  Dims kernel;
  Dims strides;
  Dims dilations;
  Dims pad_begin;  // effective pads (auto_pad resolved)
  Dims pad_end;

  size_t rank() const { return in.size(); }
};

// The taps k in [lo, hi) of one window dim (window start `start`, may be negative) that
// land inside [0, in); `count_pad` counts the taps inside [start, in + pad_end) instead,
// which is the divisor of AveragePool with count_include_pad.
struct TapRange {
  int64_t lo = 0, hi = 0, count_pad = 0;
};
TapRange window_taps(int64_t start, int64_t kernel, int64_t dilation, int64_t in, int64_t pad_end);

// Reads and checks the window attributes of `node` (bad_node on a missing kernel_shape,
// non-positive strides/dilations/kernel, negative pads, wrong lengths, unknown auto_pad).
Result<WindowGeometry> parse_window_geometry(const Node& node, const WindowOptions& options);

// Resolves `g` for `in_spatial` with the given kernel dims (g.kernel or the weights').
// Fails when the (padded) input is smaller than the dilated kernel.
Result<WindowPlan> plan_window(const Node& node, const WindowGeometry& g, std::span<const int64_t> kernel,
                               std::span<const int64_t> in_spatial);

}  // namespace braid::detail::misc
