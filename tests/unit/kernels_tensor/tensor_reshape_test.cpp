// Reshape, Flatten, Squeeze, Unsqueeze, Identity and Dropout: shapes against hand-written
// expectations, zero-copy storage, every opset form, and bad shapes/axes as errors.
#include <gtest/gtest.h>

#include "common/test_util.h"
#include "tensor_test_util.h"

namespace braid::testing {
namespace {

Tensor iota_f32(Shape s) { return RefTensor::iota(std::move(s)).to(DataType::kFloat32); }

TEST(TensorReshape, ZeroMinusOneAndZeroCopy) {
  Tensor x = iota_f32({2, 3, 4});
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Reshape", 13).input(x).const_input(make_i64({3}, {0, -1, 2})).run1());
  EXPECT_EQ(y.shape(), (Shape{2, 6, 2}));
  EXPECT_EQ(y.raw_data(), x.raw_data());  // a view, not a copy
  // The same with a shape computed at run time and an int32-free int64 input.
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor z, OpTester("Reshape", 5).input(x).input(make_i64({2}, {-1, 4})).run1());
  EXPECT_EQ(z.shape(), (Shape{6, 4}));
}

TEST(TensorReshape, AllowZeroKeepsZeroDims) {
  Tensor x = Tensor::empty(DataType::kFloat32, {0, 3}).value();
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor y,
                             OpTester("Reshape", 14).input(x).const_input(make_i64({2}, {3, 0})).attr_int("allowzero", 1).run1());
  EXPECT_EQ(y.shape(), (Shape{3, 0}));
  // Without allowzero, 0 copies the input dim (3): [3, 3] does not hold 0 elements.
  BRAID_EXPECT_BAD(OpTester("Reshape", 14).input(x).const_input(make_i64({2}, {3, 0})).run());
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor z, OpTester("Reshape", 14).input(x).const_input(make_i64({2}, {0, 3})).run1());
  EXPECT_EQ(z.shape(), (Shape{0, 3}));
}

TEST(TensorReshape, OldOpsetTakesShapeAttribute) {
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Reshape", 1).input(iota_f32({4, 6})).attr_ints("shape", {2, -1, 3}).run1());
  EXPECT_EQ(y.shape(), (Shape{2, 4, 3}));
}

TEST(TensorReshape, BadShapesAreErrors) {
  Tensor x = iota_f32({2, 3});
  BRAID_EXPECT_BAD(OpTester("Reshape", 13).input(x).input(make_i64({2}, {4, 2})).run());     // count
  BRAID_EXPECT_BAD(OpTester("Reshape", 13).input(x).input(make_i64({2}, {-1, -1})).run());   // two -1
  BRAID_EXPECT_BAD(OpTester("Reshape", 13).input(x).input(make_i64({2}, {-2, 3})).run());    // < -1
  BRAID_EXPECT_BAD(OpTester("Reshape", 13).input(x).input(make_i64({3}, {1, 1, 0})).run());  // 0 past rank
  BRAID_EXPECT_BAD(OpTester("Reshape", 13).input(x).input(make_i64({2}, {-1, 4})).run());    // not divisible
  BRAID_EXPECT_BAD(OpTester("Reshape", 14).input(x).input(make_i64({2}, {0, -1})).attr_int("allowzero", 1).run());
  // A huge product overflows instead of wrapping around.
  BRAID_EXPECT_BAD(OpTester("Reshape", 13).input(x).input(make_i64({3}, {int64_t{1} << 40, int64_t{1} << 40, 0})).run());
  // A bad constant shape fails at run time with a clear error too (not at load).
  BRAID_EXPECT_BAD(OpTester("Reshape", 13).input(x).const_input(make_i64({1}, {7})).run());
}

TEST(TensorReshape, EmptyTensorReshapes) {
  Tensor x = Tensor::empty(DataType::kFloat32, {0, 4}).value();
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Reshape", 14).input(x).input(make_i64({3}, {2, 0, 2})).attr_int("allowzero", 1).run1());
  EXPECT_EQ(y.shape(), (Shape{2, 0, 2}));
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor z, OpTester("Reshape", 13).input(x).input(make_i64({2}, {-1, 0})).run1());
  EXPECT_EQ(z.shape(), (Shape{0, 4}));
  BRAID_EXPECT_BAD(OpTester("Reshape", 13).input(x).input(make_i64({2}, {0, -1})).run());  // -1 is ambiguous
}

TEST(TensorFlatten, EveryAxisIncludingNegative) {
  Tensor x = iota_f32({2, 3, 4, 5});
  const std::vector<std::pair<int64_t, Shape>> cases = {
      {0, {1, 120}}, {1, {2, 60}}, {2, {6, 20}}, {3, {24, 5}}, {4, {120, 1}}, {-1, {24, 5}}, {-4, {1, 120}}};
  for (const auto& [axis, want] : cases) {
    BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Flatten", 13).input(x).attr_int("axis", axis).run1());
    EXPECT_EQ(y.shape(), want) << "axis " << axis;
  }
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor d, OpTester("Flatten", 9).input(x).run1());
  EXPECT_EQ(d.shape(), (Shape{2, 60}));
  BRAID_EXPECT_BAD(OpTester("Flatten", 13).input(x).attr_int("axis", 5).run());
  BRAID_EXPECT_BAD(OpTester("Flatten", 13).input(x).attr_int("axis", -5).run());
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor s, OpTester("Flatten", 13).input(iota_f32({})).attr_int("axis", 0).run1());
  EXPECT_EQ(s.shape(), (Shape{1, 1}));
}

TEST(TensorSqueeze, AttributeAndInputForms) {
  Tensor x = iota_f32({1, 3, 1, 2});
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor all, OpTester("Squeeze", 11).input(x).run1());
  EXPECT_EQ(all.shape(), (Shape{3, 2}));
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor a, OpTester("Squeeze", 11).input(x).attr_ints("axes", {-2}).run1());
  EXPECT_EQ(a.shape(), (Shape{1, 3, 2}));
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor b, OpTester("Squeeze", 13).input(x).input(make_i64({2}, {0, 2})).run1());
  EXPECT_EQ(b.shape(), (Shape{3, 2}));
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor c, OpTester("Squeeze", 13).input(x).run1());
  EXPECT_EQ(c.shape(), (Shape{3, 2}));
  BRAID_EXPECT_BAD(OpTester("Squeeze", 13).input(x).input(make_i64({1}, {1})).run());      // dim 3
  BRAID_EXPECT_BAD(OpTester("Squeeze", 13).input(x).input(make_i64({1}, {4})).run());      // range
  BRAID_EXPECT_BAD(OpTester("Squeeze", 13).input(x).input(make_i64({2}, {0, -4})).run());  // repeated
}

TEST(TensorUnsqueeze, AxesAgainstOutputRank) {
  Tensor x = iota_f32({3, 4});
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor a, OpTester("Unsqueeze", 11).input(x).attr_ints("axes", {0, 3}).run1());
  EXPECT_EQ(a.shape(), (Shape{1, 3, 4, 1}));
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor b, OpTester("Unsqueeze", 13).input(x).const_input(make_i64({2}, {-1, 1})).run1());
  EXPECT_EQ(b.shape(), (Shape{3, 1, 4, 1}));
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor c, OpTester("Unsqueeze", 13).input(x).input(make_i64({3}, {4, 0, 2})).run1());
  EXPECT_EQ(c.shape(), (Shape{1, 3, 1, 4, 1}));
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor s, OpTester("Unsqueeze", 13).input(iota_f32({})).input(make_i64({1}, {0})).run1());
  EXPECT_EQ(s.shape(), (Shape{1}));
  BRAID_EXPECT_BAD(OpTester("Unsqueeze", 13).input(x).input(make_i64({1}, {3})).run());
  BRAID_EXPECT_BAD(OpTester("Unsqueeze", 13).input(x).input(make_i64({2}, {1, 1})).run());
  BRAID_EXPECT_BAD(OpTester("Unsqueeze", 11).input(x).create());  // axes attribute required
}

TEST(TensorIdentity, PassesThroughAndDropoutMasks) {
  Tensor x = iota_f32({2, 3});
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Identity", 13).input(x).run1());
  EXPECT_EQ(y.raw_data(), x.raw_data());
  BRAID_ASSERT_OK_AND_ASSIGN(std::vector<Tensor> d, OpTester("Dropout", 13).input(x).outputs(2).run());
  EXPECT_EQ(compare_tensors(x, d[0], 0, 0), "");
  EXPECT_EQ(d[1].dtype(), DataType::kBool);
  EXPECT_EQ(compare_tensors(make_bool({2, 3}, {1, 1, 1, 1, 1, 1}), d[1], 0, 0), "");
  // Dropout-7 returns its mask in the input dtype.
  BRAID_ASSERT_OK_AND_ASSIGN(std::vector<Tensor> old, OpTester("Dropout", 7).input(x).outputs(2).run());
  EXPECT_EQ(compare_tensors(make_f32({2, 3}, {1, 1, 1, 1, 1, 1}), old[1], 0, 0), "");
  // Training mode is refused at load.
  Tensor on = make_bool({}, {1});
  EXPECT_EQ(OpTester("Dropout", 13).input(x).omitted_input().const_input(on).create().code(), StatusCode::kUnsupportedOp);
}

}  // namespace
}  // namespace braid::testing
