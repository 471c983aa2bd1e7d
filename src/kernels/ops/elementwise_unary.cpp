// Unary math: Abs, Neg, Reciprocal, Floor, Ceil, Round, Sign, Sqrt, Exp, Log, the
// trigonometric and hyperbolic functions, Erf, IsNaN, IsInf and Not. float16/bfloat16
// compute in float. Exp on float32 runs the vectorized table loop.
#include <cmath>
#include <type_traits>

#include "kernels/attributes.h"
#include "kernels/ops/elementwise_common.h"
#include "kernels/ops/elementwise_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace ew;  // the family's shared helpers (elementwise_common.h)

namespace {

struct OpAbs {
  template <class C>
  static C apply(C x, const UnaryParams&) {
    if constexpr (std::is_unsigned_v<C>) return x;
    else if constexpr (std::is_integral_v<C>) return x < 0 ? wrap_sub(C{0}, x) : x;
    else return std::fabs(x);
  }
};
struct OpNeg {
  template <class C>
  static C apply(C x, const UnaryParams&) { return wrap_sub(C{0}, x); }
};
struct OpNegFloat {  // -x keeps the sign of zero (0 - 0.0 would not)
  template <class C>
  static C apply(C x, const UnaryParams&) { return -x; }
};
struct OpReciprocal {
  template <class C>
  static C apply(C x, const UnaryParams&) { return C{1} / x; }
};
struct OpFloor {
  template <class C>
  static C apply(C x, const UnaryParams&) { return std::floor(x); }
};
struct OpCeil {
  template <class C>
  static C apply(C x, const UnaryParams&) { return std::ceil(x); }
};
struct OpRound {  // half to even under the default rounding mode
  template <class C>
  static C apply(C x, const UnaryParams&) { return std::nearbyint(x); }
};
struct OpSign {
  template <class C>
  static C apply(C x, const UnaryParams&) {
    if constexpr (std::is_unsigned_v<C>) return x > 0 ? C{1} : C{0};
    else if constexpr (std::is_integral_v<C>) return x > 0 ? C{1} : (x < 0 ? C{-1} : C{0});
    else return x > 0 ? C{1} : (x < 0 ? C{-1} : x);  // keeps NaN
  }
};

#define BRAID_FLOAT_UNARY_OP(Name, expr)                       \
  struct Name {                                                \
    template <class C>                                         \
    static C apply(C x, const UnaryParams&) { return expr; }  \
  };
BRAID_FLOAT_UNARY_OP(OpSqrt, std::sqrt(x))
BRAID_FLOAT_UNARY_OP(OpExp, std::exp(x))
BRAID_FLOAT_UNARY_OP(OpLog, std::log(x))
BRAID_FLOAT_UNARY_OP(OpSin, std::sin(x))
BRAID_FLOAT_UNARY_OP(OpCos, std::cos(x))
BRAID_FLOAT_UNARY_OP(OpTan, std::tan(x))
BRAID_FLOAT_UNARY_OP(OpAsin, std::asin(x))
BRAID_FLOAT_UNARY_OP(OpAcos, std::acos(x))
BRAID_FLOAT_UNARY_OP(OpAtan, std::atan(x))
BRAID_FLOAT_UNARY_OP(OpSinh, std::sinh(x))
BRAID_FLOAT_UNARY_OP(OpCosh, std::cosh(x))
BRAID_FLOAT_UNARY_OP(OpAsinh, std::asinh(x))
BRAID_FLOAT_UNARY_OP(OpAcosh, std::acosh(x))
BRAID_FLOAT_UNARY_OP(OpAtanh, std::atanh(x))
BRAID_FLOAT_UNARY_OP(OpErf, std::erf(x))
#undef BRAID_FLOAT_UNARY_OP

struct OpNot {
  static bool apply(bool x, const UnaryParams&) { return !x; }
};

struct TestIsNaN {
  template <class C>
  static bool test(C x, const UnaryParams&) { return x != x; }
};
struct TestIsInf {  // alpha: detect_negative, beta: detect_positive
  template <class C>
  static bool test(C x, const UnaryParams& p) {
    return (p.alpha != 0.0f && x == -std::numeric_limits<C>::infinity()) ||
           (p.beta != 0.0f && x == std::numeric_limits<C>::infinity());
  }
};

template <class Op>
UnaryFn resolve_float(DataType t) { return resolve_unary<Op, float, double, Float16, BFloat16>(t); }

template <class Op>
UnaryFn resolve_numeric(DataType t) {
  return resolve_unary<Op, float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t,
                       uint16_t, uint32_t, uint64_t>(t);
}

UnaryFn resolve_neg(DataType t) {
  if (is_float_dtype(t)) return resolve_unary<OpNegFloat, float, double, Float16, BFloat16>(t);
  return resolve_unary<OpNeg, int8_t, int16_t, int32_t, int64_t>(t);
}

template <UnaryResolver R, int Simd = -1>
Result<std::unique_ptr<OpKernel>> make_simple(const KernelInit& init) {
  UnarySpec spec;
  spec.resolve = R;
  spec.f32_simd = Simd;
  return make_unary_kernel(init, spec);
}

Result<std::unique_ptr<OpKernel>> make_isnan(const KernelInit& init) {
  UnarySpec spec;
  spec.resolve = resolve_predicate<TestIsNaN, float, double, Float16, BFloat16>;
  spec.out_dtype = DataType::kBool;
  return make_unary_kernel(init, spec);
}

Result<std::unique_ptr<OpKernel>> make_isinf(const KernelInit& init) {
  UnarySpec spec;
  spec.resolve = resolve_predicate<TestIsInf, float, double, Float16, BFloat16>;
  spec.out_dtype = DataType::kBool;
  spec.params.alpha = static_cast<float>(attr_int(*init.node, "detect_negative", 1));
  spec.params.beta = static_cast<float>(attr_int(*init.node, "detect_positive", 1));
  return make_unary_kernel(init, spec);
}

}  // namespace

void register_elementwise_unary(OpRegistry& r) {
  constexpr int kAll = 1 << 30;
  r.add({"", "Abs", 1, kAll, make_simple<resolve_numeric<OpAbs>>});
  r.add({"", "Neg", 1, kAll, make_simple<resolve_neg>});
  r.add({"", "Reciprocal", 1, kAll, make_simple<resolve_float<OpReciprocal>>});
  r.add({"", "Floor", 1, kAll, make_simple<resolve_float<OpFloor>>});
  r.add({"", "Ceil", 1, kAll, make_simple<resolve_float<OpCeil>>});
  r.add({"", "Round", 11, kAll, make_simple<resolve_float<OpRound>>});
  r.add({"", "Sign", 9, kAll, make_simple<resolve_numeric<OpSign>>});
  r.add({"", "Sqrt", 1, kAll, make_simple<resolve_float<OpSqrt>>});
  r.add({"", "Exp", 1, kAll, make_simple<resolve_float<OpExp>, kF32Exp>});
  r.add({"", "Log", 1, kAll, make_simple<resolve_float<OpLog>>});
  r.add({"", "Sin", 7, kAll, make_simple<resolve_float<OpSin>>});
  r.add({"", "Cos", 7, kAll, make_simple<resolve_float<OpCos>>});
  r.add({"", "Tan", 7, kAll, make_simple<resolve_float<OpTan>>});
  r.add({"", "Asin", 7, kAll, make_simple<resolve_float<OpAsin>>});
  r.add({"", "Acos", 7, kAll, make_simple<resolve_float<OpAcos>>});
  r.add({"", "Atan", 7, kAll, make_simple<resolve_float<OpAtan>>});
  r.add({"", "Sinh", 9, kAll, make_simple<resolve_float<OpSinh>>});
  r.add({"", "Cosh", 9, kAll, make_simple<resolve_float<OpCosh>>});
  r.add({"", "Asinh", 9, kAll, make_simple<resolve_float<OpAsinh>>});
  r.add({"", "Acosh", 9, kAll, make_simple<resolve_float<OpAcosh>>});
  r.add({"", "Atanh", 9, kAll, make_simple<resolve_float<OpAtanh>>});
  r.add({"", "Erf", 9, kAll, make_simple<resolve_float<OpErf>>});
  r.add({"", "Not", 1, kAll, make_simple<resolve_unary<OpNot, bool>>});
  r.add({"", "IsNaN", 9, kAll, make_isnan});
  r.add({"", "IsInf", 10, kAll, make_isinf});
}

}  // namespace braid::detail
