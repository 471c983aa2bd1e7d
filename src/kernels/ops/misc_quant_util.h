// Helpers shared by the integer matmul / conv kernels: zero-point vectors read as int32,
// int8 / uint8 tensors widened to int32, and requantization of int32 accumulators.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "braid/tensor.h"
#include "kernels/op_kernel.h"

namespace braid::detail::misc {

inline bool is_int8_or_uint8(DataType d) { return d == DataType::kInt8 || d == DataType::kUInt8; }

// Element i of an int8 / uint8 / int32 tensor as int32.
inline int32_t int_element(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kInt8: return t.data<int8_t>()[i];
    case DataType::kUInt8: return t.data<uint8_t>()[i];
    case DataType::kInt32: return t.data<int32_t>()[i];
    default: return 0;
  }
}

// A zero point (or scale) given per tensor (1 value), per `per_group` element (the same
// for every group) or per group element (groups * per_group values), expanded to
// groups * per_group values. `zp` may be null (all zeros).
template <class T>
Result<std::vector<T>> expand_per_element(const Node& node, const Tensor* t, int64_t groups, int64_t per_group,
                                          const char* name) {
  std::vector<T> out(static_cast<size_t>(groups * per_group), T(0));
  if (t == nullptr) return out;
  const int64_t n = t->numel();
  if (n != 1 && n != per_group && n != groups * per_group)
    return bad_node(node, std::string(name) + " of shape " + shape_to_string(t->shape()) + " must have 1, " +
                              std::to_string(per_group) + " or " + std::to_string(groups * per_group) + " values");
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t i = 0; i < per_group; ++i) {
      const int64_t src = n == 1 ? 0 : n == per_group ? i : g * per_group + i;
      if constexpr (std::is_same_v<T, float>) out[g * per_group + i] = t->data<float>()[src];
      else out[g * per_group + i] = int_element(*t, src);
    }
  return out;
}

// round_half_even(acc * multiplier) + zero_point, saturated to Q (as MLAS requantizes).
template <class Q>
Q requantize(int32_t acc, float multiplier, int32_t zero_point) {
  float v = std::nearbyint(static_cast<float>(acc) * multiplier) + static_cast<float>(zero_point);
  constexpr float lo = static_cast<float>(std::numeric_limits<Q>::min());
  constexpr float hi = static_cast<float>(std::numeric_limits<Q>::max());
  if (std::isnan(v)) return Q(0);
  v = v < lo ? lo : v > hi ? hi : v;
  return static_cast<Q>(v);
}

}  // namespace braid::detail::misc
