// TopK: the k largest (or smallest) elements along `axis` (default -1) and their int64
// indices. k is an attribute in opset 1 and a one-element int64 input from opset 10;
// `largest` and `sorted` come with opset 11. Equal values keep the lower index first, NaN
// ranks above every number (as numpy's sort), and the output is always sorted (the spec
// leaves the order free when sorted = 0).
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/attributes.h"
#include "kernels/ops/elementwise_common.h"
#include "kernels/ops/elementwise_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace ew;  // the family's shared helpers (elementwise_common.h)

namespace {

// a ranks strictly before b in descending order (NaN first, then larger values).
template <class V>
bool greater_nan_first(V a, V b) {
  if constexpr (std::is_floating_point_v<V>) {
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
  }
  return a > b;
}

template <class T>
void topk_lanes(const T* in, T* values, int64_t* indices, int64_t n, int64_t k, int64_t inner, bool largest,
                int64_t begin, int64_t end) {
  using V = decltype(Arith<T>::load(in[0]));
  std::vector<int64_t> order(static_cast<size_t>(n));  // one buffer per task, not per lane
  for (int64_t lane = begin; lane < end; ++lane) {
    const int64_t base = (lane / inner) * n * inner + lane % inner;
    const T* p = in + base;
    for (int64_t j = 0; j < n; ++j) order[static_cast<size_t>(j)] = j;
    auto before = [&](int64_t a, int64_t b) {
      const V va = Arith<T>::load(p[a * inner]), vb = Arith<T>::load(p[b * inner]);
      const bool ahead = largest ? greater_nan_first(va, vb) : greater_nan_first(vb, va);
      const bool behind = largest ? greater_nan_first(vb, va) : greater_nan_first(va, vb);
      return ahead || (!behind && a < b);  // ties: the lower index first
    };
    std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
    const int64_t out_base = (lane / inner) * k * inner + lane % inner;
    for (int64_t j = 0; j < k; ++j) {
      values[out_base + j * inner] = p[order[static_cast<size_t>(j)] * inner];
      indices[out_base + j * inner] = order[static_cast<size_t>(j)];
    }
  }
}

class TopKKernel final : public OpKernel {
 public:
  TopKKernel(int64_t axis, bool largest, int64_t k_attr) : axis_(axis), largest_(largest), k_attr_(k_attr) {}

  Status compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(*ctx.node, "missing input 0");
    const int64_t rank = x->rank();
    if (rank == 0) return bad_node(*ctx.node, "input must have rank >= 1");
    BRAID_ASSIGN_OR_RETURN(int64_t axis, resolve_axis(*ctx.node, axis_, rank));
    int64_t k = k_attr_;
    if (k < 0) {
      const Tensor* kt = ctx.input(1);
      if (kt == nullptr) return bad_node(*ctx.node, "missing input K");
      if (kt->dtype() != DataType::kInt64 || kt->numel() != 1)
        return bad_node(*ctx.node, "K must be a one-element int64 tensor");
      k = kt->data<int64_t>()[0];
    }
    const int64_t n = x->dim(static_cast<size_t>(axis));
    if (k < 0 || k > n)
      return bad_node(*ctx.node, "k = " + std::to_string(k) + " is outside [0, " + std::to_string(n) + "]");
    int64_t outer = 1, inner = 1;
    Shape out_shape = x->shape();
    out_shape[static_cast<size_t>(axis)] = k;
    for (int64_t d = 0; d < rank; ++d) {
      if (d < axis) outer *= x->dim(static_cast<size_t>(d));
      if (d > axis) inner *= x->dim(static_cast<size_t>(d));
    }
    return dispatch_dtype_or<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                             uint32_t, uint64_t>(
        x->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          BRAID_ASSIGN_OR_RETURN(Tensor * values, ctx.allocate_output(0, x->dtype(), out_shape));
          BRAID_ASSIGN_OR_RETURN(Tensor * indices, ctx.allocate_output(1, DataType::kInt64, out_shape));
          if (k == 0 || outer * inner == 0) return {};
          const int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(n, 1));
          parallel_for_range(outer * inner, grain, ctx.max_threads, [&](int64_t b, int64_t e) {
            topk_lanes<T>(x->data<T>(), values->data<T>(), indices->data<int64_t>(), n, k, inner, largest_, b, e);
          });
          return {};
        },
        [&] { return unsupported_dtype(*ctx.node, x->dtype()); });
  }

 private:
  int64_t axis_;
  bool largest_;
  int64_t k_attr_;  // opset 1; -1: read input K
};

Result<std::unique_ptr<OpKernel>> make_topk(const KernelInit& init) {
  if (!init.has_input(0)) return bad_node(*init.node, "needs input X");
  const DataType dt = init.input_dtype(0);
  if (dt != DataType::kUndefined && !is_float_dtype(dt) && !is_integer_dtype(dt))
    return unsupported_dtype(*init.node, dt);
  int64_t k_attr = -1;
  if (init.node->opset < 10) {
    k_attr = attr_int(*init.node, "k", -1);
    if (k_attr < 0) return bad_node(*init.node, "attribute k must be given and >= 0");
  } else if (!init.has_input(1)) {
    return bad_node(*init.node, "needs input K");
  }
  return std::unique_ptr<OpKernel>(
      new TopKKernel(attr_int(*init.node, "axis", -1), attr_int(*init.node, "largest", 1) != 0, k_attr));
}

}  // namespace

void register_elementwise_topk(OpRegistry& r) {
  constexpr int kAll = 1 << 30;
  r.add({"", "TopK", 1, kAll, make_topk});
}

}  // namespace braid::detail
