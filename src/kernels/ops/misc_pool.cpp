// MaxPool (with the optional Indices output), AveragePool and LpPool over 1-D, 2-D and
// N-D windows. f32 1-D / 2-D pooling without Indices runs the vector loops of
// misc_pool_norm_loops (the banded loops where stride_w is 1 or 2 and a row fits the band,
// the row-buffer loops otherwise); everything else runs one generic N-D window walk per dtype.
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "kernels/attributes.h"
#include "kernels/dispatch.h"
#include "kernels/ops/misc_kernels.h"
#include "kernels/ops/misc_pool_norm_loops.h"
#include "kernels/ops/misc_window.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

using misc::TapRange;
using misc::WindowGeometry;
using misc::WindowPlan;

enum class PoolKind { kMax, kAverage, kLp };

constexpr size_t kMaxSpatialDims = 8;
// Window taps worth a task of their own: keeps batch-1 small pools on one thread.
constexpr int64_t kTapsPerTask = 1 << 15;
// The banded loops take 0.05-0.13 ns a tap (one core, 28 x 28 to 7 x 7 planes): 32 K taps
// would be 2-4 us, about one fork/join, so their tasks get 128 K (6-17 us).
constexpr int64_t kBandedTapsPerTask = 1 << 17;

struct PoolOptions {
  PoolKind kind = PoolKind::kMax;
  bool count_include_pad = false;  // AveragePool
  bool storage_order_columns = false;  // MaxPool Indices: column-major within each plane
  double p = 2;                    // LpPool
};

// Per-call tables of the generic walk: each output position's valid taps per dim.
struct NdWalk {
  size_t rank = 0;
  int64_t in_plane = 1, out_plane = 1;
  int64_t in_dims[kMaxSpatialDims] = {};
  int64_t in_stride[kMaxSpatialDims] = {};   // row-major strides inside one plane
  int64_t out_dims[kMaxSpatialDims] = {};
  int64_t tap_stride[kMaxSpatialDims] = {};  // dilation * in_stride
  std::vector<TapRange> taps[kMaxSpatialDims];
  std::vector<int64_t> start[kMaxSpatialDims];  // window start per output index
};

NdWalk make_walk(const WindowPlan& plan) {
  NdWalk w;
  w.rank = plan.rank();
  for (size_t d = w.rank; d-- > 0;) {
    w.in_dims[d] = plan.in[d];
    w.in_stride[d] = w.in_plane;
    w.in_plane *= plan.in[d];
    w.out_dims[d] = plan.out[d];
    w.out_plane *= plan.out[d];
    w.tap_stride[d] = plan.dilations[d] * w.in_stride[d];
    w.taps[d].resize(static_cast<size_t>(plan.out[d]));
    w.start[d].resize(static_cast<size_t>(plan.out[d]));
    for (int64_t o = 0; o < plan.out[d]; ++o) {
      const int64_t start = o * plan.strides[d] - plan.pad_begin[d];
      w.start[d][o] = start;
      w.taps[d][o] = misc::window_taps(start, plan.kernel[d], plan.dilations[d], plan.in[d], plan.pad_end[d]);
    }
  }
  return w;
}

// Row-major offset inside a plane -> the column-major one (first spatial dim fastest).
int64_t column_major_offset(const NdWalk& w, int64_t offset) {
  int64_t result = 0, stride = 1;
  for (size_t d = 0; d < w.rank; ++d) {
    const int64_t coord = (offset / w.in_stride[d]) % w.in_dims[d];
    result += coord * stride;
    stride *= w.in_dims[d];
  }
  return result;
}

// Pools planes [plane_begin, plane_end): x and y point at plane 0.
template <class T>
void pool_planes_generic(const NdWalk& w, const PoolOptions& opt, const T* x, T* y, int64_t* indices,
                         int64_t plane_begin, int64_t plane_end) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
  const size_t rank = w.rank;
  int64_t o[kMaxSpatialDims], k[kMaxSpatialDims], lo[kMaxSpatialDims], hi[kMaxSpatialDims];
  for (int64_t plane = plane_begin; plane < plane_end; ++plane) {
    const T* xp = x + plane * w.in_plane;
    T* yp = y + plane * w.out_plane;
    for (size_t d = 0; d < rank; ++d) o[d] = 0;
    for (int64_t out = 0; out < w.out_plane; ++out) {
      int64_t base = 0, count_valid = 1, count_pad = 1;
      bool empty = false;
      for (size_t d = 0; d < rank; ++d) {
        const TapRange& t = w.taps[d][o[d]];
        lo[d] = t.lo;
        hi[d] = t.hi;
        k[d] = t.lo;
        empty |= t.lo >= t.hi;
        count_valid *= t.hi - t.lo;
        count_pad *= t.count_pad;
        base += w.start[d][o[d]] * w.in_stride[d];
      }
      // Walk the valid taps with an odometer over the window dims (last dim fastest).
      Acc acc = 0;
      T best = std::numeric_limits<T>::lowest();
      int64_t best_at = -1;
      if (!empty) {
        for (;;) {
          int64_t at = base;
          for (size_t d = 0; d < rank; ++d) at += k[d] * w.tap_stride[d];
          const T v = xp[at];
          switch (opt.kind) {
            case PoolKind::kMax:
              if (v > best || best_at < 0) {
                best = v;
                best_at = at;
              }
              break;
            case PoolKind::kAverage: acc += static_cast<Acc>(v); break;
            case PoolKind::kLp: {
              const double a = std::abs(static_cast<double>(v));
              acc += static_cast<Acc>(opt.p == 2 ? a * a : opt.p == 1 ? a : std::pow(a, opt.p));
              break;
            }
          }
          size_t d = rank;
          while (d-- > 0) {
            if (++k[d] < hi[d]) break;
            k[d] = lo[d];
          }
          if (d == static_cast<size_t>(-1)) break;
        }
      }
      switch (opt.kind) {
        case PoolKind::kMax:
          yp[out] = best;
          if (indices != nullptr) {
            const int64_t local = best_at < 0 ? 0 : opt.storage_order_columns ? column_major_offset(w, best_at) : best_at;
            indices[plane * w.out_plane + out] = plane * w.in_plane + local;
          }
          break;
        case PoolKind::kAverage: {
          const int64_t count = opt.count_include_pad ? count_pad : count_valid;
          yp[out] = count > 0 ? static_cast<T>(static_cast<double>(acc) / static_cast<double>(count)) : T(0);
          break;
        }
        case PoolKind::kLp: {
          const double s = static_cast<double>(acc);
          yp[out] = static_cast<T>(opt.p == 2 ? std::sqrt(s) : opt.p == 1 ? s : std::pow(s, 1.0 / opt.p));
          break;
        }
      }
      for (size_t d = rank; d-- > 0;) {
        if (++o[d] < w.out_dims[d]) break;
        o[d] = 0;
      }
    }
  }
}

class PoolKernel final : public OpKernel {
 public:
  PoolKernel(PoolOptions options, WindowGeometry geometry, const misc::PoolNormLoops* loops)
      : options_(options), geometry_(std::move(geometry)), loops_(loops) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(node, "missing input X");
    const size_t spatial = geometry_.kernel.size();
    if (x->rank() != static_cast<int64_t>(spatial) + 2)
      return bad_node(node, "input of shape " + shape_to_string(x->shape()) + " does not match a " +
                                std::to_string(spatial) + "-D kernel_shape (expected rank " +
                                std::to_string(spatial + 2) + ")");
    const Shape& xs = x->shape();
    BRAID_ASSIGN_OR_RETURN(WindowPlan plan,
                           misc::plan_window(node, geometry_, geometry_.kernel,
                                             std::span<const int64_t>(xs.data() + 2, spatial)));
    Dims ys{xs[0], xs[1]};  // inline: allocate_output copies it into the output's shape
    ys.append(plan.out.begin(), plan.out.end());
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, x->dtype(), std::span<const int64_t>(ys)));
    int64_t* indices = nullptr;
    if (options_.kind == PoolKind::kMax && ctx.outputs.size() > 1 && node.outputs[1] != kNoValue) {
      BRAID_ASSIGN_OR_RETURN(Tensor * ind, ctx.allocate_output_dims(1, DataType::kInt64, std::span<const int64_t>(ys)));
      indices = ind->data<int64_t>();
    }
    if (y->numel() == 0) return {};

    const int64_t planes = xs[0] * xs[1];
    int64_t window = 1;
    for (int64_t k : plan.kernel) window *= k;
    const int64_t out_plane = y->numel() / planes;
    const int64_t grain = std::max<int64_t>(1, kTapsPerTask / std::max<int64_t>(1, out_plane * window));

    if (x->dtype() == DataType::kFloat32 && spatial <= 2 && indices == nullptr && options_.kind != PoolKind::kLp) {
      misc::Pool2dPlane p = plane_2d(plan);
      const float* xd = x->data<float>();
      float* yd = y->data<float>();
      const int64_t in_plane = p.in_h * p.in_w, out_plane_2d = p.out_h * p.out_w;
      const bool is_max = options_.kind == PoolKind::kMax;
      const int64_t banded_grain = std::max<int64_t>(1, kBandedTapsPerTask / std::max<int64_t>(1, out_plane * window));
      auto flat = !is_max ? nullptr
                  : loops_->max_pool_2d_same != nullptr && misc::pool_2d_same_fits(p) ? loops_->max_pool_2d_same
                  : loops_->max_pool_2d_s2 != nullptr && misc::pool_2d_s2_fits(p) ? loops_->max_pool_2d_s2
                                                                                       : nullptr;
      if (flat != nullptr) {
        parallel_for_range(planes, banded_grain, ctx.max_threads, [&](int64_t b, int64_t e) {
          flat(xd + b * in_plane, yd + b * out_plane_2d, e - b, p);
        });
        return {};
      }
      if (misc::pool_2d_banded_fits(p)) {
        auto fn = is_max ? loops_->max_pool_2d_planes : loops_->avg_pool_2d_planes;
        parallel_for_range(planes, banded_grain, ctx.max_threads, [&](int64_t b, int64_t e) {
          fn(xd + b * in_plane, yd + b * out_plane_2d, e - b, p);
        });
        return {};
      }
      auto fn = is_max ? loops_->max_pool_2d : loops_->avg_pool_2d;
      parallel_for_range(planes, grain, ctx.max_threads, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) fn(xd + i * in_plane, yd + i * out_plane_2d, p);
      });
      return {};
    }

    const NdWalk walk = make_walk(plan);
    auto run = [&](auto tag) -> Status {
      using T = decltype(tag);
      const T* xd = x->data<T>();
      T* yd = y->data<T>();
      parallel_for_range(planes, grain, ctx.max_threads, [&](int64_t b, int64_t e) {
        pool_planes_generic<T>(walk, options_, xd, yd, indices, b, e);
      });
      return {};
    };
    if (options_.kind == PoolKind::kMax)
      return dispatch_dtype_or<float, double, int8_t, uint8_t>(x->dtype(), run,
                                                               [&] { return unsupported_dtype(node, x->dtype()); });
    return dispatch_dtype_or<float, double>(x->dtype(), run, [&] { return unsupported_dtype(node, x->dtype()); });
  }

 private:
  misc::Pool2dPlane plane_2d(const WindowPlan& plan) const {
    misc::Pool2dPlane p;
    const size_t w = plan.rank() - 1;  // the last spatial dim is the row
    p.in_w = plan.in[w];
    p.out_w = plan.out[w];
    p.kernel_w = plan.kernel[w];
    p.stride_w = plan.strides[w];
    p.dilation_w = plan.dilations[w];
    p.pad_left = plan.pad_begin[w];
    p.pad_right = plan.pad_end[w];
    p.in_h = p.out_h = 1;
    if (plan.rank() == 2) {
      p.in_h = plan.in[0];
      p.out_h = plan.out[0];
      p.kernel_h = plan.kernel[0];
      p.stride_h = plan.strides[0];
      p.dilation_h = plan.dilations[0];
      p.pad_top = plan.pad_begin[0];
      p.pad_bottom = plan.pad_end[0];
    }
    p.count_include_pad = options_.count_include_pad;
    return p;
  }

  PoolOptions options_;
  WindowGeometry geometry_;
  const misc::PoolNormLoops* loops_;
};

Result<std::unique_ptr<OpKernel>> make_pool(const KernelInit& init, PoolKind kind) {
  const Node& node = *init.node;
  if (!init.has_input(0)) return bad_node(node, "needs input X");
  PoolOptions options;
  options.kind = kind;
  const bool opset10 = init.opset() >= 10;
  misc::WindowOptions wo;
  wo.kernel_required = true;
  // ceil_mode / dilations arrived at MaxPool-10, AveragePool-10 (ceil) / 19 (dilations)
  // and LpPool-18; older opsets never carry them, so reading them always is harmless.
  wo.allow_ceil_mode = kind == PoolKind::kLp ? init.opset() >= 18 : opset10;
  wo.allow_dilations = kind == PoolKind::kMax ? opset10 : init.opset() >= (kind == PoolKind::kLp ? 18 : 19);
  BRAID_ASSIGN_OR_RETURN(WindowGeometry g, misc::parse_window_geometry(node, wo));
  if (g.kernel.size() > kMaxSpatialDims)
    return unsupported_op(node.describe() + ": more than " + std::to_string(kMaxSpatialDims) + " spatial dims");

  const DataType dtype = init.input_dtype(0);
  switch (kind) {
    case PoolKind::kMax: {
      const int64_t order = attr_int(node, "storage_order", 0);
      if (order != 0 && order != 1) return bad_node(node, "storage_order must be 0 or 1");
      options.storage_order_columns = order == 1;
      if (dtype != DataType::kUndefined && dtype != DataType::kFloat32 && dtype != DataType::kFloat64 &&
          dtype != DataType::kInt8 && dtype != DataType::kUInt8)
        return unsupported_dtype(node, dtype);
      break;
    }
    case PoolKind::kAverage:
      options.count_include_pad = attr_int(node, "count_include_pad", 0) != 0;
      [[fallthrough]];
    case PoolKind::kLp:
      if (dtype != DataType::kUndefined && dtype != DataType::kFloat32 && dtype != DataType::kFloat64)
        return unsupported_dtype(node, dtype);
      break;
  }
  if (kind == PoolKind::kLp) {
    options.p = attr_float(node, "p", 2.0f);
    if (!(options.p > 0)) return bad_node(node, "p must be positive");
  }
  return std::unique_ptr<OpKernel>(new PoolKernel(options, std::move(g), &misc::pool_norm_loops()));
}

Result<std::unique_ptr<OpKernel>> make_max_pool(const KernelInit& init) { return make_pool(init, PoolKind::kMax); }
Result<std::unique_ptr<OpKernel>> make_average_pool(const KernelInit& init) {
  return make_pool(init, PoolKind::kAverage);
}
Result<std::unique_ptr<OpKernel>> make_lp_pool(const KernelInit& init) { return make_pool(init, PoolKind::kLp); }

}  // namespace

void register_misc_pool_kernels(OpRegistry& r) {
  r.add({"", "MaxPool", 1, 21, make_max_pool});
  r.add({"", "AveragePool", 1, 21, make_average_pool});
  r.add({"", "LpPool", 1, 21, make_lp_pool});
}

}  // namespace braid::detail
