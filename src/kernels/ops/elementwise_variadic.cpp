// Variadic broadcasting ops: Min, Max, Sum, Mean (any number of inputs, numpy broadcasting
// in every opset, a superset of the same-shape rule before opset 8), and Where.
#include <cstring>
#include <type_traits>

#include "kernels/broadcast.h"
#include "kernels/dims.h"
#include "kernels/ops/elementwise_common.h"
#include "kernels/ops/elementwise_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace ew;  // the family's shared helpers (elementwise_common.h)

namespace {

struct OpSum {
  template <class C>
  static C apply(C a, C b) { return wrap_add(a, b); }
};
template <class C>
bool is_nan(C v) {
  if constexpr (std::is_floating_point_v<C>) return v != v;
  else return false;
}
struct OpMin {  // NaN propagates, like numpy
  template <class C>
  static C apply(C a, C b) { return (a < b || is_nan(a)) ? a : b; }
};
struct OpMax {
  template <class C>
  static C apply(C a, C b) { return (a > b || is_nan(a)) ? a : b; }
};

template <class Op, F32BinaryOp kSimd, class... Ts>
BinaryImpl resolve_variadic(DataType a, DataType b, int) {
  if (a == DataType::kFloat32 && b == DataType::kFloat32) {
    BinaryImpl impl;
    impl.segment = f32_simd_segment;
    impl.out_dtype = DataType::kFloat32;
    const F32SimdTable& simd = select_f32_simd();
    for (int k = 0; k < kF32OperandsCount; ++k) impl.f32[k] = simd.binary[kSimd][k];
    return impl;
  }
  return resolve_binary<Op, void, Ts...>(a, b, 0);
}

BinaryImpl resolve_sum(DataType a, DataType b, int v) {
  return resolve_variadic<OpSum, kF32Add, double, Float16, BFloat16>(a, b, v);
}
BinaryImpl resolve_min(DataType a, DataType b, int v) {
  return resolve_variadic<OpMin, kF32Min, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t,
                          uint16_t, uint32_t, uint64_t>(a, b, v);
}
BinaryImpl resolve_max(DataType a, DataType b, int v) {
  return resolve_variadic<OpMax, kF32Max, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t,
                          uint16_t, uint32_t, uint64_t>(a, b, v);
}

// Runs impl over out = a op b with broadcasting; `out` may alias `a` (same shape).
Status run_pair(const Node& node, const BinaryImpl& impl, const Tensor& a, const Tensor& b, Tensor& out,
                int max_threads) {
  BroadcastPlan plan;
  const Shape* shapes[] = {&a.shape(), &b.shape()};
  Status st = make_broadcast_plan(out.shape(), shapes, &plan);
  if (!st.ok()) return bad_node(node, st.message());
  const auto* pa = static_cast<const std::byte*>(a.raw_data());
  const auto* pb = static_cast<const std::byte*>(b.raw_data());
  auto* po = static_cast<std::byte*>(out.raw_data());
  const int64_t size = static_cast<int64_t>(dtype_size(out.dtype()));
  const int64_t step_a = plan.inner_stride(0);
  const int64_t step_b = plan.inner_stride(1);
  parallel_for_range(plan.numel, kElementwiseGrain, max_threads, [&](int64_t begin, int64_t end) {
    for_each_broadcast_segment(plan, begin, end, [&](int64_t o, const int64_t* off, int64_t n) {
      impl.segment(pa + off[0] * size, step_a, pb + off[1] * size, step_b, po + o * size, n, impl);
    });
  });
  return {};
}

template <class T>
void scale_by(Tensor& t, double s) {
  T* p = t.data<T>();
  using C = typename Arith<T>::type;
  const C f = static_cast<C>(s);
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = Arith<T>::store(Arith<T>::load(p[i]) * f);
}

class VariadicKernel final : public OpKernel {
 public:
  VariadicKernel(BinaryResolver resolve, DataType dtype, BinaryImpl impl, bool mean)
      : resolve_(resolve), dtype_(dtype), impl_(impl), mean_(mean) {}

  Status compute(KernelContext& ctx) const override {
    const size_t n = ctx.num_inputs();
    if (n == 0) return bad_node(*ctx.node, "needs at least one input");
    constexpr size_t kInline = 16;
    const Shape* inline_shapes[kInline];
    std::vector<const Shape*> heap_shapes;
    const Shape** shapes = inline_shapes;
    if (n > kInline) {
      heap_shapes.resize(n);
      shapes = heap_shapes.data();
    }
    const DataType dt = ctx.input(0) ? ctx.input(0)->dtype() : DataType::kUndefined;
    for (size_t i = 0; i < n; ++i) {
      const Tensor* t = ctx.input(i);
      if (t == nullptr) return bad_node(*ctx.node, "input " + std::to_string(i) + " is missing");
      if (t->dtype() != dt)
        return bad_node(*ctx.node, std::string("inputs have dtypes ") + dtype_name(dt) + " and " + dtype_name(t->dtype()));
      shapes[i] = &t->shape();
    }
    const BinaryImpl impl = dt == dtype_ ? impl_ : resolve_(dt, dt, 0);
    if (impl.segment == nullptr) return unsupported_dtype(*ctx.node, dt);
    Dims out_shape;  // inline: no Shape is built per call
    if (!broadcast_dims(std::span<const Shape* const>(shapes, n), &out_shape))
      return bad_node(*ctx.node, "input shapes do not broadcast");
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, dt, out_shape));
    if (n == 1) {
      if (y->byte_size() > 0) std::memcpy(y->raw_data(), ctx.input(0)->raw_data(), y->byte_size());
    } else {
      BRAID_RETURN_IF_ERROR(run_pair(*ctx.node, impl, *ctx.input(0), *ctx.input(1), *y, ctx.max_threads));
      for (size_t i = 2; i < n; ++i)
        BRAID_RETURN_IF_ERROR(run_pair(*ctx.node, impl, *y, *ctx.input(i), *y, ctx.max_threads));
    }
    if (mean_) {
      const double s = 1.0 / static_cast<double>(n);
      return dispatch_dtype_or<float, double, Float16, BFloat16>(
          dt, [&](auto tag) { scale_by<decltype(tag)>(*y, s); return Status{}; },
          [&] { return unsupported_dtype(*ctx.node, dt); });
    }
    return {};
  }

 private:
  BinaryResolver resolve_;
  DataType dtype_;
  BinaryImpl impl_;
  bool mean_;
};

template <BinaryResolver R, bool kMean = false>
Result<std::unique_ptr<OpKernel>> make_variadic(const KernelInit& init) {
  if (init.num_inputs() == 0) return bad_node(*init.node, "needs at least one input");
  const DataType dt = init.input_dtype(0);
  BinaryImpl impl;
  if (dt != DataType::kUndefined) {
    impl = R(dt, dt, 0);
    if (impl.segment == nullptr) return unsupported_dtype(*init.node, dt);
  }
  return std::unique_ptr<OpKernel>(new VariadicKernel(R, dt, impl, kMean));
}

// ---------------------------------------------------------------- Where
template <class U>
void where_segment(const bool* c, int64_t cs, const U* x, int64_t xs, const U* y, int64_t ys, U* out, int64_t n) {
  if (cs && xs && ys) {
    for (int64_t i = 0; i < n; ++i) out[i] = c[i] ? x[i] : y[i];
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = c[i * cs] ? x[i * xs] : y[i * ys];
  }
}

class WhereKernel final : public OpKernel {
 public:
  Status compute(KernelContext& ctx) const override {
    const Tensor* c = ctx.input(0);
    const Tensor* x = ctx.input(1);
    const Tensor* y = ctx.input(2);
    if (!c || !x || !y) return bad_node(*ctx.node, "needs three inputs");
    if (c->dtype() != DataType::kBool) return bad_node(*ctx.node, "condition must be bool");
    if (x->dtype() != y->dtype())
      return bad_node(*ctx.node, std::string("X and Y have dtypes ") + dtype_name(x->dtype()) + " and " +
                                     dtype_name(y->dtype()));
    const size_t size = dtype_size(x->dtype());
    if (size == 0) return unsupported_dtype(*ctx.node, x->dtype());
    const Shape* shapes[] = {&c->shape(), &x->shape(), &y->shape()};
    Shape out_shape;
    if (!broadcast_shapes(shapes, &out_shape)) return bad_node(*ctx.node, "input shapes do not broadcast");
    BRAID_ASSIGN_OR_RETURN(Tensor * out, ctx.allocate_output_dims(0, x->dtype(), out_shape));
    BroadcastPlan plan;
    Status st = make_broadcast_plan(out_shape, shapes, &plan);
    if (!st.ok()) return bad_node(*ctx.node, st.message());
    switch (size) {
      case 1: run<uint8_t>(plan, *c, *x, *y, *out, ctx.max_threads); break;
      case 2: run<uint16_t>(plan, *c, *x, *y, *out, ctx.max_threads); break;
      case 4: run<uint32_t>(plan, *c, *x, *y, *out, ctx.max_threads); break;
      case 8: run<uint64_t>(plan, *c, *x, *y, *out, ctx.max_threads); break;
      default: return unsupported_dtype(*ctx.node, x->dtype());
    }
    return {};
  }

 private:
  template <class U>
  static void run(const BroadcastPlan& plan, const Tensor& c, const Tensor& x, const Tensor& y, Tensor& out,
                  int max_threads) {
    const bool* pc = c.data<bool>();
    const U* px = static_cast<const U*>(x.raw_data());
    const U* py = static_cast<const U*>(y.raw_data());
    U* po = static_cast<U*>(out.raw_data());
    parallel_for_range(plan.numel, kElementwiseGrain, max_threads, [&](int64_t begin, int64_t end) {
      for_each_broadcast_segment(plan, begin, end, [&](int64_t o, const int64_t* off, int64_t n) {
        where_segment<U>(pc + off[0], plan.inner_stride(0), px + off[1], plan.inner_stride(1), py + off[2],
                         plan.inner_stride(2), po + o, n);
      });
    });
  }
};

Result<std::unique_ptr<OpKernel>> make_where(const KernelInit& init) {
  if (init.num_inputs() != 3) return bad_node(*init.node, "needs three inputs");
  const DataType c = init.input_dtype(0);
  if (c != DataType::kUndefined && c != DataType::kBool) return unsupported_dtype(*init.node, c, "condition");
  const DataType x = init.input_dtype(1);
  if (x == DataType::kString) return unsupported_dtype(*init.node, x);
  return std::unique_ptr<OpKernel>(new WhereKernel());
}

}  // namespace

void register_elementwise_variadic(OpRegistry& r) {
  constexpr int kAll = 1 << 30;
  r.add({"", "Sum", 1, kAll, make_variadic<resolve_sum>});
  r.add({"", "Mean", 1, kAll, make_variadic<resolve_sum, true>});
  r.add({"", "Min", 1, kAll, make_variadic<resolve_min>});
  r.add({"", "Max", 1, kAll, make_variadic<resolve_max>});
  r.add({"", "Where", 9, kAll, make_where});
}

}  // namespace braid::detail
