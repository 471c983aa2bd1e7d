// Softmax, LogSoftmax and Hardmax. Before opset 13 the input is coerced to 2-D at `axis`
// (default 1) and the op runs over the flattened trailing dims; from 13 it runs along the
// one dim `axis` (default -1). float32 rows over the last axis use the vectorized loops.
#include <cmath>

#include "kernels/attributes.h"
#include "kernels/ops/elementwise_common.h"
#include "kernels/ops/elementwise_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace ew;  // the family's shared helpers (elementwise_common.h)

namespace {

enum class SoftmaxKind { kSoftmax, kLogSoftmax, kHardmax };

// One lane: n elements `stride` apart, in the arithmetic type of T.
template <class T>
void softmax_lane(const T* x, T* y, int64_t n, int64_t stride, SoftmaxKind kind) {
  using C = typename Arith<T>::type;
  C m = Arith<T>::load(x[0]);
  int64_t arg = 0;
  for (int64_t j = 1; j < n; ++j) {
    const C v = Arith<T>::load(x[j * stride]);
    if (v > m) {
      m = v;
      arg = j;
    }
  }
  if (kind == SoftmaxKind::kHardmax) {
    for (int64_t j = 0; j < n; ++j) y[j * stride] = Arith<T>::store(j == arg ? C{1} : C{0});
    return;
  }
  C sum = 0;
  for (int64_t j = 0; j < n; ++j) sum += std::exp(Arith<T>::load(x[j * stride]) - m);
  if (kind == SoftmaxKind::kLogSoftmax) {
    const C shift = m + std::log(sum);
    for (int64_t j = 0; j < n; ++j) y[j * stride] = Arith<T>::store(Arith<T>::load(x[j * stride]) - shift);
  } else {
    const C inv = C{1} / sum;
    for (int64_t j = 0; j < n; ++j) y[j * stride] = Arith<T>::store(std::exp(Arith<T>::load(x[j * stride]) - m) * inv);
  }
}

class SoftmaxKernel final : public OpKernel {
 public:
  SoftmaxKernel(SoftmaxKind kind, int64_t axis, bool coerce_2d, F32RowsLoop f32_rows)
      : kind_(kind), axis_(axis), coerce_2d_(coerce_2d), f32_rows_(f32_rows) {}

  Status compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(*ctx.node, "missing input 0");
    const int64_t rank = x->rank();
    BRAID_ASSIGN_OR_RETURN(int64_t axis, resolve_axis(*ctx.node, axis_, rank));
    int64_t outer = 1, n = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t dim = x->dim(static_cast<size_t>(d));
      if (d < axis) outer *= dim;
      else if (d == axis || coerce_2d_) n *= dim;
      else inner *= dim;
    }
    return dispatch_dtype_or<float, double, Float16, BFloat16>(
        x->dtype(), [&](auto tag) { return run<decltype(tag)>(ctx, *x, outer, n, inner); },
        [&] { return unsupported_dtype(*ctx.node, x->dtype()); });
  }

 private:
  template <class T>
  Status run(KernelContext& ctx, const Tensor& x, int64_t outer, int64_t n, int64_t inner) const {
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, x.dtype(), x.shape()));
    if (x.numel() == 0) return {};
    const T* in = x.data<T>();
    T* out = y->data<T>();
    const int64_t lane_grain = kElementwiseGrain / n > 0 ? kElementwiseGrain / n : 1;
    if constexpr (std::is_same_v<T, float>) {
      if (inner == 1 && f32_rows_ != nullptr) {
        parallel_for_range(outer, lane_grain, ctx.max_threads,
                           [&](int64_t b, int64_t e) { f32_rows_(in + b * n, out + b * n, e - b, n); });
        return {};
      }
    }
    parallel_for_range(outer * inner, lane_grain, ctx.max_threads, [&](int64_t b, int64_t e) {
      for (int64_t lane = b; lane < e; ++lane) {
        const int64_t base = (lane / inner) * n * inner + lane % inner;
        softmax_lane<T>(in + base, out + base, n, inner, kind_);
      }
    });
    return {};
  }

  SoftmaxKind kind_;
  int64_t axis_;
  bool coerce_2d_;
  F32RowsLoop f32_rows_;
};

template <SoftmaxKind kKind>
Result<std::unique_ptr<OpKernel>> make_softmax(const KernelInit& init) {
  if (!init.has_input(0)) return bad_node(*init.node, "needs one input");
  const DataType dt = init.input_dtype(0);
  if (dt != DataType::kUndefined && !is_float_dtype(dt)) return unsupported_dtype(*init.node, dt);
  const bool coerce = init.opset() < 13;
  const int64_t axis = attr_int(*init.node, "axis", coerce ? 1 : -1);
  if (auto shape = init.static_input_shape(0)) {
    auto checked = resolve_axis(*init.node, axis, static_cast<int64_t>(shape->size()));
    if (!checked.ok()) return checked.status();
  }
  F32RowsLoop rows = nullptr;
  if (kKind == SoftmaxKind::kSoftmax) rows = select_f32_simd().softmax_rows;
  if (kKind == SoftmaxKind::kLogSoftmax) rows = select_f32_simd().log_softmax_rows;
  return std::unique_ptr<OpKernel>(new SoftmaxKernel(kKind, axis, coerce, rows));
}

}  // namespace

void register_elementwise_softmax(OpRegistry& r) {
  constexpr int kAll = 1 << 30;
  r.add({"", "Softmax", 1, kAll, make_softmax<SoftmaxKind::kSoftmax>});
  r.add({"", "LogSoftmax", 1, kAll, make_softmax<SoftmaxKind::kLogSoftmax>});
  r.add({"", "Hardmax", 1, kAll, make_softmax<SoftmaxKind::kHardmax>});
}

}  // namespace braid::detail
