// Calls a generic lambda with a typed null pointer for a runtime dtype:
//   return dispatch_dtype<float, int64_t>(t.dtype(), [&](auto tag) { using T = decltype(tag); ... });
#pragma once

#include <type_traits>
#include <utility>

#include "braid/tensor.h"

namespace braid::detail {

// bfloat16 / float16 storage types, so kernels can name them in dispatch lists.
struct BFloat16 { uint16_t bits; };
struct Float16 { uint16_t bits; };

template <class T>
struct DTypeOfStorage { static constexpr DataType value = DataTypeOf<T>::value; };
template <> struct DTypeOfStorage<BFloat16> { static constexpr DataType value = DataType::kBFloat16; };
template <> struct DTypeOfStorage<Float16> { static constexpr DataType value = DataType::kFloat16; };

// Invokes fn(T{}) for the first T in Ts whose dtype equals `dtype`; returns `fallback()`
// when none matches. fn and fallback return the same type (typically Status).
template <class... Ts, class Fn, class Fallback>
auto dispatch_dtype_or(DataType dtype, Fn&& fn, Fallback&& fallback) {
  using R = decltype(fallback());
  R result{};
  bool done = ((dtype == DTypeOfStorage<Ts>::value ? (result = fn(Ts{}), true) : false) || ...);
  if (!done) result = fallback();
  return result;
}

}  // namespace braid::detail
