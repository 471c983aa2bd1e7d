// GlobalAveragePool, GlobalMaxPool and GlobalLpPool: one value per (n, c) plane over all
// spatial dims. f32 average / max run the vector reductions of misc_pool_norm_loops.
#include <cmath>
#include <limits>
#include <memory>

#include "kernels/attributes.h"
#include "kernels/dims.h"
#include "kernels/dispatch.h"
#include "kernels/ops/misc_kernels.h"
#include "kernels/ops/misc_pool_norm_loops.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

enum class GlobalKind { kAverage, kMax, kLp };

// Elements worth a task of their own: keeps batch-1 small pools on one thread.
constexpr int64_t kElementsPerTask = 1 << 16;

template <class T>
T reduce_plane(const T* x, int64_t n, GlobalKind kind, double p) {
  if (kind == GlobalKind::kMax) {
    if (n == 0) return std::numeric_limits<T>::lowest();
    T m = x[0];
    for (int64_t i = 1; i < n; ++i) m = x[i] > m ? x[i] : m;
    return m;
  }
  double acc = 0;
  if (kind == GlobalKind::kAverage) {
    for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(x[i]);
    return n > 0 ? static_cast<T>(acc / static_cast<double>(n)) : T(0);
  }
  for (int64_t i = 0; i < n; ++i) {
    const double a = std::abs(static_cast<double>(x[i]));
    acc += p == 2 ? a * a : p == 1 ? a : std::pow(a, p);
  }
  return static_cast<T>(p == 2 ? std::sqrt(acc) : p == 1 ? acc : std::pow(acc, 1.0 / p));
}

class GlobalPoolKernel final : public OpKernel {
 public:
  GlobalPoolKernel(GlobalKind kind, double p, const misc::PoolNormLoops* loops) : kind_(kind), p_(p), loops_(loops) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(node, "missing input X");
    if (x->rank() < 2) return bad_node(node, "input must have rank >= 2 (N, C, ...), got " + shape_to_string(x->shape()));
    Dims ys(x->shape());  // inline: allocate_output_dims copies it into the output's shape
    for (size_t d = 2; d < ys.size(); ++d) ys[d] = 1;
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, x->dtype(), ys));
    const int64_t planes = ys[0] * ys[1];
    if (planes == 0) return {};
    const int64_t plane = x->numel() / planes;
    const int64_t grain = std::max<int64_t>(1, kElementsPerTask / std::max<int64_t>(1, plane));

    if (x->dtype() == DataType::kFloat32 && kind_ != GlobalKind::kLp && plane > 0) {
      const float* xd = x->data<float>();
      float* yd = y->data<float>();
      const float inv = 1.0f / static_cast<float>(plane);
      parallel_for_range(planes, grain, ctx.max_threads, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
          yd[i] = kind_ == GlobalKind::kMax ? loops_->max(xd + i * plane, plane) : loops_->sum(xd + i * plane, plane) * inv;
      });
      return {};
    }
    return dispatch_dtype_or<float, double>(
        x->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          const T* xd = x->data<T>();
          T* yd = y->data<T>();
          parallel_for_range(planes, grain, ctx.max_threads, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) yd[i] = reduce_plane<T>(xd + i * plane, plane, kind_, p_);
          });
          return {};
        },
        [&] { return unsupported_dtype(node, x->dtype()); });
  }

 private:
  GlobalKind kind_;
  double p_;
  const misc::PoolNormLoops* loops_;
};

Result<std::unique_ptr<OpKernel>> make_global_pool(const KernelInit& init, GlobalKind kind) {
  const Node& node = *init.node;
  if (!init.has_input(0)) return bad_node(node, "needs input X");
  const DataType dtype = init.input_dtype(0);
  if (dtype != DataType::kUndefined && dtype != DataType::kFloat32 && dtype != DataType::kFloat64)
    return unsupported_dtype(node, dtype);
  double p = 2;
  if (kind == GlobalKind::kLp) {
    p = attr_float(node, "p", 2.0f);  // a float before opset 2, an int after
    if (!(p > 0)) return bad_node(node, "p must be positive");
  }
  return std::unique_ptr<OpKernel>(new GlobalPoolKernel(kind, p, &misc::pool_norm_loops()));
}

Result<std::unique_ptr<OpKernel>> make_global_average(const KernelInit& init) {
  return make_global_pool(init, GlobalKind::kAverage);
}
Result<std::unique_ptr<OpKernel>> make_global_max(const KernelInit& init) { return make_global_pool(init, GlobalKind::kMax); }
Result<std::unique_ptr<OpKernel>> make_global_lp(const KernelInit& init) { return make_global_pool(init, GlobalKind::kLp); }

}  // namespace

void register_misc_global_pool_kernels(OpRegistry& r) {
  r.add({"", "GlobalAveragePool", 1, 21, make_global_average});
  r.add({"", "GlobalMaxPool", 1, 21, make_global_max});
  r.add({"", "GlobalLpPool", 1, 21, make_global_lp});
}

}  // namespace braid::detail
