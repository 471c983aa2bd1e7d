// ArgMax and ArgMin along `axis` (default 0) with keepdims (default 1) and, from opset 12,
// select_last_index. The output is int64; an empty axis is an error.
#include <type_traits>

#include "kernels/attributes.h"
#include "kernels/ops/elementwise_common.h"
#include "kernels/ops/elementwise_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace ew;  // the family's shared helpers (elementwise_common.h)

namespace {

template <class T, bool kMax>
void arg_lanes(const T* in, int64_t* out, int64_t n, int64_t inner, bool last, int64_t begin, int64_t end) {
  for (int64_t lane = begin; lane < end; ++lane) {
    const T* p = in + (lane / inner) * n * inner + lane % inner;
    auto best = Arith<T>::load(p[0]);
    int64_t arg = 0;
    for (int64_t j = 1; j < n; ++j) {
      const auto v = Arith<T>::load(p[j * inner]);
      const bool better = kMax ? (last ? v >= best : v > best) : (last ? v <= best : v < best);
      if (better) {
        best = v;
        arg = j;
      }
    }
    out[lane] = arg;
  }
}

class ArgKernel final : public OpKernel {
 public:
  ArgKernel(bool max, int64_t axis, bool keepdims, bool last)
      : max_(max), axis_(axis), keepdims_(keepdims), last_(last) {}

  Status compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(*ctx.node, "missing input 0");
    const int64_t rank = x->rank();
    if (rank == 0) return bad_node(*ctx.node, "input must have rank >= 1");
    BRAID_ASSIGN_OR_RETURN(int64_t axis, resolve_axis(*ctx.node, axis_, rank));
    int64_t outer = 1, inner = 1;
    const int64_t n = x->dim(static_cast<size_t>(axis));
    Shape out_shape;
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t dim = x->dim(static_cast<size_t>(d));
      if (d < axis) outer *= dim;
      if (d > axis) inner *= dim;
      if (d != axis) out_shape.push_back(dim);
      else if (keepdims_) out_shape.push_back(1);
    }
    if (n == 0 && outer * inner > 0) return bad_node(*ctx.node, "cannot take the index of an empty axis");
    return dispatch_dtype_or<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                             uint32_t, uint64_t>(
        x->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DataType::kInt64, out_shape));
          const T* in = x->data<T>();
          int64_t* out = y->data<int64_t>();
          const int64_t grain = n > 0 && kElementwiseGrain / n > 0 ? kElementwiseGrain / n : 1;
          parallel_for_range(outer * inner, grain, ctx.max_threads, [&](int64_t b, int64_t e) {
            if (max_) arg_lanes<T, true>(in, out, n, inner, last_, b, e);
            else arg_lanes<T, false>(in, out, n, inner, last_, b, e);
          });
          return {};
        },
        [&] { return unsupported_dtype(*ctx.node, x->dtype()); });
  }

 private:
  bool max_;
  int64_t axis_;
  bool keepdims_;
  bool last_;
};

template <bool kMax>
Result<std::unique_ptr<OpKernel>> make_arg(const KernelInit& init) {
  if (!init.has_input(0)) return bad_node(*init.node, "needs one input");
  const DataType dt = init.input_dtype(0);
  if (dt != DataType::kUndefined && !is_float_dtype(dt) && !is_integer_dtype(dt))
    return unsupported_dtype(*init.node, dt);
  const int64_t axis = attr_int(*init.node, "axis", 0);
  if (auto shape = init.static_input_shape(0); shape && !shape->empty()) {
    auto checked = resolve_axis(*init.node, axis, static_cast<int64_t>(shape->size()));
    if (!checked.ok()) return checked.status();
  }
  return std::unique_ptr<OpKernel>(new ArgKernel(kMax, axis, attr_int(*init.node, "keepdims", 1) != 0,
                                                 attr_int(*init.node, "select_last_index", 0) != 0));
}

}  // namespace

void register_elementwise_argminmax(OpRegistry& r) {
  constexpr int kAll = 1 << 30;
  r.add({"", "ArgMax", 1, kAll, make_arg<true>});
  r.add({"", "ArgMin", 1, kAll, make_arg<false>});
}

}  // namespace braid::detail
