// LRN (cross-channel local response normalization) and MeanVarianceNormalization (over an
// arbitrary set of axes). Neither is hot in current models: plain double-precision loops.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "kernels/attributes.h"
#include "kernels/dispatch.h"
#include "kernels/ops/misc_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

constexpr int64_t kElementsPerTask = 1 << 15;

bool is_f32_or_f64(DataType d) { return d == DataType::kFloat32 || d == DataType::kFloat64; }

// ---------------------------------------------------------------- LRN

class LrnKernel final : public OpKernel {
 public:
  LrnKernel(double alpha, double beta, double bias, int64_t size)
      : alpha_(alpha), beta_(beta), bias_(bias), size_(size) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(node, "missing input X");
    if (x->rank() < 2) return bad_node(node, "input must have rank >= 2 (N, C, ...), got " + shape_to_string(x->shape()));
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, x->dtype(), x->shape()));
    const int64_t n = x->dim(0), c = x->dim(1);
    int64_t inner = 1;
    for (int64_t d = 2; d < x->rank(); ++d) inner *= x->dim(d);
    if (y->numel() == 0) return {};
    const int64_t before = (size_ - 1) / 2, after = size_ - 1 - before;
    const double scale = alpha_ / static_cast<double>(size_);
    return dispatch_dtype_or<float, double>(
        x->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          const T* xd = x->data<T>();
          T* yd = y->data<T>();
          const int64_t grain = std::max<int64_t>(1, kElementsPerTask / std::max<int64_t>(1, inner * size_));
          parallel_for_range(n * c, grain, ctx.max_threads, [&](int64_t b, int64_t e) {
            for (int64_t plane = b; plane < e; ++plane) {
              const int64_t batch = plane / c, ch = plane % c;
              const int64_t lo = std::max<int64_t>(0, ch - before), hi = std::min<int64_t>(c - 1, ch + after);
              for (int64_t i = 0; i < inner; ++i) {
                double sq = 0;
                for (int64_t k = lo; k <= hi; ++k) {
                  const double v = xd[(batch * c + k) * inner + i];
                  sq += v * v;
                }
                const int64_t at = plane * inner + i;
                yd[at] = static_cast<T>(static_cast<double>(xd[at]) / std::pow(bias_ + scale * sq, beta_));
              }
            }
          });
          return {};
        },
        [&] { return unsupported_dtype(node, x->dtype()); });
  }

 private:
  double alpha_, beta_, bias_;
  int64_t size_;
};

Result<std::unique_ptr<OpKernel>> make_lrn(const KernelInit& init) {
  const Node& node = *init.node;
  if (!init.has_input(0)) return bad_node(node, "needs input X");
  const DataType d = init.input_dtype(0);
  if (d != DataType::kUndefined && !is_f32_or_f64(d)) return unsupported_dtype(node, d);
  if (!has_attr(node, "size")) return bad_node(node, "size attribute is required");
  const int64_t size = attr_int(node, "size", 0);
  if (size <= 0) return bad_node(node, "size must be positive, got " + std::to_string(size));
  return std::unique_ptr<OpKernel>(new LrnKernel(attr_float(node, "alpha", 1e-4f), attr_float(node, "beta", 0.75f),
                                                 attr_float(node, "bias", 1.0f), size));
}

// ---------------------------------------------------------------- MeanVarianceNormalization

class MvnKernel final : public OpKernel {
 public:
  // axes: explicit (may be negative); or empty with `from_axis` (opset 1: 1 or 2 to the end).
  MvnKernel(std::vector<int64_t> axes, int64_t from_axis, bool normalize_variance)
      : axes_(std::move(axes)), from_axis_(from_axis), normalize_variance_(normalize_variance) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(node, "missing input X");
    const int64_t rank = x->rank();
    std::vector<bool> reduced(static_cast<size_t>(rank), false);
    if (axes_.empty()) {
      for (int64_t d = std::min(from_axis_, rank); d < rank; ++d) reduced[d] = true;
    }
    for (int64_t a : axes_) {
      const int64_t axis = a < 0 ? a + rank : a;
      if (axis < 0 || axis >= rank)
        return bad_node(node, "axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
      if (reduced[axis]) return bad_node(node, "axis " + std::to_string(a) + " is repeated");
      reduced[axis] = true;
    }
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, x->dtype(), x->shape()));
    if (x->numel() == 0) return {};

    // Group (kept-dims) index of every element, walked with an odometer.
    std::vector<int64_t> group_stride(static_cast<size_t>(rank), 0);
    int64_t groups = 1;
    for (int64_t d = rank; d-- > 0;) {
      if (reduced[d]) continue;
      group_stride[d] = groups;
      groups *= x->dim(d);
    }
    const int64_t count = x->numel() / groups;
    std::vector<int64_t> group_of(static_cast<size_t>(x->numel()));
    {
      std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
      int64_t g = 0;
      for (int64_t i = 0; i < x->numel(); ++i) {
        group_of[i] = g;
        for (int64_t d = rank; d-- > 0;) {
          g += group_stride[d];
          if (++idx[d] < x->dim(d)) break;
          g -= group_stride[d] * idx[d];
          idx[d] = 0;
        }
      }
    }
    return dispatch_dtype_or<float, double>(
        x->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          const T* xd = x->data<T>();
          T* yd = y->data<T>();
          std::vector<double> mean(static_cast<size_t>(groups), 0.0), var(static_cast<size_t>(groups), 0.0);
          for (int64_t i = 0; i < x->numel(); ++i) mean[group_of[i]] += xd[i];
          for (double& m : mean) m /= static_cast<double>(count);
          for (int64_t i = 0; i < x->numel(); ++i) {
            const double dlt = xd[i] - mean[group_of[i]];
            var[group_of[i]] += dlt * dlt;
          }
          // As the ONNX function body: (x - mean) / (sqrt(variance) + 1e-9).
          for (double& v : var) v = std::sqrt(v / static_cast<double>(count)) + 1e-9;
          for (int64_t i = 0; i < x->numel(); ++i) {
            const double centered = xd[i] - mean[group_of[i]];
            yd[i] = static_cast<T>(normalize_variance_ ? centered / var[group_of[i]] : centered);
          }
          return {};
        },
        [&] { return unsupported_dtype(node, x->dtype()); });
  }

 private:
  std::vector<int64_t> axes_;
  int64_t from_axis_;
  bool normalize_variance_;
};

Result<std::unique_ptr<OpKernel>> make_mvn(const KernelInit& init) {
  const Node& node = *init.node;
  if (!init.has_input(0)) return bad_node(node, "needs input X");
  const DataType d = init.input_dtype(0);
  if (d != DataType::kUndefined && !is_f32_or_f64(d)) return unsupported_dtype(node, d);
  if (init.opset() < 9) {
    // Opset 1: statistics per (n, c) over the spatial dims, or per n across channels too.
    const bool across_channels = attr_int(node, "across_channels", 0) != 0;
    const bool normalize_variance = attr_int(node, "normalize_variance", 1) != 0;
    return std::unique_ptr<OpKernel>(new MvnKernel({}, across_channels ? 1 : 2, normalize_variance));
  }
  std::vector<int64_t> axes = attr_ints(node, "axes", {0, 2, 3});
  if (axes.empty()) return bad_node(node, "axes must not be empty");
  return std::unique_ptr<OpKernel>(new MvnKernel(std::move(axes), 0, true));
}

}  // namespace

void register_misc_lrn_mvn_kernels(OpRegistry& r) {
  r.add({"", "LRN", 1, 1 << 30, make_lrn});
  r.add({"", "MeanVarianceNormalization", 1, 1 << 30, make_mvn});
}

}  // namespace braid::detail
