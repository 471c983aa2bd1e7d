// Shared machinery of the elementwise family (namespace braid::detail::ew, so its helper
// names never collide with another family's): dtype helpers, axis checks, and the generic
// unary and broadcasting binary kernels most ops are made of. An op supplies a resolver
// that maps dtypes to a typed loop; the kernel resolves once at load from the declared
// dtypes (and again at run time only if the actual dtypes differ), then runs that loop
// over chunks of ~32K elements through parallel_for_range.
//
//   struct OpNeg { template <class C> static C apply(C x, const UnaryParams&) { return -x; } };
//   UnarySpec spec;
//   spec.resolve = resolve_unary<OpNeg, float, double, int32_t, int64_t>;
//   return make_unary_kernel(init, spec);   // in the factory registered for "Neg"
#pragma once

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>

#include "kernels/dispatch.h"
#include "kernels/op_kernel.h"
#include "kernels/ops/elementwise_half.h"
#include "kernels/ops/elementwise_simd.h"

namespace braid::detail::ew {

// Elements worth a task of their own: batch-1 tensors of a few thousand elements stay on
// the calling thread.
inline constexpr int64_t kElementwiseGrain = 32768;

bool is_float_dtype(DataType t);     // float16/32/64, bfloat16
bool is_integer_dtype(DataType t);   // signed or unsigned, not bool
bool is_signed_dtype(DataType t);    // signed integers and floats

// `axis` in [-rank, rank) made non-negative; bad_node otherwise. `what` names it.
Result<int64_t> resolve_axis(const Node& node, int64_t axis, int64_t rank, const char* what = "axis");

// Casts a double to an arithmetic type; integers saturate and NaN becomes 0, so a bad
// value can never be undefined behaviour.
template <class C>
C from_double(double v) {
  if constexpr (std::is_same_v<C, bool>) {
    return v != 0.0;
  } else if constexpr (std::is_integral_v<C>) {
    if (v != v) return C{0};
    if (v <= static_cast<double>(std::numeric_limits<C>::lowest())) return std::numeric_limits<C>::lowest();
    if (v >= static_cast<double>(std::numeric_limits<C>::max())) return std::numeric_limits<C>::max();
    return static_cast<C>(v);
  } else {
    return static_cast<C>(v);
  }
}

// Integer arithmetic that wraps instead of overflowing (signed overflow is undefined).
template <class C>
using WrapType = std::conditional_t<(sizeof(C) < sizeof(unsigned)), unsigned, std::make_unsigned_t<C>>;
template <class C>
C wrap_add(C a, C b) {
  if constexpr (std::is_integral_v<C> && !std::is_same_v<C, bool>)
    return static_cast<C>(static_cast<WrapType<C>>(a) + static_cast<WrapType<C>>(b));
  else
    return a + b;
}
template <class C>
C wrap_sub(C a, C b) {
  if constexpr (std::is_integral_v<C> && !std::is_same_v<C, bool>)
    return static_cast<C>(static_cast<WrapType<C>>(a) - static_cast<WrapType<C>>(b));
  else
    return a - b;
}
template <class C>
C wrap_mul(C a, C b) {
  if constexpr (std::is_integral_v<C> && !std::is_same_v<C, bool>)
    return static_cast<C>(static_cast<WrapType<C>>(a) * static_cast<WrapType<C>>(b));
  else
    return a * b;
}

// ---------------------------------------------------------------- unary
struct UnaryParams {
  float alpha = 0.0f;
  float beta = 0.0f;
  float gamma = 0.0f;
};

// y[i] = f(x[i]) for n elements of the resolved dtypes.
using UnaryFn = void (*)(const void* x, void* y, int64_t n, const UnaryParams& p);
// The loop for input dtype `t`, or nullptr when the op does not support it.
using UnaryResolver = UnaryFn (*)(DataType t);

// Op::apply(C x, const UnaryParams&) -> C, in the arithmetic type of T.
template <class Op, class T>
void unary_loop(const void* x, void* y, int64_t n, const UnaryParams& p) {
  const T* in = static_cast<const T*>(x);
  T* out = static_cast<T*>(y);
  for (int64_t i = 0; i < n; ++i) out[i] = Arith<T>::store(Op::apply(Arith<T>::load(in[i]), p));
}

// Op::test(C x, const UnaryParams&) -> bool.
template <class Op, class T>
void predicate_loop(const void* x, void* y, int64_t n, const UnaryParams& p) {
  const T* in = static_cast<const T*>(x);
  bool* out = static_cast<bool*>(y);
  for (int64_t i = 0; i < n; ++i) out[i] = Op::test(Arith<T>::load(in[i]), p);
}

template <class Op, class... Ts>
UnaryFn resolve_unary(DataType t) {
  UnaryFn fn = nullptr;
  (void)((t == DTypeOfStorage<Ts>::value ? (fn = &unary_loop<Op, Ts>, true) : false) || ...);
  return fn;
}

template <class Op, class... Ts>
UnaryFn resolve_predicate(DataType t) {
  UnaryFn fn = nullptr;
  (void)((t == DTypeOfStorage<Ts>::value ? (fn = &predicate_loop<Op, Ts>, true) : false) || ...);
  return fn;
}

struct UnarySpec {
  UnaryResolver resolve = nullptr;
  UnaryParams params;
  DataType out_dtype = DataType::kUndefined;  // kUndefined: the input dtype
  int f32_simd = -1;                          // an F32UnaryOp for float32 inputs, or -1
};

// A kernel applying one resolved loop to input 0. Validates the declared dtype at load.
Result<std::unique_ptr<OpKernel>> make_unary_kernel(const KernelInit& init, const UnarySpec& spec);

// ---------------------------------------------------------------- binary
struct BinaryImpl;
// One contiguous run: out[i] = a[i*a_step] op b[i*b_step], steps 0 or 1. `impl` carries the
// float32 SIMD loops for ops that have them.
using BinarySegmentFn = void (*)(const void* a, int64_t a_step, const void* b, int64_t b_step, void* out,
                                 int64_t n, const BinaryImpl& impl);

struct BinaryImpl {
  BinarySegmentFn segment = nullptr;  // nullptr: the dtypes are not supported
  DataType out_dtype = DataType::kUndefined;
  // For integer Div/Mod: true when any of n divisor elements is 0.
  bool (*has_zero)(const void* b, int64_t n) = nullptr;
  F32BinaryLoop f32[kF32OperandsCount] = {};
};

// The implementation for operand dtypes (a, b); `variant` selects an op flavour (Mod's
// fmod, BitShift's direction).
using BinaryResolver = BinaryImpl (*)(DataType a, DataType b, int variant);

// Op::apply(CA a, CB b) -> something convertible to the output's arithmetic type.
template <class Op, class TA, class TB, class TO>
void binary_segment(const void* a, int64_t a_step, const void* b, int64_t b_step, void* out, int64_t n,
                    const BinaryImpl&) {
  const TA* pa = static_cast<const TA*>(a);
  const TB* pb = static_cast<const TB*>(b);
  TO* po = static_cast<TO*>(out);
  using CO = typename Arith<TO>::type;
  auto st = [](auto v) { return Arith<TO>::store(static_cast<CO>(v)); };
  if (a_step && b_step) {
    for (int64_t i = 0; i < n; ++i) po[i] = st(Op::apply(Arith<TA>::load(pa[i]), Arith<TB>::load(pb[i])));
  } else if (a_step) {
    const auto vb = Arith<TB>::load(pb[0]);
    for (int64_t i = 0; i < n; ++i) po[i] = st(Op::apply(Arith<TA>::load(pa[i]), vb));
  } else if (b_step) {
    const auto va = Arith<TA>::load(pa[0]);
    for (int64_t i = 0; i < n; ++i) po[i] = st(Op::apply(va, Arith<TB>::load(pb[i])));
  } else {
    const TO v = st(Op::apply(Arith<TA>::load(pa[0]), Arith<TB>::load(pb[0])));
    for (int64_t i = 0; i < n; ++i) po[i] = v;
  }
}

// A float32 run through the table loops in impl.f32.
void f32_simd_segment(const void* a, int64_t a_step, const void* b, int64_t b_step, void* out, int64_t n,
                      const BinaryImpl& impl);

template <class T>
bool has_zero_element(const void* b, int64_t n) {
  const T* p = static_cast<const T*>(b);
  bool zero = false;
  for (int64_t i = 0; i < n; ++i) zero |= p[i] == T{0};
  return zero;
}

// Same-dtype binary op over Ts with output type TO (void: the input type).
template <class Op, class TO, class... Ts>
BinaryImpl resolve_binary(DataType a, DataType b, int) {
  BinaryImpl impl;
  if (a != b) return impl;
  (void)((a == DTypeOfStorage<Ts>::value
              ? (impl.segment = &binary_segment<Op, Ts, Ts, std::conditional_t<std::is_void_v<TO>, Ts, TO>>,
                 impl.out_dtype = DTypeOfStorage<std::conditional_t<std::is_void_v<TO>, Ts, TO>>::value, true)
              : false) ||
         ...);
  return impl;
}

// How a binary op's operands broadcast.
enum class BinaryBroadcast {
  kNumpy,           // multidirectional numpy rules (opset >= 7)
  kLegacy,          // opset < 7: B broadcast to A per the broadcast/axis attributes
  kUnidirectional,  // B broadcasts to A's shape (PRelu >= 7)
  kChannel,         // PRelu < 7: a 1-D slope of A.dim(1) applies per channel
};

struct BinarySpec {
  BinaryResolver resolve = nullptr;
  int variant = 0;
  BinaryBroadcast broadcast = BinaryBroadcast::kNumpy;
  bool check_zero_divisor = false;  // integer Div/Mod: a zero divisor is an error
};

// A broadcasting binary kernel. For opset < 7 (spec.broadcast == kLegacy) it reads the
// broadcast and axis attributes itself.
Result<std::unique_ptr<OpKernel>> make_binary_kernel(const KernelInit& init, const BinarySpec& spec);

// The opset < 7 broadcast mode of Add/Sub/Mul/Div/Pow/And/Or/Xor/Equal/Less/Greater.
inline BinaryBroadcast legacy_broadcast_for(const KernelInit& init) {
  return init.opset() < 7 ? BinaryBroadcast::kLegacy : BinaryBroadcast::kNumpy;
}

}  // namespace braid::detail::ew
