// Trilu, OneHot, NonZero, Compress, ReverseSequence and Unique against references, with
// batched and empty inputs and out-of-range indices or lengths.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "common/test_util.h"
#include "tensor_test_util.h"

namespace braid::testing {
namespace {

TEST(TensorTrilu, UpperLowerEveryK) {
  RefTensor x = RefTensor::iota({2, 4, 5});
  for (int64_t k : {-5, -1, 0, 2, 6}) {
    for (int upper : {0, 1}) {
      RefTensor want = x;
      for (int64_t i = 0; i < want.numel(); ++i) {
        auto o = want.unflat(i);
        const bool keep = upper ? o[2] - o[1] >= k : o[2] - o[1] <= k;
        if (!keep) want.v[i] = 0;
      }
      for (DataType dt : {DataType::kFloat32, DataType::kInt64, DataType::kBool}) {
        BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Trilu", 14).input(x.to(dt)).input(make_i64({}, {k})).attr_int("upper", upper).run1());
        EXPECT_EQ(compare_tensors(want.to(dt), y, 0, 0), "") << k << " " << upper;
      }
    }
  }
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor d, OpTester("Trilu", 14).input(make_f32({2, 2}, {1, 2, 3, 4})).run1());
  EXPECT_EQ(compare_tensors(make_f32({2, 2}, {1, 2, 0, 4}), d, 0, 0), "");
  BRAID_EXPECT_BAD(OpTester("Trilu", 14).input(make_f32({2}, {1, 2})).run());
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor e, OpTester("Trilu", 14).input(Tensor::empty(DataType::kFloat32, {0, 3}).value()).run1());
  EXPECT_EQ(e.shape(), (Shape{0, 3}));
}

TEST(TensorOneHot, AxesNegativeAndOutOfRangeIndices) {
  RefTensor idx({2, 3});
  idx.v = {0, -1, 3, 2, 7, -4};  // 3 and 7 and -4 are outside [-3, 3) for depth 3: all off
  for (int64_t axis : {-1, 0, 1}) {
    const int64_t a = axis < 0 ? 2 : axis;
    Shape out = {2, 3};
    out.insert(out.begin() + a, 3);
    RefTensor want(out);
    for (int64_t i = 0; i < want.numel(); ++i) {
      auto o = want.unflat(i);
      const int64_t d = o[a];
      o.erase(o.begin() + a);
      int64_t v = static_cast<int64_t>(idx.at(o));
      if (v < 0) v += 3;
      want.v[i] = v == d ? 5 : 2;
    }
    for (DataType it : {DataType::kInt64, DataType::kInt32, DataType::kFloat32}) {
      BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("OneHot", 11).input(idx.to(it)).input(make_f32({}, {3}))
                                               .input(make_i64({2}, {2, 5})).attr_int("axis", axis).run1());
      EXPECT_EQ(compare_tensors(want.to(DataType::kInt64), y, 0, 0), "") << axis;
    }
  }
  BRAID_EXPECT_BAD(OpTester("OneHot", 11).input(make_i64({1}, {0})).input(make_i64({}, {0})).input(make_f32({2}, {0, 1})).run());
  BRAID_EXPECT_BAD(OpTester("OneHot", 11).input(make_i64({1}, {0})).input(make_i64({}, {3})).input(make_f32({3}, {0, 1, 2})).run());
  BRAID_EXPECT_BAD(OpTester("OneHot", 11).input(make_i64({1}, {0})).input(make_i64({}, {3})).input(make_f32({2}, {0, 1})).attr_int("axis", 2).run());
}

TEST(TensorNonZero, CoordinatesInRowMajorOrder) {
  RefTensor x({2, 3, 2});
  x.v = {0, 1, 0, 0, 2, 0, 3, 0, 0, 4, 0, 5};
  std::vector<std::vector<int64_t>> coords;
  for (int64_t i = 0; i < x.numel(); ++i)
    if (x.v[i] != 0) coords.push_back(x.unflat(i));
  const auto nnz = static_cast<int64_t>(coords.size());
  std::vector<int64_t> want(static_cast<size_t>(3 * nnz));
  for (int64_t k = 0; k < nnz; ++k)
    for (int64_t d = 0; d < 3; ++d) want[d * nnz + k] = coords[k][d];
  for (DataType dt : movable_dtypes()) {
    BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("NonZero", 13).input(x.to(dt)).run1());
    EXPECT_EQ(compare_tensors(make_i64({3, nnz}, want), y, 0, 0), "") << dtype_name(dt);
  }
  // -0.0 is zero, NaN is not.
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor f, OpTester("NonZero", 13).input(make_f32({3}, {-0.0f, NAN, 0.0f})).run1());
  EXPECT_EQ(compare_tensors(make_i64({1, 1}, {1}), f, 0, 0), "");
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor e, OpTester("NonZero", 13).input(Tensor::empty(DataType::kFloat32, {0, 2}).value()).run1());
  EXPECT_EQ(e.shape(), (Shape{2, 0}));
}

TEST(TensorCompress, AxisFlattenAndShortConditions) {
  RefTensor x = RefTensor::iota({3, 4});
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor a, OpTester("Compress", 11).input(x.to(DataType::kFloat32)).input(make_bool({4}, {0, 1, 1, 0}))
                                           .attr_int("axis", -1).run1());
  EXPECT_EQ(compare_tensors(make_f32({3, 2}, {2, 3, 6, 7, 10, 11}), a, 0, 0), "");
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor b, OpTester("Compress", 11).input(x.to(DataType::kInt8)).input(make_bool({2}, {0, 1}))
                                           .attr_int("axis", 0).run1());
  EXPECT_EQ(compare_tensors(Tensor::from_vector<int8_t>({1, 4}, {5, 6, 7, 8}).value(), b, 0, 0), "");
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor c, OpTester("Compress", 11).input(x.to(DataType::kFloat32)).input(make_bool({5}, {1, 0, 0, 0, 1})).run1());
  EXPECT_EQ(compare_tensors(make_f32({2}, {1, 5}), c, 0, 0), "");
  BRAID_EXPECT_BAD(OpTester("Compress", 11).input(x.to(DataType::kFloat32)).input(make_bool({5}, {0, 0, 0, 0, 1})).attr_int("axis", 1).run());
  BRAID_EXPECT_BAD(OpTester("Compress", 11).input(x.to(DataType::kFloat32)).input(make_bool({1}, {1})).attr_int("axis", 2).run());
  BRAID_EXPECT_BAD(OpTester("Compress", 11).input(x.to(DataType::kFloat32)).input(make_i64({1}, {1})).run());
}

TEST(TensorReverseSequence, BatchAndTimeMajor) {
  RefTensor x = RefTensor::iota({4, 3, 2});
  const std::vector<int64_t> lens = {4, 0, 2};
  RefTensor want(x.shape);
  for (int64_t i = 0; i < want.numel(); ++i) {
    auto o = want.unflat(i);
    auto src = o;
    if (o[0] < lens[o[1]]) src[0] = lens[o[1]] - 1 - o[0];
    want.v[i] = x.at(src);
  }
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("ReverseSequence", 10).input(x.to(DataType::kFloat32)).input(make_i64({3}, lens)).run1());
  EXPECT_EQ(compare_tensors(want.to(DataType::kFloat32), y, 0, 0), "");
  // Batch-major: the same data transposed.
  RefTensor xb({3, 4, 2}), wb({3, 4, 2});
  for (int64_t i = 0; i < xb.numel(); ++i) {
    auto o = xb.unflat(i);
    xb.v[i] = x.at({o[1], o[0], o[2]});
    wb.v[i] = want.at({o[1], o[0], o[2]});
  }
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor z, OpTester("ReverseSequence", 10).input(xb.to(DataType::kInt16)).input(make_i64({3}, lens))
                                           .attr_int("batch_axis", 0).attr_int("time_axis", 1).run1());
  EXPECT_EQ(compare_tensors(wb.to(DataType::kInt16), z, 0, 0), "");
  BRAID_EXPECT_BAD(OpTester("ReverseSequence", 10).input(x.to(DataType::kFloat32)).input(make_i64({3}, {5, 1, 1})).run());
  BRAID_EXPECT_BAD(OpTester("ReverseSequence", 10).input(x.to(DataType::kFloat32)).input(make_i64({2}, {1, 1})).run());
  BRAID_EXPECT_BAD(OpTester("ReverseSequence", 10).input(x.to(DataType::kFloat32)).input(make_i64({3}, {1, 1, 1}))
                       .attr_int("batch_axis", 2).create());
}

TEST(TensorUnique, SortedUnsortedAndAxis) {
  const std::vector<float> data = {2, 1, 1, 3, 4, 3};
  BRAID_ASSERT_OK_AND_ASSIGN(std::vector<Tensor> s, OpTester("Unique", 11).input(make_f32({6}, data)).outputs(4).run());
  EXPECT_EQ(compare_tensors(make_f32({4}, {1, 2, 3, 4}), s[0], 0, 0), "");
  EXPECT_EQ(compare_tensors(make_i64({4}, {1, 0, 3, 4}), s[1], 0, 0), "");
  EXPECT_EQ(compare_tensors(make_i64({6}, {1, 0, 0, 2, 3, 2}), s[2], 0, 0), "");
  EXPECT_EQ(compare_tensors(make_i64({4}, {2, 1, 2, 1}), s[3], 0, 0), "");
  BRAID_ASSERT_OK_AND_ASSIGN(std::vector<Tensor> u, OpTester("Unique", 11).input(make_f32({6}, data)).attr_int("sorted", 0).outputs(4).run());
  EXPECT_EQ(compare_tensors(make_f32({4}, {2, 1, 3, 4}), u[0], 0, 0), "");
  EXPECT_EQ(compare_tensors(make_i64({4}, {0, 1, 3, 4}), u[1], 0, 0), "");
  EXPECT_EQ(compare_tensors(make_i64({6}, {0, 1, 1, 2, 3, 2}), u[2], 0, 0), "");
  EXPECT_EQ(compare_tensors(make_i64({4}, {1, 2, 2, 1}), u[3], 0, 0), "");
  // Unique rows along axis 0 (with negative axis), optional outputs omitted.
  BRAID_ASSERT_OK_AND_ASSIGN(std::vector<Tensor> r, OpTester("Unique", 11).input(make_i64({3, 2}, {1, 0, 0, 1, 1, 0}))
                                                        .attr_int("axis", -2).outputs(3).omit_output(1).run());
  EXPECT_EQ(compare_tensors(make_i64({2, 2}, {0, 1, 1, 0}), r[0], 0, 0), "");
  EXPECT_EQ(compare_tensors(make_i64({3}, {1, 0, 1}), r[2], 0, 0), "");
  // NaNs group together after the numbers instead of breaking the sort.
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor n, OpTester("Unique", 11).input(make_f32({4}, {NAN, 1, NAN, 0})).run1());
  EXPECT_EQ(compare_tensors(make_f32({3}, {0, 1, NAN}), n, 0, 0), "");
  EXPECT_EQ(OpTester("Unique", 11).input(RefTensor::iota({2}).to(DataType::kFloat16)).create().code(), StatusCode::kUnsupportedOp);
  BRAID_EXPECT_BAD(OpTester("Unique", 11).input(make_f32({2}, {1, 2})).attr_int("axis", 1).run());
}

}  // namespace
}  // namespace braid::testing
