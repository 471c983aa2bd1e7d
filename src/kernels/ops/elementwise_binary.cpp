// Broadcasting arithmetic: Add, Sub, Mul, Div, Pow (base and exponent of different dtypes
// from opset 12), Mod, BitShift, And, Or, Xor and PRelu. float32 Add/Sub/Mul/Div run the
// vectorized table loops; integer Div and Mod reject a zero divisor.
#include <cmath>
#include <type_traits>

#include "kernels/attributes.h"
#include "kernels/ops/elementwise_common.h"
#include "kernels/ops/elementwise_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace ew;  // the family's shared helpers (elementwise_common.h)

namespace {

struct OpAdd {
  template <class C>
  static C apply(C a, C b) { return wrap_add(a, b); }
};
struct OpSub {
  template <class C>
  static C apply(C a, C b) { return wrap_sub(a, b); }
};
struct OpMul {
  template <class C>
  static C apply(C a, C b) { return wrap_mul(a, b); }
};
struct OpDiv {  // integers truncate; a zero divisor was rejected before the loop runs
  template <class C>
  static C apply(C a, C b) {
    if constexpr (std::is_integral_v<C>) {
      if (b == C{0}) return C{0};
      if constexpr (std::is_signed_v<C>)
        if (b == C{-1}) return wrap_sub(C{0}, a);  // INT_MIN / -1 would trap
      return static_cast<C>(a / b);
    } else {
      return a / b;
    }
  }
};
struct OpModTrunc {  // fmod = 1: the sign of the dividend
  template <class C>
  static C apply(C a, C b) {
    if constexpr (std::is_integral_v<C>) {
      if (b == C{0}) return C{0};
      if constexpr (std::is_signed_v<C>)
        if (b == C{-1}) return C{0};
      return static_cast<C>(a % b);
    } else {
      return std::fmod(a, b);
    }
  }
};
struct OpModFloor {  // fmod = 0: the sign of the divisor (Python's %)
  template <class C>
  static C apply(C a, C b) {
    C r = OpModTrunc::apply(a, b);
    if constexpr (std::is_unsigned_v<C>) {
      return r;
    } else {
      if (r != C{0} && ((r < C{0}) != (b < C{0}))) r = static_cast<C>(r + b);
      return r;
    }
  }
};
struct OpPow {
  template <class A, class B>
  static A apply(A a, B b) {
    if constexpr (std::is_same_v<A, float> && std::is_same_v<B, float>)
      return std::pow(a, b);
    else
      return from_double<A>(std::pow(static_cast<double>(a), static_cast<double>(b)));
  }
};
template <bool kLeft>
struct OpShift {
  template <class C>
  static C apply(C a, C b) {
    if (b >= static_cast<C>(sizeof(C) * 8)) return C{0};
    return kLeft ? static_cast<C>(a << b) : static_cast<C>(a >> b);
  }
};
struct OpAnd { static bool apply(bool a, bool b) { return a && b; } };
struct OpOr { static bool apply(bool a, bool b) { return a || b; } };
struct OpXor { static bool apply(bool a, bool b) { return a != b; } };
struct OpPRelu {
  template <class C>
  static C apply(C x, C slope) {
    if constexpr (std::is_unsigned_v<C>) return x;
    else return x < C{0} ? wrap_mul(slope, x) : x;
  }
};

template <class Op>
BinaryImpl resolve_numeric(DataType a, DataType b, int) {
  return resolve_binary<Op, void, float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t,
                        uint16_t, uint32_t, uint64_t>(a, b, 0);
}

template <class Op, F32BinaryOp kSimd>
BinaryImpl resolve_arith(DataType a, DataType b, int v) {
  if (a == DataType::kFloat32 && b == DataType::kFloat32) {
    BinaryImpl impl;
    impl.segment = f32_simd_segment;
    impl.out_dtype = DataType::kFloat32;
    const F32SimdTable& simd = select_f32_simd();
    for (int k = 0; k < kF32OperandsCount; ++k) impl.f32[k] = simd.binary[kSimd][k];
    return impl;
  }
  return resolve_numeric<Op>(a, b, v);
}

using ZeroCheck = bool (*)(const void*, int64_t);
ZeroCheck zero_check_for(DataType t) {
  ZeroCheck fn = nullptr;
  dispatch_dtype_or<int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t>(
      t, [&](auto tag) { fn = &has_zero_element<decltype(tag)>; return 0; }, [] { return 0; });
  return fn;
}

BinaryImpl resolve_div(DataType a, DataType b, int v) {
  BinaryImpl impl = resolve_arith<OpDiv, kF32Div>(a, b, v);
  impl.has_zero = zero_check_for(b);
  return impl;
}

BinaryImpl resolve_mod(DataType a, DataType b, int fmod) {
  BinaryImpl impl = fmod ? resolve_numeric<OpModTrunc>(a, b, 0) : resolve_numeric<OpModFloor>(a, b, 0);
  impl.has_zero = zero_check_for(b);
  return impl;
}

BinaryImpl resolve_shift(DataType a, DataType b, int right) {
  if (right) return resolve_binary<OpShift<false>, void, uint8_t, uint16_t, uint32_t, uint64_t>(a, b, 0);
  return resolve_binary<OpShift<true>, void, uint8_t, uint16_t, uint32_t, uint64_t>(a, b, 0);
}

template <class TA>
BinaryImpl resolve_pow_exponent(DataType b) {
  BinaryImpl impl;
  dispatch_dtype_or<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t,
                    uint64_t>(
      b,
      [&](auto tag) {
        impl.segment = &binary_segment<OpPow, TA, decltype(tag), TA>;
        impl.out_dtype = DTypeOfStorage<TA>::value;
        return 0;
      },
      [] { return 0; });
  return impl;
}

BinaryImpl resolve_pow(DataType a, DataType b, int) {
  BinaryImpl impl;
  dispatch_dtype_or<float, double, Float16, BFloat16, int32_t, int64_t>(
      a, [&](auto tag) { impl = resolve_pow_exponent<decltype(tag)>(b); return 0; }, [] { return 0; });
  return impl;
}

// Pow(x, 2) with the exponent a constant: x * x, a multiply the compiler vectorizes,
// instead of a pow call per element (the variance in an exported LayerNorm; 10x faster on
// the bundled transformer's 128x256). x * x is the correctly rounded square; pow is
// within an ulp of it.
void square_f32_segment(const void* a, int64_t a_step, const void*, int64_t, void* out, int64_t n,
                        const BinaryImpl&) {
  const float* x = static_cast<const float*>(a);
  float* y = static_cast<float*>(out);
  if (a_step == 1) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * x[i];
  } else {
    const float v = x[0] * x[0];
    for (int64_t i = 0; i < n; ++i) y[i] = v;
  }
}

BinaryImpl resolve_square(DataType a, DataType b, int v) {
  if (a != DataType::kFloat32 || b != DataType::kFloat32) return resolve_pow(a, b, v);
  BinaryImpl impl;
  impl.segment = square_f32_segment;
  impl.out_dtype = DataType::kFloat32;
  return impl;
}

BinaryImpl resolve_prelu(DataType a, DataType b, int) {
  return resolve_binary<OpPRelu, void, float, double, Float16, BFloat16, int32_t, int64_t, uint32_t, uint64_t>(a, b, 0);
}

template <BinaryResolver R, bool kCheckZero = false>
Result<std::unique_ptr<OpKernel>> make_arith(const KernelInit& init) {
  BinarySpec spec;
  spec.resolve = R;
  spec.broadcast = legacy_broadcast_for(init);
  spec.check_zero_divisor = kCheckZero;
  return make_binary_kernel(init, spec);
}

Result<std::unique_ptr<OpKernel>> make_pow(const KernelInit& init) {
  // Before opset 12 base and exponent share one float type.
  if (init.opset() < 12 && init.input_dtype(0) != init.input_dtype(1) &&
      init.input_dtype(1) != DataType::kUndefined && init.input_dtype(0) != DataType::kUndefined)
    return bad_node(*init.node, "base and exponent dtypes differ (allowed from opset 12)");
  const Tensor* e = init.constant_input(1);
  if (e != nullptr && e->dtype() == DataType::kFloat32 && e->numel() == 1 && e->data<float>()[0] == 2.0f)
    return make_arith<resolve_square>(init);
  return make_arith<resolve_pow>(init);
}

Result<std::unique_ptr<OpKernel>> make_mod(const KernelInit& init) {
  BinarySpec spec;
  spec.resolve = resolve_mod;
  spec.variant = static_cast<int>(attr_int(*init.node, "fmod", 0));
  if (spec.variant != 0 && spec.variant != 1) return bad_node(*init.node, "fmod must be 0 or 1");
  spec.check_zero_divisor = true;
  return make_binary_kernel(init, spec);
}

Result<std::unique_ptr<OpKernel>> make_bitshift(const KernelInit& init) {
  const std::string direction = attr_string(*init.node, "direction", "");
  if (direction != "LEFT" && direction != "RIGHT")
    return bad_node(*init.node, "direction must be LEFT or RIGHT, not '" + direction + "'");
  BinarySpec spec;
  spec.resolve = resolve_shift;
  spec.variant = direction == "RIGHT" ? 1 : 0;
  return make_binary_kernel(init, spec);
}

Result<std::unique_ptr<OpKernel>> make_prelu(const KernelInit& init) {
  BinarySpec spec;
  spec.resolve = resolve_prelu;
  spec.broadcast = init.opset() < 7 ? BinaryBroadcast::kChannel : BinaryBroadcast::kUnidirectional;
  return make_binary_kernel(init, spec);
}

}  // namespace

void register_elementwise_binary(OpRegistry& r) {
  constexpr int kAll = 1 << 30;
  r.add({"", "Add", 1, kAll, make_arith<resolve_arith<OpAdd, kF32Add>>});
  r.add({"", "Sub", 1, kAll, make_arith<resolve_arith<OpSub, kF32Sub>>});
  r.add({"", "Mul", 1, kAll, make_arith<resolve_arith<OpMul, kF32Mul>>});
  r.add({"", "Div", 1, kAll, make_arith<resolve_div, true>});
  r.add({"", "Pow", 1, kAll, make_pow});
  r.add({"", "Mod", 10, kAll, make_mod});
  r.add({"", "BitShift", 11, kAll, make_bitshift});
  r.add({"", "And", 1, kAll, make_arith<resolve_binary<OpAnd, void, bool>>});
  r.add({"", "Or", 1, kAll, make_arith<resolve_binary<OpOr, void, bool>>});
  r.add({"", "Xor", 1, kAll, make_arith<resolve_binary<OpXor, void, bool>>});
  r.add({"", "PRelu", 1, kAll, make_prelu});
}

}  // namespace braid::detail
