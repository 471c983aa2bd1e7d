// Shape, Size, ConstantOfShape, Range, EyeLike, Expand, Tile and Pad against references:
// start/end clamping, typed fill values, broadcast and repeat rules, every pad mode with
// negative pads, and overflowing or negative shapes as errors.
#include <gtest/gtest.h>

#include <cmath>

#include "common/test_util.h"
#include "tensor_test_util.h"

namespace braid::testing {
namespace {

TEST(TensorShapeOps, ShapeStartEndAndSize) {
  Tensor x = Tensor::empty(DataType::kFloat32, {2, 3, 0, 5}).value();
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor s, OpTester("Shape", 13).input(x).run1());
  EXPECT_EQ(compare_tensors(make_i64({4}, {2, 3, 0, 5}), s, 0, 0), "");
  const std::vector<std::tuple<int64_t, std::optional<int64_t>, std::vector<int64_t>>> cases = {
      {1, std::nullopt, {3, 0, 5}}, {-1, std::nullopt, {5}}, {1, 3, {3, 0}}, {0, -1, {2, 3, 0}},
      {-10, 10, {2, 3, 0, 5}},      {3, 1, {}}};
  for (const auto& [start, end, want] : cases) {
    OpTester op("Shape", 15);
    op.input(x).attr_int("start", start);
    if (end) op.attr_int("end", *end);
    BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, op.run1());
    EXPECT_EQ(compare_tensors(make_i64({static_cast<int64_t>(want.size())}, want), y, 0, 0), "") << start;
  }
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor n, OpTester("Size", 13).input(RefTensor::iota({3, 7}).to(DataType::kUInt8)).run1());
  EXPECT_EQ(compare_tensors(make_i64({}, {21}), n, 0, 0), "");
}

TEST(TensorShapeOps, ConstantOfShapeTypedValues) {
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor a, OpTester("ConstantOfShape", 9).input(make_i64({2}, {2, 3})).run1());
  EXPECT_EQ(compare_tensors(make_f32({2, 3}, {0, 0, 0, 0, 0, 0}), a, 0, 0), "");
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor b, OpTester("ConstantOfShape", 9).const_input(make_i64({1}, {4}))
                                           .attr_tensor("value", make_i32({1}, {-7})).run1());
  EXPECT_EQ(compare_tensors(make_i32({4}, {-7, -7, -7, -7}), b, 0, 0), "");
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor c, OpTester("ConstantOfShape", 9).input(make_i64({0}, {}))
                                           .attr_tensor("value", make_f32({1}, {2.5f})).run1());
  EXPECT_EQ(compare_tensors(make_f32({}, {2.5f}), c, 0, 0), "");
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor d, OpTester("ConstantOfShape", 9).input(make_i64({2}, {3, 0})).run1());
  EXPECT_EQ(d.shape(), (Shape{3, 0}));
  BRAID_EXPECT_BAD(OpTester("ConstantOfShape", 9).input(make_i64({2}, {3, -1})).run());
  BRAID_EXPECT_BAD(OpTester("ConstantOfShape", 9).input(make_i64({3}, {int64_t{1} << 40, int64_t{1} << 40, 2})).run());
  BRAID_EXPECT_BAD(OpTester("ConstantOfShape", 9).input(make_i64({1}, {2})).attr_tensor("value", make_f32({2}, {1, 2})).create());
}

TEST(TensorShapeOps, RangeCountsLikeNumpy) {
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor a, OpTester("Range", 11).input(make_f32({}, {1})).input(make_f32({}, {2.05f}))
                                           .input(make_f32({}, {0.25f})).run1());
  EXPECT_EQ(compare_tensors(make_f32({5}, {1, 1.25f, 1.5f, 1.75f, 2}), a, 1e-6, 0), "");
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor b, OpTester("Range", 11).input(make_i32({}, {10})).input(make_i32({}, {3}))
                                           .input(make_i32({}, {-3})).run1());
  EXPECT_EQ(compare_tensors(make_i32({3}, {10, 7, 4}), b, 0, 0), "");
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor c, OpTester("Range", 11).input(make_i64({}, {5})).input(make_i64({}, {5}))
                                           .input(make_i64({}, {1})).run1());
  EXPECT_EQ(c.shape(), (Shape{0}));
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor d, OpTester("Range", 11).input(make_i64({}, {0})).input(make_i64({}, {-5}))
                                           .input(make_i64({}, {2})).run1());
  EXPECT_EQ(d.shape(), (Shape{0}));
  BRAID_EXPECT_BAD(OpTester("Range", 11).input(make_i64({}, {0})).input(make_i64({}, {5})).input(make_i64({}, {0})).run());
  BRAID_EXPECT_BAD(OpTester("Range", 11).input(make_f32({}, {0})).input(make_f32({}, {INFINITY})).input(make_f32({}, {1})).run());
  EXPECT_EQ(OpTester("Range", 11).input(make_bool({}, {0})).input(make_bool({}, {1})).input(make_bool({}, {1})).create().code(),
            StatusCode::kUnsupportedOp);
}

TEST(TensorShapeOps, EyeLikeDiagonalsAndDtypes) {
  for (int64_t k : {0, 1, -2, 5, -9}) {
    RefTensor want({3, 4});
    for (int64_t i = 0; i < 3; ++i)
      if (i + k >= 0 && i + k < 4) want.at({i, i + k}) = 1;
    for (DataType dt : {DataType::kFloat32, DataType::kInt64, DataType::kBool, DataType::kFloat16, DataType::kBFloat16}) {
      BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("EyeLike", 9).input(Tensor::empty(DataType::kInt32, {3, 4}).value())
                                               .attr_int("dtype", static_cast<int64_t>(dt)).attr_int("k", k).run1());
      EXPECT_EQ(compare_tensors(want.to(dt), y, 0, 0), "") << k << " " << dtype_name(dt);
    }
  }
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor z, OpTester("EyeLike", 9).input(RefTensor::iota({2, 2}).to(DataType::kFloat64)).run1());
  EXPECT_EQ(z.dtype(), DataType::kFloat64);
  BRAID_EXPECT_BAD(OpTester("EyeLike", 9).input(RefTensor::iota({2}).to(DataType::kFloat32)).run());
}

RefTensor ref_broadcast(const RefTensor& x, const Shape& out, bool tile) {
  RefTensor y(out);
  const size_t off = out.size() - x.shape.size();
  for (int64_t i = 0; i < y.numel(); ++i) {
    auto o = y.unflat(i);
    std::vector<int64_t> in(x.shape.size());
    for (size_t d = 0; d < in.size(); ++d) in[d] = tile ? o[d + off] % x.shape[d] : (x.shape[d] == 1 ? 0 : o[d + off]);
    y.v[i] = x.at(in);
  }
  return y;
}

TEST(TensorExpand, BidirectionalBroadcast) {
  struct Case {
    Shape in;
    std::vector<int64_t> shape;
    Shape out;
  };
  for (const Case& c : {Case{{3, 1}, {2, 1, 6}, {2, 3, 6}}, Case{{1, 4}, {3, 1}, {3, 4}}, Case{{2, 3}, {1}, {2, 3}},
                        Case{{}, {2, 2}, {2, 2}}, Case{{1, 1, 5}, {4, 3, 1}, {4, 3, 5}}, Case{{3, 1}, {0, 3, 4}, {0, 3, 4}},
                        Case{{2, 1, 3, 1}, {2, 4, 3, 5}, {2, 4, 3, 5}}}) {
    RefTensor x = RefTensor::iota(c.in, 100);
    for (DataType dt : {DataType::kFloat32, DataType::kUInt8, DataType::kInt64}) {
      BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Expand", 13).input(x.to(dt))
                                               .input(make_i64({static_cast<int64_t>(c.shape.size())}, c.shape)).run1());
      EXPECT_EQ(compare_tensors(ref_broadcast(x, c.out, false).to(dt), y, 0, 0), "") << shape_to_string(c.in);
    }
  }
  RefTensor big = RefTensor::iota({1, 256, 1, 1});
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Expand", 13).input(big.to(DataType::kFloat32))
                                           .input(make_i64({4}, {2, 256, 32, 32})).threads(4).run1());
  EXPECT_EQ(compare_tensors(ref_broadcast(big, {2, 256, 32, 32}, false).to(DataType::kFloat32), y, 0, 0), "");
  Tensor x = RefTensor::iota({3, 2}).to(DataType::kFloat32);
  BRAID_EXPECT_BAD(OpTester("Expand", 13).input(x).input(make_i64({2}, {3, 4})).run());
  BRAID_EXPECT_BAD(OpTester("Expand", 13).input(x).input(make_i64({2}, {-1, 2})).run());
}

TEST(TensorTile, RepeatsAndTileOne) {
  RefTensor x = RefTensor::iota({2, 3, 1}, 100);
  for (const std::vector<int64_t>& reps : {std::vector<int64_t>{1, 1, 1}, {2, 1, 3}, {3, 2, 1}, {1, 0, 2}}) {
    Shape out = {2 * reps[0], 3 * reps[1], reps[2]};
    for (DataType dt : {DataType::kFloat32, DataType::kInt8, DataType::kFloat64}) {
      BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Tile", 13).input(x.to(dt)).input(make_i64({3}, reps)).run1());
      EXPECT_EQ(compare_tensors(ref_broadcast(x, out, true).to(dt), y, 0, 0), "") << shape_to_string(reps);
    }
  }
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor t1, OpTester("Tile", 1).input(x.to(DataType::kFloat32)).input(make_i64({}, {3}))
                                            .input(make_i64({}, {-2})).run1());
  EXPECT_EQ(compare_tensors(ref_broadcast(x, {2, 9, 1}, true).to(DataType::kFloat32), t1, 0, 0), "");
  RefTensor big = RefTensor::iota({64, 100});
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Tile", 13).input(big.to(DataType::kFloat32)).input(make_i64({2}, {4, 16})).threads(4).run1());
  EXPECT_EQ(compare_tensors(ref_broadcast(big, {256, 1600}, true).to(DataType::kFloat32), y, 0, 0), "");
  Tensor xf = x.to(DataType::kFloat32);
  BRAID_EXPECT_BAD(OpTester("Tile", 13).input(xf).input(make_i64({2}, {1, 1})).run());
  BRAID_EXPECT_BAD(OpTester("Tile", 13).input(xf).input(make_i64({3}, {1, -1, 1})).run());
  BRAID_EXPECT_BAD(OpTester("Tile", 13).input(xf).input(make_i64({3}, {int64_t{1} << 62, 4, 1})).run());
}

// numpy.pad: negative pads crop first, then constant / edge / reflect.
RefTensor ref_pad(const RefTensor& x, const std::vector<int64_t>& pads, const std::string& mode, double value) {
  const size_t r = x.shape.size();
  // Crop.
  Shape cs(r);
  std::vector<int64_t> c0(r);
  for (size_t d = 0; d < r; ++d) {
    c0[d] = std::max<int64_t>(0, -pads[d]);
    cs[d] = x.shape[d] - c0[d] - std::max<int64_t>(0, -pads[d + r]);
  }
  RefTensor c(cs);
  for (int64_t i = 0; i < c.numel(); ++i) {
    auto o = c.unflat(i);
    for (size_t d = 0; d < r; ++d) o[d] += c0[d];
    c.v[i] = x.at(o);
  }
  Shape out(r);
  for (size_t d = 0; d < r; ++d) out[d] = cs[d] + std::max<int64_t>(0, pads[d]) + std::max<int64_t>(0, pads[d + r]);
  RefTensor y(out);
  for (int64_t i = 0; i < y.numel(); ++i) {
    auto o = y.unflat(i);
    bool outside = false;
    for (size_t d = 0; d < r; ++d) {
      int64_t j = o[d] - std::max<int64_t>(0, pads[d]);
      const int64_t n = cs[d];
      if (j < 0 || j >= n) {
        if (mode == "constant") outside = true;
        else if (mode == "edge") j = j < 0 ? 0 : n - 1;
        else if (n == 1)
          j = 0;
        else
          while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
      }
      o[d] = j;
    }
    y.v[i] = outside ? value : c.at(o);
  }
  return y;
}

TEST(TensorPad, ModesNegativePadsAndDtypes) {
  RefTensor x = RefTensor::iota({3, 4, 5}, 100);
  const std::vector<std::vector<int64_t>> cases = {
      {0, 0, 0, 0, 0, 0}, {1, 2, 3, 2, 1, 0}, {0, -1, 2, 1, 0, -2}, {-1, 3, -4, 2, -3, 4}, {2, 0, 0, 0, 0, 1}};
  for (const auto& pads : cases) {
    for (const char* mode : {"constant", "edge", "reflect"}) {
      for (DataType dt : {DataType::kFloat32, DataType::kInt32, DataType::kUInt8, DataType::kFloat64}) {
        BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Pad", 13).input(x.to(dt)).const_input(make_i64({6}, pads))
                                                 .input(RefTensor(Shape{}).to(dt)).attr_string("mode", mode).run1());
        EXPECT_EQ(compare_tensors(ref_pad(x, pads, mode, 0).to(dt), y, 0, 0), "") << mode << " " << shape_to_string(pads);
      }
    }
  }
}

TEST(TensorPad, ValuesAttributesAndOldOpsets) {
  RefTensor x = RefTensor::iota({2, 3});
  const std::vector<int64_t> pads = {1, 0, 0, 2};
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor a, OpTester("Pad", 2).input(x.to(DataType::kFloat32)).attr_ints("pads", pads)
                                           .attr_float("value", 1.5f).run1());
  EXPECT_EQ(compare_tensors(ref_pad(x, pads, "constant", 1.5).to(DataType::kFloat32), a, 0, 0), "");
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor b, OpTester("Pad", 1).input(x.to(DataType::kInt64)).attr_ints("paddings", pads)
                                           .attr_float("value", -3).run1());
  EXPECT_EQ(compare_tensors(ref_pad(x, pads, "constant", -3).to(DataType::kInt64), b, 0, 0), "");
  RefTensor v(Shape{});
  v.v = {9};
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor c, OpTester("Pad", 11).input(x.to(DataType::kInt16)).input(make_i64({4}, pads))
                                           .input(v.to(DataType::kInt16)).run1());
  EXPECT_EQ(compare_tensors(ref_pad(x, pads, "constant", 9).to(DataType::kInt16), c, 0, 0), "");
  // No constant_value: zeros. float16 pads through the half conversion of the attribute value.
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor d, OpTester("Pad", 11).input(x.to(DataType::kFloat32)).input(make_i64({4}, pads)).run1());
  EXPECT_EQ(compare_tensors(ref_pad(x, pads, "constant", 0).to(DataType::kFloat32), d, 0, 0), "");
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor e, OpTester("Pad", 2).input(x.to(DataType::kFloat16)).attr_ints("pads", pads)
                                           .attr_float("value", 0.5f).run1());
  EXPECT_EQ(compare_tensors(ref_pad(x, pads, "constant", 0.5).to(DataType::kFloat16), e, 0, 0), "");
}

TEST(TensorPad, LargeAndEmptyAndErrors) {
  RefTensor big = RefTensor::iota({1, 32, 112, 112});
  const std::vector<int64_t> pads = {0, 0, 1, 1, 0, 0, 1, 1};
  for (const char* mode : {"constant", "reflect"}) {
    BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Pad", 13).input(big.to(DataType::kFloat32)).input(make_i64({8}, pads))
                                             .attr_string("mode", mode).threads(4).run1());
    EXPECT_EQ(compare_tensors(ref_pad(big, pads, mode, 0).to(DataType::kFloat32), y, 0, 0), "") << mode;
  }
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor e, OpTester("Pad", 13).input(Tensor::empty(DataType::kFloat32, {0, 3}).value())
                                           .input(make_i64({4}, {1, 0, 1, 0})).run1());
  EXPECT_EQ(compare_tensors(make_f32({2, 3}, {0, 0, 0, 0, 0, 0}), e, 0, 0), "");
  Tensor x = RefTensor::iota({2, 3}).to(DataType::kFloat32);
  BRAID_EXPECT_BAD(OpTester("Pad", 13).input(x).input(make_i64({2}, {1, 1})).run());
  BRAID_EXPECT_BAD(OpTester("Pad", 13).input(x).input(make_i64({4}, {0, -2, 0, -2})).run());
  BRAID_EXPECT_BAD(OpTester("Pad", 13).input(Tensor::empty(DataType::kFloat32, {0, 3}).value())
                       .input(make_i64({4}, {1, 0, 1, 0})).attr_string("mode", "edge").run());
  BRAID_EXPECT_BAD(OpTester("Pad", 13).input(x).input(make_i64({4}, {INT64_MAX, 0, 1, 0})).run());
  BRAID_EXPECT_BAD(OpTester("Pad", 13).input(x).input(make_i64({4}, {0, 0, 0, 0})).input(make_i32({}, {1})).run());
  EXPECT_EQ(OpTester("Pad", 13).input(x).input(make_i64({4}, {0, 0, 0, 0})).attr_string("mode", "wrap").create().code(),
            StatusCode::kUnsupportedOp);
}

}  // namespace
}  // namespace braid::testing
