// Concat, Split and Slice against index-math references: negative axes, empty parts,
// every dtype, byte ranges split over threads, python-style slice clamping and bad input.
#include <gtest/gtest.h>

#include "common/test_util.h"
#include "tensor_test_util.h"

namespace braid::testing {
namespace {

RefTensor ref_concat(const std::vector<RefTensor>& xs, int64_t axis) {
  Shape out = xs[0].shape;
  out[axis] = 0;
  for (const auto& x : xs) out[axis] += x.shape[axis];
  RefTensor y(out);
  for (int64_t i = 0; i < y.numel(); ++i) {
    auto idx = y.unflat(i);
    int64_t k = 0, a = idx[axis];
    while (a >= xs[k].shape[axis]) a -= xs[k++].shape[axis];
    idx[axis] = a;
    y.v[i] = xs[k].at(idx);
  }
  return y;
}

TEST(TensorConcat, AxesDtypesAndEmptyParts) {
  for (int64_t axis : {0, 1, 2, -1, -3}) {
    const int64_t a = axis < 0 ? axis + 3 : axis;
    std::vector<RefTensor> xs;
    for (int64_t len : {2, 0, 3, 1}) {
      Shape s = {2, 3, 4};
      s[a] = len;
      RefTensor t(s);
      for (size_t i = 0; i < t.v.size(); ++i) t.v[i] = static_cast<double>((xs.size() * 31 + i) % 97);
      xs.push_back(t);
    }
    for (DataType dt : movable_dtypes()) {
      OpTester op("Concat", 13);
      for (const auto& x : xs) op.input(x.to(dt));
      op.attr_int("axis", axis);
      BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, op.run1());
      EXPECT_EQ(compare_tensors(ref_concat(xs, a).to(dt), y, 0, 0), "") << "axis " << axis << " " << dtype_name(dt);
    }
  }
}

TEST(TensorConcat, BigBatchOneSplitsOverThreads) {
  std::vector<RefTensor> xs = {RefTensor::iota({1, 96, 56, 56}), RefTensor::iota({1, 64, 56, 56}),
                               RefTensor::iota({1, 1, 56, 56})};
  OpTester op("Concat", 13);
  for (const auto& x : xs) op.input(x.to(DataType::kFloat32));
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, op.attr_int("axis", 1).threads(4).run1());
  EXPECT_EQ(compare_tensors(ref_concat(xs, 1).to(DataType::kFloat32), y, 0, 0), "");
  // Many small rows (concat on the last axis) split over threads too.
  std::vector<RefTensor> rows = {RefTensor::iota({300000, 3}), RefTensor::iota({300000, 2})};
  OpTester op2("Concat", 13);
  for (const auto& x : rows) op2.input(x.to(DataType::kFloat32));
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor z, op2.attr_int("axis", -1).threads(4).run1());
  EXPECT_EQ(compare_tensors(ref_concat(rows, 1).to(DataType::kFloat32), z, 0, 0), "");
}

TEST(TensorConcat, MismatchesAreErrors) {
  Tensor a = RefTensor::iota({2, 3}).to(DataType::kFloat32);
  Tensor b = RefTensor::iota({3, 3}).to(DataType::kFloat32);
  BRAID_EXPECT_BAD(OpTester("Concat", 13).input(a).input(b).attr_int("axis", 1).run());
  BRAID_EXPECT_BAD(OpTester("Concat", 13).input(a).input(b).attr_int("axis", 2).run());
  BRAID_EXPECT_BAD(OpTester("Concat", 13).input(a).input(RefTensor::iota({2}).to(DataType::kFloat32)).attr_int("axis", 0).run());
  BRAID_EXPECT_BAD(OpTester("Concat", 13).input(a).input(RefTensor::iota({2, 3}).to(DataType::kInt32)).attr_int("axis", 0).run());
  BRAID_EXPECT_BAD(OpTester("Concat", 13).input(a).create());  // axis required from opset 4
}

TEST(TensorSplit, EqualVariableAndZeroSizedParts) {
  RefTensor x = RefTensor::iota({4, 6, 5});
  struct Case {
    int opset;
    int64_t axis;
    std::vector<int64_t> split;  // empty: equal parts
    int outputs;
  };
  for (const Case& c : {Case{13, 1, {}, 3}, Case{13, -1, {2, 0, 3}, 3}, Case{11, 0, {1, 3}, 2}, Case{2, -2, {6}, 1},
                        Case{13, 0, {0, 4, 0}, 3}}) {
    for (DataType dt : {DataType::kFloat32, DataType::kUInt8, DataType::kInt64}) {
      OpTester op("Split", c.opset);
      op.input(x.to(dt)).attr_int("axis", c.axis).outputs(c.outputs);
      if (!c.split.empty()) {
        if (c.opset >= 13) op.const_input(make_i64({static_cast<int64_t>(c.split.size())}, c.split));
        else op.attr_ints("split", c.split);
      }
      BRAID_ASSERT_OK_AND_ASSIGN(std::vector<Tensor> ys, op.run());
      const int64_t a = c.axis < 0 ? c.axis + 3 : c.axis;
      std::vector<RefTensor> parts;
      for (const Tensor& y : ys) parts.push_back(RefTensor::from(y));
      // Concatenating the parts back gives the input, and every part has the asked size.
      EXPECT_EQ(compare_tensors(x.to(dt), ref_concat(parts, a).to(dt), 0, 0), "");
      for (size_t k = 0; k < ys.size(); ++k)
        EXPECT_EQ(ys[k].dim(a), c.split.empty() ? x.shape[a] / c.outputs : c.split[k]);
    }
  }
}

TEST(TensorSplit, BadSplitsAreErrors) {
  Tensor x = RefTensor::iota({4, 6}).to(DataType::kFloat32);
  BRAID_EXPECT_BAD(OpTester("Split", 13).input(x).attr_int("axis", 1).outputs(4).run());  // 6 % 4
  BRAID_EXPECT_BAD(OpTester("Split", 13).input(x).input(make_i64({2}, {2, 3})).attr_int("axis", 1).outputs(2).run());
  BRAID_EXPECT_BAD(OpTester("Split", 13).input(x).input(make_i64({2}, {-1, 7})).attr_int("axis", 1).outputs(2).run());
  BRAID_EXPECT_BAD(OpTester("Split", 13).input(x).input(make_i64({3}, {2, 2, 2})).attr_int("axis", 1).outputs(2).run());
  BRAID_EXPECT_BAD(OpTester("Split", 13).input(x).attr_int("axis", 2).outputs(2).run());
}

// CPython's slice.indices(): an independent statement of the clamping rules.
std::vector<int64_t> python_slice(int64_t len, int64_t start, int64_t stop, int64_t step) {
  auto adjust = [&](int64_t v) {
    if (v < 0) {
      v += len;
      if (v < 0) v = step < 0 ? -1 : 0;
    } else if (v >= len) {
      v = step < 0 ? len - 1 : len;
    }
    return v;
  };
  start = adjust(start);
  stop = adjust(stop);
  std::vector<int64_t> out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(i);
  return out;
}

RefTensor ref_slice(const RefTensor& x, const std::vector<std::vector<int64_t>>& picks) {
  Shape out;
  for (const auto& p : picks) out.push_back(static_cast<int64_t>(p.size()));
  RefTensor y(out);
  for (int64_t i = 0; i < y.numel(); ++i) {
    auto o = y.unflat(i);
    for (size_t d = 0; d < o.size(); ++d) o[d] = picks[d][o[d]];
    y.v[i] = x.at(o);
  }
  return y;
}

struct SliceCase {
  std::vector<int64_t> starts, ends, axes, steps;  // axes/steps empty: omitted
};

void check_slice(const Shape& shape, const SliceCase& c, DataType dt, int threads = 1) {
  RefTensor x = RefTensor::iota(shape, 100);
  std::vector<std::vector<int64_t>> picks;
  for (int64_t d : shape) {
    std::vector<int64_t> all(static_cast<size_t>(d));
    for (int64_t i = 0; i < d; ++i) all[i] = i;
    picks.push_back(all);
  }
  for (size_t i = 0; i < c.starts.size(); ++i) {
    int64_t axis = c.axes.empty() ? static_cast<int64_t>(i) : c.axes[i];
    if (axis < 0) axis += static_cast<int64_t>(shape.size());
    picks[axis] = python_slice(shape[axis], c.starts[i], c.ends[i], c.steps.empty() ? 1 : c.steps[i]);
  }
  const auto n = static_cast<int64_t>(c.starts.size());
  OpTester op("Slice", 13);
  op.input(x.to(dt)).input(make_i64({n}, c.starts)).const_input(make_i64({n}, c.ends));
  if (!c.axes.empty() || !c.steps.empty()) {
    if (c.axes.empty()) op.omitted_input();
    else op.input(make_i64({n}, c.axes));
  }
  if (!c.steps.empty()) op.input(make_i64({n}, c.steps));
  auto y = op.threads(threads).run1();
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ(compare_tensors(ref_slice(x, picks).to(dt), *y, 0, 0), "")
      << "starts " << shape_to_string(c.starts) << " ends " << shape_to_string(c.ends) << " axes "
      << shape_to_string(c.axes) << " steps " << shape_to_string(c.steps);
}

TEST(TensorSlice, ClampingNegativeStepsAndAxes) {
  const int64_t kMax = INT64_MAX, kMin = INT64_MIN;
  const std::vector<SliceCase> cases = {
      {{0, 1}, {2, 3}, {}, {}},
      {{1}, {kMax}, {-1}, {}},
      {{-3, 0}, {-1, 10}, {1, 0}, {}},
      {{20}, {1000}, {1}, {1}},  // start past the end: empty
      {{-100}, {2}, {2}, {1}},   // start before the beginning
      {{-1}, {kMin}, {2}, {-1}},  // reverse the whole dim
      {{4, 3}, {0, -100}, {2, 0}, {-2, -1}},
      {{0, 1, 0}, {kMax, 5, 7}, {0, 1, 2}, {2, 3, 3}},
      {{1}, {1}, {0}, {1}},  // empty range
      {{0}, {7}, {2}, {kMax}},  // a step longer than the dim
      {{6}, {0}, {2}, {kMin}},
  };
  for (const auto& c : cases) {
    check_slice({3, 5, 7}, c, DataType::kFloat32);
    check_slice({3, 5, 7}, c, DataType::kUInt8);
    check_slice({3, 5, 7}, c, DataType::kInt64);
  }
}

TEST(TensorSlice, RunsAndThreads) {
  check_slice({1, 128, 64, 64}, {{0, 8}, {1, 120}, {0, 1}, {}}, DataType::kFloat32, 4);
  check_slice({8, 64, 64, 32}, {{0, 0}, {64, 31}, {1, 3}, {2, 1}}, DataType::kFloat32, 4);
  check_slice({4, 256, 256}, {{255}, {-257}, {2}, {-3}}, DataType::kFloat32, 4);
}

TEST(TensorSlice, OldOpsetAttributesAndInt32Inputs) {
  RefTensor x = RefTensor::iota({4, 5});
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Slice", 1).input(x.to(DataType::kFloat32)).attr_ints("starts", {1, -2})
                                           .attr_ints("ends", {3, 100}).run1());
  EXPECT_EQ(compare_tensors(ref_slice(x, {{1, 2}, {3, 4}}).to(DataType::kFloat32), y, 0, 0), "");
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor z, OpTester("Slice", 1).input(x.to(DataType::kFloat32)).attr_ints("starts", {1})
                                           .attr_ints("ends", {-1}).attr_ints("axes", {-1}).run1());
  EXPECT_EQ(compare_tensors(ref_slice(x, {{0, 1, 2, 3}, {1, 2, 3}}).to(DataType::kFloat32), z, 0, 0), "");
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor w, OpTester("Slice", 11).input(x.to(DataType::kFloat32)).input(make_i32({1}, {3}))
                                           .input(make_i32({1}, {0})).input(make_i32({1}, {0})).input(make_i32({1}, {-2})).run1());
  EXPECT_EQ(compare_tensors(ref_slice(x, {{3, 1}, {0, 1, 2, 3, 4}}).to(DataType::kFloat32), w, 0, 0), "");
}

TEST(TensorSlice, EmptyInputAndBadArguments) {
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor e, OpTester("Slice", 13).input(Tensor::empty(DataType::kFloat32, {0, 4}).value())
                                           .input(make_i64({1}, {1})).input(make_i64({1}, {3})).input(make_i64({1}, {1})).run1());
  EXPECT_EQ(e.shape(), (Shape{0, 2}));
  Tensor x = RefTensor::iota({4, 5}).to(DataType::kFloat32);
  BRAID_EXPECT_BAD(OpTester("Slice", 13).input(x).input(make_i64({1}, {0})).input(make_i64({1}, {2}))
                       .input(make_i64({1}, {0})).input(make_i64({1}, {0})).run());  // step 0
  BRAID_EXPECT_BAD(OpTester("Slice", 13).input(x).input(make_i64({1}, {0})).input(make_i64({1}, {2}))
                       .input(make_i64({1}, {2})).run());  // axis out of range
  BRAID_EXPECT_BAD(OpTester("Slice", 13).input(x).input(make_i64({2}, {0, 0})).input(make_i64({2}, {2, 2}))
                       .input(make_i64({2}, {1, -1})).run());  // repeated axis
  BRAID_EXPECT_BAD(OpTester("Slice", 13).input(x).input(make_i64({2}, {0, 0})).input(make_i64({1}, {2})).run());
  BRAID_EXPECT_BAD(OpTester("Slice", 13).input(x).input(make_f32({1}, {0})).input(make_i64({1}, {2})).run());
}

}  // namespace
}  // namespace braid::testing
