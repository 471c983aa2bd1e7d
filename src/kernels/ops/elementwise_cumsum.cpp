// CumSum along the axis given by input 1 (an int32/int64 scalar), with the exclusive and
// reverse attributes. Each output row is the previous output row plus one input row, so
// the inner loop runs over contiguous memory.
#include <cstring>

#include "kernels/attributes.h"
#include "kernels/ops/elementwise_common.h"
#include "kernels/ops/elementwise_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace ew;  // the family's shared helpers (elementwise_common.h)

namespace {

// One outer block: n rows of `inner` elements.
template <class T>
void cumsum_block(const T* x, T* y, int64_t n, int64_t inner, bool exclusive, bool reverse) {
  using C = typename Arith<T>::type;
  for (int64_t s = 0; s < n; ++s) {
    const int64_t j = reverse ? n - 1 - s : s;
    T* row = y + j * inner;
    if (s == 0) {
      for (int64_t k = 0; k < inner; ++k) row[k] = exclusive ? Arith<T>::store(C{0}) : x[j * inner + k];
      continue;
    }
    const int64_t prev = reverse ? j + 1 : j - 1;
    const T* prev_out = y + prev * inner;
    const T* add = x + (exclusive ? prev : j) * inner;
    for (int64_t k = 0; k < inner; ++k)
      row[k] = Arith<T>::store(wrap_add(Arith<T>::load(prev_out[k]), Arith<T>::load(add[k])));
  }
}

class CumSumKernel final : public OpKernel {
 public:
  CumSumKernel(bool exclusive, bool reverse) : exclusive_(exclusive), reverse_(reverse) {}

  Status compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* a = ctx.input(1);
    if (x == nullptr || a == nullptr) return bad_node(*ctx.node, "needs inputs x and axis");
    if (a->numel() != 1) return bad_node(*ctx.node, "axis must be a scalar");
    int64_t axis_value;
    if (a->dtype() == DataType::kInt64) axis_value = *a->data<int64_t>();
    else if (a->dtype() == DataType::kInt32) axis_value = *a->data<int32_t>();
    else return bad_node(*ctx.node, std::string("axis must be int32 or int64, not ") + dtype_name(a->dtype()));
    const int64_t rank = x->rank();
    if (rank == 0) return bad_node(*ctx.node, "input must have rank >= 1");
    BRAID_ASSIGN_OR_RETURN(int64_t axis, resolve_axis(*ctx.node, axis_value, rank));
    int64_t outer = 1, inner = 1;
    const int64_t n = x->dim(static_cast<size_t>(axis));
    for (int64_t d = 0; d < rank; ++d) {
      if (d < axis) outer *= x->dim(static_cast<size_t>(d));
      if (d > axis) inner *= x->dim(static_cast<size_t>(d));
    }
    return dispatch_dtype_or<float, double, Float16, BFloat16, int32_t, int64_t, uint32_t, uint64_t>(
        x->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, x->dtype(), x->shape()));
          if (x->numel() == 0) return {};
          const T* in = x->data<T>();
          T* out = y->data<T>();
          const int64_t block = n * inner;
          const int64_t grain = kElementwiseGrain / block > 0 ? kElementwiseGrain / block : 1;
          parallel_for_range(outer, grain, ctx.max_threads, [&](int64_t b, int64_t e) {
            for (int64_t o = b; o < e; ++o)
              cumsum_block<T>(in + o * block, out + o * block, n, inner, exclusive_, reverse_);
          });
          return {};
        },
        [&] { return unsupported_dtype(*ctx.node, x->dtype()); });
  }

 private:
  bool exclusive_;
  bool reverse_;
};

Result<std::unique_ptr<OpKernel>> make_cumsum(const KernelInit& init) {
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(*init.node, "needs inputs x and axis");
  const DataType dt = init.input_dtype(0);
  const bool ok = dt == DataType::kUndefined || is_float_dtype(dt) || dt == DataType::kInt32 ||
                  dt == DataType::kInt64 || dt == DataType::kUInt32 || dt == DataType::kUInt64;
  if (!ok) return unsupported_dtype(*init.node, dt);
  return std::unique_ptr<OpKernel>(new CumSumKernel(attr_int(*init.node, "exclusive", 0) != 0,
                                                    attr_int(*init.node, "reverse", 0) != 0));
}

}  // namespace

void register_elementwise_cumsum(OpRegistry& r) {
  r.add({"", "CumSum", 11, 1 << 30, make_cumsum});
}

}  // namespace braid::detail
