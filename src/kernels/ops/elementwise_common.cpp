// The generic unary and binary kernels of the elementwise family.
#include "kernels/ops/elementwise_common.h"

#include <cstring>

#include "kernels/attributes.h"
#include "kernels/broadcast.h"
#include "kernels/dims.h"
#include "kernels/parallel.h"

namespace braid::detail::ew {

bool is_float_dtype(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat64 || t == DataType::kFloat16 ||
         t == DataType::kBFloat16;
}

bool is_integer_dtype(DataType t) {
  switch (t) {
    case DataType::kInt8: case DataType::kInt16: case DataType::kInt32: case DataType::kInt64:
    case DataType::kUInt8: case DataType::kUInt16: case DataType::kUInt32: case DataType::kUInt64:
      return true;
    default:
      return false;
  }
}

bool is_signed_dtype(DataType t) {
  return is_float_dtype(t) || t == DataType::kInt8 || t == DataType::kInt16 || t == DataType::kInt32 ||
         t == DataType::kInt64;
}

Result<int64_t> resolve_axis(const Node& node, int64_t axis, int64_t rank, const char* what) {
  const int64_t lo = rank > 0 ? -rank : -1;  // a scalar accepts axis 0 and -1
  const int64_t hi = rank > 0 ? rank : 1;
  if (axis < lo || axis >= hi)
    return bad_node(node, std::string(what) + " " + std::to_string(axis) + " is out of range for rank " +
                              std::to_string(rank));
  return axis < 0 ? axis + hi : axis;
}

namespace {

// ---------------------------------------------------------------- unary
class UnaryKernel final : public OpKernel {
 public:
  UnaryKernel(const UnarySpec& spec, DataType dtype, UnaryFn fn, F32UnaryLoop f32)
      : spec_(spec), dtype_(dtype), fn_(fn), f32_(f32) {}

  Status compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(*ctx.node, "missing input 0");
    const DataType dt = x->dtype();
    UnaryFn fn = dt == dtype_ ? fn_ : spec_.resolve(dt);
    F32UnaryLoop f32 = dt == DataType::kFloat32 ? f32_ : nullptr;
    if (fn == nullptr && f32 == nullptr) return unsupported_dtype(*ctx.node, dt);
    const DataType out_dt = spec_.out_dtype == DataType::kUndefined ? dt : spec_.out_dtype;
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, out_dt, x->shape()));
    const auto* in = static_cast<const std::byte*>(x->raw_data());
    auto* out = static_cast<std::byte*>(y->raw_data());
    const size_t in_size = dtype_size(dt);
    const size_t out_size = dtype_size(out_dt);
    parallel_for_range(x->numel(), kElementwiseGrain, ctx.max_threads, [&](int64_t b, int64_t e) {
      if (f32)
        f32(reinterpret_cast<const float*>(in) + b, reinterpret_cast<float*>(out) + b, e - b);
      else
        fn(in + b * in_size, out + b * out_size, e - b, spec_.params);
    });
    return {};
  }

 private:
  UnarySpec spec_;
  DataType dtype_;
  UnaryFn fn_;
  F32UnaryLoop f32_;
};

// ---------------------------------------------------------------- binary
class BinaryKernel final : public OpKernel {
 public:
  BinaryKernel(const BinarySpec& spec, DataType a, DataType b, BinaryImpl impl, int64_t legacy_axis,
               bool legacy_has_axis, bool legacy_broadcast)
      : spec_(spec), a_dtype_(a), b_dtype_(b), impl_(impl), legacy_axis_(legacy_axis),
        legacy_has_axis_(legacy_has_axis), legacy_broadcast_(legacy_broadcast) {}

  Status compute(KernelContext& ctx) const override {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    if (a == nullptr || b == nullptr) return bad_node(*ctx.node, "needs two inputs");
    BinaryImpl impl = a->dtype() == a_dtype_ && b->dtype() == b_dtype_
                          ? impl_
                          : spec_.resolve(a->dtype(), b->dtype(), spec_.variant);
    if (impl.segment == nullptr)
      return unsupported_dtype(*ctx.node, a->dtype() == a_dtype_ ? b->dtype() : a->dtype());
    const DataType out_dt = impl.out_dtype == DataType::kUndefined ? a->dtype() : impl.out_dtype;

    const Shape* b_shape = &b->shape();
    Shape b_reshaped;  // only the opset < 7 modes re-align B
    Dims out_shape;    // inline: no Shape is built per call
    BRAID_RETURN_IF_ERROR(output_shape(*ctx.node, a->shape(), &b_shape, &b_reshaped, &out_shape));
    if (spec_.check_zero_divisor && impl.has_zero && impl.has_zero(b->raw_data(), b->numel()))
      return bad_node(*ctx.node, "integer division by zero");
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, out_dt, out_shape));
    BroadcastPlan plan;
    const Shape* shapes[] = {&a->shape(), b_shape};
    Status st = make_broadcast_plan(y->shape(), shapes, &plan);  // y's shape is out_shape
    if (!st.ok()) return bad_node(*ctx.node, st.message());

    const auto* pa = static_cast<const std::byte*>(a->raw_data());
    const auto* pb = static_cast<const std::byte*>(b->raw_data());
    auto* po = static_cast<std::byte*>(y->raw_data());
    const int64_t sa = static_cast<int64_t>(dtype_size(a->dtype()));
    const int64_t sb = static_cast<int64_t>(dtype_size(b->dtype()));
    const int64_t so = static_cast<int64_t>(dtype_size(out_dt));
    const int64_t step_a = plan.inner_stride(0);
    const int64_t step_b = plan.inner_stride(1);
    parallel_for_range(plan.numel, kElementwiseGrain, ctx.max_threads, [&](int64_t begin, int64_t end) {
      for_each_broadcast_segment(plan, begin, end, [&](int64_t o, const int64_t* off, int64_t n) {
        impl.segment(pa + off[0] * sa, step_a, pb + off[1] * sb, step_b, po + o * so, n, impl);
      });
    });
    return {};
  }

 private:
  // The output shape; points *b at `reshaped` when an opset < 7 mode re-aligns B.
  Status output_shape(const Node& node, const Shape& a, const Shape** b, Shape* reshaped, Dims* out) const {
    switch (spec_.broadcast) {
      case BinaryBroadcast::kLegacy:
        if (!legacy_broadcast_) {
          if (a != **b)
            return bad_node(node, "shapes " + shape_to_string(a) + " and " + shape_to_string(**b) +
                                      " differ and broadcast is not set");
        } else if (legacy_broadcast_shape(**b, static_cast<int64_t>(a.size()), legacy_axis_, legacy_has_axis_,
                                          reshaped)) {
          *b = reshaped;
        } else {
          return bad_node(node, "cannot broadcast " + shape_to_string(**b) + " to " + shape_to_string(a) +
                                    " at axis " + std::to_string(legacy_axis_));
        }
        break;
      case BinaryBroadcast::kChannel:
        if ((*b)->size() == 1 && a.size() >= 2 && (**b)[0] == a[1] && a[1] != 1) {
          reshaped->assign(a.size() - 1, 1);
          (*reshaped)[0] = a[1];
          *b = reshaped;
        }
        break;
      default:
        break;
    }
    const Shape* shapes[] = {&a, *b};
    if (!broadcast_dims(shapes, out))
      return bad_node(node, "shapes " + shape_to_string(a) + " and " + shape_to_string(**b) + " do not broadcast");
    if (spec_.broadcast != BinaryBroadcast::kNumpy && !std::ranges::equal(*out, a))
      return bad_node(node, "shape " + shape_to_string(**b) + " does not broadcast to " + shape_to_string(a));
    return {};
  }

  BinarySpec spec_;
  DataType a_dtype_, b_dtype_;
  BinaryImpl impl_;
  int64_t legacy_axis_;
  bool legacy_has_axis_;
  bool legacy_broadcast_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> make_unary_kernel(const KernelInit& init, const UnarySpec& spec) {
  if (!init.has_input(0)) return bad_node(*init.node, "needs one input");
  const DataType dt = init.input_dtype(0);
  UnaryFn fn = spec.resolve(dt);
  F32UnaryLoop f32 = nullptr;
  if (spec.f32_simd >= 0) f32 = select_f32_simd().unary[spec.f32_simd];
  if (dt != DataType::kUndefined && fn == nullptr) return unsupported_dtype(*init.node, dt);
  return std::unique_ptr<OpKernel>(new UnaryKernel(spec, dt, fn, f32));
}

Result<std::unique_ptr<OpKernel>> make_binary_kernel(const KernelInit& init, const BinarySpec& spec) {
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(*init.node, "needs two inputs");
  const DataType a = init.input_dtype(0);
  const DataType b = init.input_dtype(1);
  BinaryImpl impl;
  if (a != DataType::kUndefined && b != DataType::kUndefined) {
    impl = spec.resolve(a, b, spec.variant);
    if (impl.segment == nullptr) {
      if (spec.resolve(a, a, spec.variant).segment == nullptr) return unsupported_dtype(*init.node, a);
      if (a == b || spec.resolve(b, b, spec.variant).segment == nullptr) return unsupported_dtype(*init.node, b);
      return bad_node(*init.node, std::string("input dtypes ") + dtype_name(a) + " and " + dtype_name(b) +
                                      " do not match");
    }
  }
  const bool legacy_broadcast = spec.broadcast == BinaryBroadcast::kLegacy && attr_int(*init.node, "broadcast", 0) != 0;
  return std::unique_ptr<OpKernel>(new BinaryKernel(spec, a, b, impl, attr_int(*init.node, "axis", 0),
                                                    has_attr(*init.node, "axis"), legacy_broadcast));
}

void f32_simd_segment(const void* a, int64_t a_step, const void* b, int64_t b_step, void* out, int64_t n,
                      const BinaryImpl& impl) {
  const auto* fa = static_cast<const float*>(a);
  const auto* fb = static_cast<const float*>(b);
  auto* fo = static_cast<float*>(out);
  if (a_step && b_step) {
    impl.f32[kVecVec](fa, fb, fo, n);
  } else if (a_step) {
    impl.f32[kVecScalar](fa, fb, fo, n);
  } else if (b_step) {
    impl.f32[kScalarVec](fa, fb, fo, n);
  } else {
    impl.f32[kVecVec](fa, fb, fo, 1);
    for (int64_t i = 1; i < n; ++i) fo[i] = fo[0];
  }
}

}  // namespace braid::detail::ew
