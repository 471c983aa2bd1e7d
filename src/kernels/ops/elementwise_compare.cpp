// Broadcasting comparisons with a bool output: Equal, Less, LessOrEqual, Greater,
// GreaterOrEqual. float16/bfloat16 compare as float.
#include "kernels/ops/elementwise_common.h"
#include "kernels/ops/elementwise_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace ew;  // the family's shared helpers (elementwise_common.h)

namespace {

struct OpEqual {
  template <class C>
  static bool apply(C a, C b) { return a == b; }
};
struct OpLess {
  template <class C>
  static bool apply(C a, C b) { return a < b; }
};
struct OpLessOrEqual {
  template <class C>
  static bool apply(C a, C b) { return a <= b; }
};
struct OpGreater {
  template <class C>
  static bool apply(C a, C b) { return a > b; }
};
struct OpGreaterOrEqual {
  template <class C>
  static bool apply(C a, C b) { return a >= b; }
};

template <class Op>
BinaryImpl resolve_compare(DataType a, DataType b, int) {
  return resolve_binary<Op, bool, float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t,
                        uint16_t, uint32_t, uint64_t>(a, b, 0);
}

BinaryImpl resolve_equal(DataType a, DataType b, int v) {
  if (a == DataType::kBool) return resolve_binary<OpEqual, bool, bool>(a, b, 0);
  return resolve_compare<OpEqual>(a, b, v);
}

template <BinaryResolver R>
Result<std::unique_ptr<OpKernel>> make_compare(const KernelInit& init) {
  BinarySpec spec;
  spec.resolve = R;
  spec.broadcast = legacy_broadcast_for(init);
  return make_binary_kernel(init, spec);
}

}  // namespace

void register_elementwise_compare(OpRegistry& r) {
  constexpr int kAll = 1 << 30;
  r.add({"", "Equal", 1, kAll, make_compare<resolve_equal>});
  r.add({"", "Less", 1, kAll, make_compare<resolve_compare<OpLess>>});
  r.add({"", "LessOrEqual", 12, kAll, make_compare<resolve_compare<OpLessOrEqual>>});
  r.add({"", "Greater", 1, kAll, make_compare<resolve_compare<OpGreater>>});
  r.add({"", "GreaterOrEqual", 12, kAll, make_compare<resolve_compare<OpGreaterOrEqual>>});
}

}  // namespace braid::detail
