// One kernel object computed from several threads at once (as Session::run does) gives
// the same result as a single call: kernels keep no per-run state. Runs at 1, 2 and 4
// callers, with intra-op threads on so TBB tasks nest inside each caller.
#include <gtest/gtest.h>

#include "common/test_util.h"
#include "tensor_test_util.h"

namespace braid::testing {
namespace {

void expect_reentrant(const OpTester& op) {
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor want, op.run1());
  for (int callers : {1, 2, 4}) {
    BRAID_ASSERT_OK_AND_ASSIGN(std::vector<Tensor> got, op.run_concurrently(callers, 3));
    for (const Tensor& t : got) EXPECT_EQ(compare_tensors(want, t, 0, 0), "") << callers << " callers";
  }
}

TEST(TensorConcurrency, KernelsAreReentrant) {
  Tensor x = RefTensor::iota({1, 32, 48, 48}).to(DataType::kFloat32);
  expect_reentrant(OpTester("Transpose", 13).input(x).attr_ints("perm", {0, 2, 3, 1}).threads(2));
  expect_reentrant(OpTester("Slice", 13).input(x).const_input(make_i64({2}, {1, 2})).const_input(make_i64({2}, {-1, 40}))
                       .const_input(make_i64({2}, {2, 3})).const_input(make_i64({2}, {1, 2})).threads(2));
  expect_reentrant(OpTester("Pad", 13).input(x).const_input(make_i64({8}, {0, 0, 2, 1, 0, 0, 1, 2}))
                       .attr_string("mode", "reflect").threads(2));
  expect_reentrant(OpTester("Resize", 13).input(x).omitted_input().const_input(make_f32({4}, {1, 1, 1.5f, 2}))
                       .attr_string("mode", "cubic").threads(2));
  expect_reentrant(OpTester("Concat", 13).input(x).input(x).attr_int("axis", 1).threads(2));
  expect_reentrant(OpTester("Gather", 13).input(x).const_input(make_i64({3}, {3, -1, 0})).attr_int("axis", 1).threads(2));
  expect_reentrant(OpTester("Unique", 11).input(RefTensor::iota({64}, 7).to(DataType::kInt32)));
}

}  // namespace
}  // namespace braid::testing
