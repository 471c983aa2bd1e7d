// Gather, GatherElements, GatherND, ScatterElements, Scatter and ScatterND against
// index-math references: negative axes and indices, int32/int64 indices, batch_dims,
// reductions, empty indices, and out-of-range indices as errors (never a bad access).
#include <gtest/gtest.h>

#include "common/test_util.h"
#include "tensor_test_util.h"

namespace braid::testing {
namespace {

int64_t wrap(int64_t v, int64_t dim) { return v < 0 ? v + dim : v; }

RefTensor ref_gather(const RefTensor& x, const RefTensor& idx, int64_t axis) {
  Shape out(x.shape.begin(), x.shape.begin() + axis);
  out.insert(out.end(), idx.shape.begin(), idx.shape.end());
  out.insert(out.end(), x.shape.begin() + axis + 1, x.shape.end());
  RefTensor y(out);
  const size_t q = idx.shape.size();
  for (int64_t i = 0; i < y.numel(); ++i) {
    auto o = y.unflat(i);
    std::vector<int64_t> ii(o.begin() + axis, o.begin() + axis + static_cast<int64_t>(q));
    std::vector<int64_t> in(o.begin(), o.begin() + axis);
    in.push_back(wrap(static_cast<int64_t>(idx.at(ii)), x.shape[axis]));
    in.insert(in.end(), o.begin() + axis + static_cast<int64_t>(q), o.end());
    y.v[i] = x.at(in);
  }
  return y;
}

TEST(TensorGather, AxesIndexShapesAndDtypes) {
  RefTensor x = RefTensor::iota({4, 5, 3}, 100);
  RefTensor idx({2, 3});
  idx.v = {0, -1, 2, 3, -4, 1};
  for (int64_t axis : {0, -2}) {
    for (DataType dt : {DataType::kFloat32, DataType::kUInt8, DataType::kInt64, DataType::kFloat16}) {
      for (DataType it : {DataType::kInt64, DataType::kInt32}) {
        BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Gather", 13).input(x.to(dt)).input(idx.to(it)).attr_int("axis", axis).run1());
        const int64_t a = axis < 0 ? axis + 3 : axis;
        EXPECT_EQ(compare_tensors(ref_gather(x, idx, a).to(dt), y, 0, 0), "") << axis << " " << dtype_name(dt);
      }
    }
  }
  // The last axis (one element per index) and a scalar index.
  RefTensor s(Shape{});
  s.v = {-1};
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Gather", 13).input(x.to(DataType::kFloat32)).input(s.to(DataType::kInt64)).attr_int("axis", 2).run1());
  EXPECT_EQ(compare_tensors(ref_gather(x, s, 2).to(DataType::kFloat32), y, 0, 0), "");
  RefTensor many({1000});
  for (size_t i = 0; i < many.v.size(); ++i) many.v[i] = static_cast<double>(i % 3) - 1;
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor z, OpTester("Gather", 13).input(x.to(DataType::kInt32)).input(many.to(DataType::kInt32)).attr_int("axis", -1).run1());
  EXPECT_EQ(compare_tensors(ref_gather(x, many, 2).to(DataType::kInt32), z, 0, 0), "");
}

TEST(TensorGather, LargeEmbeddingLookupOverThreads) {
  RefTensor table = RefTensor::iota({1000, 256});
  RefTensor idx({4096});
  for (size_t i = 0; i < idx.v.size(); ++i) idx.v[i] = static_cast<double>((i * 7919) % 1000);
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Gather", 13).input(table.to(DataType::kFloat32)).input(idx.to(DataType::kInt64)).threads(4).run1());
  EXPECT_EQ(compare_tensors(ref_gather(table, idx, 0).to(DataType::kFloat32), y, 0, 0), "");
}

TEST(TensorGather, EmptyAndOutOfRange) {
  Tensor x = RefTensor::iota({3, 4}).to(DataType::kFloat32);
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor e, OpTester("Gather", 13).input(x).input(Tensor::empty(DataType::kInt64, {0, 2}).value()).run1());
  EXPECT_EQ(e.shape(), (Shape{0, 2, 4}));
  BRAID_EXPECT_BAD(OpTester("Gather", 13).input(x).input(make_i64({2}, {0, 3})).run());
  BRAID_EXPECT_BAD(OpTester("Gather", 13).input(x).input(make_i64({1}, {-4})).run());
  BRAID_EXPECT_BAD(OpTester("Gather", 13).input(x).input(make_i32({1}, {1 << 30})).attr_int("axis", 1).run());
  BRAID_EXPECT_BAD(OpTester("Gather", 13).input(x).input(make_i64({1}, {0})).attr_int("axis", 2).run());
  BRAID_EXPECT_BAD(OpTester("Gather", 13).input(Tensor::empty(DataType::kFloat32, {0, 4}).value()).input(make_i64({1}, {0})).run());
  BRAID_EXPECT_BAD(OpTester("Gather", 13).input(x).input(make_f32({1}, {0})).create());
}

RefTensor ref_gather_elements(const RefTensor& x, const RefTensor& idx, int64_t axis) {
  RefTensor y(idx.shape);
  for (int64_t i = 0; i < y.numel(); ++i) {
    auto o = y.unflat(i);
    o[axis] = wrap(static_cast<int64_t>(idx.v[i]), x.shape[axis]);
    y.v[i] = x.at(o);
  }
  return y;
}

TEST(TensorGatherElements, AxesSmallerIndexShapesAndErrors) {
  RefTensor x = RefTensor::iota({3, 4, 5});
  RefTensor idx({2, 4, 3});
  for (size_t i = 0; i < idx.v.size(); ++i) idx.v[i] = static_cast<double>(static_cast<int64_t>(i * 5 % 7) - 3);
  for (int64_t axis : {0, 1, -1}) {
    const int64_t a = axis < 0 ? axis + 3 : axis;
    RefTensor k = idx;
    for (double& v : k.v) v = static_cast<double>(wrap(static_cast<int64_t>(v), x.shape[a]) % x.shape[a]);
    for (DataType dt : {DataType::kFloat32, DataType::kInt8, DataType::kFloat64}) {
      BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("GatherElements", 13).input(x.to(dt)).input(k.to(DataType::kInt32)).attr_int("axis", axis).run1());
      EXPECT_EQ(compare_tensors(ref_gather_elements(x, k, a).to(dt), y, 0, 0), "") << axis;
    }
  }
  Tensor xf = x.to(DataType::kFloat32);
  BRAID_EXPECT_BAD(OpTester("GatherElements", 13).input(xf).input(make_i64({1, 1, 1}, {3})).run());
  BRAID_EXPECT_BAD(OpTester("GatherElements", 13).input(xf).input(make_i64({1, 1, 1}, {-4})).run());
  BRAID_EXPECT_BAD(OpTester("GatherElements", 13).input(xf).input(make_i64({1, 1}, {0})).run());        // rank
  BRAID_EXPECT_BAD(OpTester("GatherElements", 13).input(xf).input(make_i64({1, 5, 1}, {0, 0, 0, 0, 0})).run());  // shape
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor e, OpTester("GatherElements", 13).input(xf).input(Tensor::empty(DataType::kInt64, {0, 4, 5}).value()).run1());
  EXPECT_EQ(e.shape(), (Shape{0, 4, 5}));
}

TEST(TensorGatherND, TuplesSlicesAndBatchDims) {
  RefTensor x = RefTensor::iota({2, 3, 4});
  // Full-coordinate tuples, one element each.
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor a, OpTester("GatherND", 13).input(x.to(DataType::kFloat32))
                                           .input(make_i64({2, 3}, {1, 2, 3, 0, -1, 0})).run1());
  EXPECT_EQ(compare_tensors(make_f32({2}, {static_cast<float>(x.at({1, 2, 3})), static_cast<float>(x.at({0, 2, 0}))}), a, 0, 0), "");
  // One-coordinate tuples: whole [3, 4] slices.
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor b, OpTester("GatherND", 13).input(x.to(DataType::kInt32)).input(make_i64({2, 1}, {1, 0})).run1());
  RefTensor want_b({2, 3, 4});
  for (int64_t i = 0; i < want_b.numel(); ++i) {
    auto o = want_b.unflat(i);
    want_b.v[i] = x.at({o[0] == 0 ? 1 : 0, o[1], o[2]});
  }
  EXPECT_EQ(compare_tensors(want_b.to(DataType::kInt32), b, 0, 0), "");
  // batch_dims = 1: each batch picks its own row.
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor c, OpTester("GatherND", 13).input(x.to(DataType::kFloat32)).input(make_i64({2, 1}, {2, -3}))
                                           .attr_int("batch_dims", 1).run1());
  RefTensor want_c({2, 4});
  for (int64_t j = 0; j < 4; ++j) {
    want_c.at({0, j}) = x.at({0, 2, j});
    want_c.at({1, j}) = x.at({1, 0, j});
  }
  EXPECT_EQ(compare_tensors(want_c.to(DataType::kFloat32), c, 0, 0), "");
  Tensor xf = x.to(DataType::kFloat32);
  BRAID_EXPECT_BAD(OpTester("GatherND", 13).input(xf).input(make_i64({1, 3}, {2, 0, 0})).run());
  BRAID_EXPECT_BAD(OpTester("GatherND", 13).input(xf).input(make_i64({1, 4}, {0, 0, 0, 0})).run());
  BRAID_EXPECT_BAD(OpTester("GatherND", 13).input(xf).input(make_i64({3, 1}, {0, 0, 0})).attr_int("batch_dims", 1).run());
}

TEST(TensorScatterElements, ReplaceReduceAndErrors) {
  RefTensor x = RefTensor::iota({3, 4});
  RefTensor idx({2, 3});
  idx.v = {1, -1, 0, 2, 0, 3};
  RefTensor upd({2, 3});
  upd.v = {10, 20, 30, 40, 50, 60};
  for (const char* red : {"none", "add", "mul"}) {
    RefTensor want = x;
    for (int64_t i = 0; i < upd.numel(); ++i) {
      auto o = upd.unflat(i);
      o[1] = wrap(static_cast<int64_t>(idx.v[i]), 4);
      double& d = want.at(o);
      d = std::string(red) == "none" ? upd.v[i] : std::string(red) == "add" ? d + upd.v[i] : d * upd.v[i];
    }
    for (DataType dt : {DataType::kFloat32, DataType::kInt64, DataType::kFloat64}) {
      BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("ScatterElements", 16).input(x.to(dt)).input(idx.to(DataType::kInt64))
                                               .input(upd.to(dt)).attr_int("axis", -1).attr_string("reduction", red).run1());
      EXPECT_EQ(compare_tensors(want.to(dt), y, 0, 0), "") << red << " " << dtype_name(dt);
    }
  }
  // Duplicate indices add up in order.
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor d, OpTester("ScatterElements", 16).input(make_f32({3}, {1, 2, 3})).input(make_i64({3}, {1, 1, 1}))
                                           .input(make_f32({3}, {1, 2, 4})).attr_string("reduction", "add").run1());
  EXPECT_EQ(compare_tensors(make_f32({3}, {1, 9, 3}), d, 0, 0), "");
  Tensor xf = x.to(DataType::kFloat32);
  BRAID_EXPECT_BAD(OpTester("ScatterElements", 13).input(xf).input(make_i64({1, 1}, {4})).input(make_f32({1, 1}, {1})).attr_int("axis", 1).run());
  BRAID_EXPECT_BAD(OpTester("ScatterElements", 13).input(xf).input(make_i64({1, 1}, {-5})).input(make_f32({1, 1}, {1})).attr_int("axis", 1).run());
  BRAID_EXPECT_BAD(OpTester("ScatterElements", 13).input(xf).input(make_i64({1, 2}, {0, 0})).input(make_f32({1, 1}, {1})).run());
  BRAID_EXPECT_BAD(OpTester("ScatterElements", 16).input(xf).input(make_i64({1, 1}, {0})).input(make_f32({1, 1}, {1})).attr_string("reduction", "sub").create());
  EXPECT_EQ(OpTester("ScatterElements", 16).input(make_bool({1}, {1})).input(make_i64({1}, {0})).input(make_bool({1}, {0}))
                .attr_string("reduction", "add").create().code(),
            StatusCode::kUnsupportedOp);
}

TEST(TensorScatterElements, ScatterAtOpset9MatchesReference) {
  RefTensor x = RefTensor::iota({3, 3});
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Scatter", 9).input(x.to(DataType::kFloat32)).input(make_i32({1, 2}, {2, 0}))
                                           .input(make_f32({1, 2}, {7, 8})).run1());
  RefTensor want = x;
  want.at({2, 0}) = 7;
  want.at({0, 1}) = 8;
  EXPECT_EQ(compare_tensors(want.to(DataType::kFloat32), y, 0, 0), "");
}

TEST(TensorScatterND, SlicesReductionsAndErrors) {
  RefTensor x = RefTensor::iota({4, 3});
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("ScatterND", 11).input(x.to(DataType::kFloat32)).input(make_i64({2, 1}, {-1, 1}))
                                           .input(make_f32({2, 3}, {1, 2, 3, 4, 5, 6})).run1());
  RefTensor want = x;
  for (int64_t j = 0; j < 3; ++j) {
    want.at({3, j}) = static_cast<double>(1 + j);
    want.at({1, j}) = static_cast<double>(4 + j);
  }
  EXPECT_EQ(compare_tensors(want.to(DataType::kFloat32), y, 0, 0), "");
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor z, OpTester("ScatterND", 16).input(x.to(DataType::kInt32)).input(make_i64({2, 2}, {0, 0, 0, 0}))
                                           .input(Tensor::from_vector<int32_t>({2}, {5, 7}).value()).attr_string("reduction", "mul").run1());
  RefTensor want_z = x;
  want_z.at({0, 0}) *= 35;
  EXPECT_EQ(compare_tensors(want_z.to(DataType::kInt32), z, 0, 0), "");
  Tensor xf = x.to(DataType::kFloat32);
  BRAID_EXPECT_BAD(OpTester("ScatterND", 11).input(xf).input(make_i64({1, 1}, {4})).input(make_f32({1, 3}, {1, 2, 3})).run());
  BRAID_EXPECT_BAD(OpTester("ScatterND", 11).input(xf).input(make_i64({1, 1}, {0})).input(make_f32({1, 2}, {1, 2})).run());
  BRAID_EXPECT_BAD(OpTester("ScatterND", 11).input(xf).input(make_i64({1, 3}, {0, 0, 0})).input(make_f32({1}, {1})).run());
}

}  // namespace
}  // namespace braid::testing
