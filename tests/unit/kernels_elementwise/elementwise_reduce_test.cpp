// Reduce* kernels against a double reference over random shapes and axis sets, with
// keepdims, negative axes, axes as an input (ReduceSum 13), noop_with_empty_axes, empty
// reductions and bad axes.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "elementwise_test_util.h"

namespace braid {
namespace {

using namespace ewtest;

struct Kind {
  const char* op;
  double init;
  std::function<double(double, double)> step;
  std::function<double(double, int64_t)> finish;
};

const Kind kKinds[] = {
    {"ReduceSum", 0, [](double a, double x) { return a + x; }, [](double a, int64_t) { return a; }},
    {"ReduceMean", 0, [](double a, double x) { return a + x; }, [](double a, int64_t n) { return a / n; }},
    {"ReduceMax", -INFINITY, [](double a, double x) { return std::max(a, x); }, [](double a, int64_t) { return a; }},
    {"ReduceMin", INFINITY, [](double a, double x) { return std::min(a, x); }, [](double a, int64_t) { return a; }},
    {"ReduceProd", 1, [](double a, double x) { return a * x; }, [](double a, int64_t) { return a; }},
    {"ReduceL1", 0, [](double a, double x) { return a + std::fabs(x); }, [](double a, int64_t) { return a; }},
    {"ReduceL2", 0, [](double a, double x) { return a + x * x; }, [](double a, int64_t) { return std::sqrt(a); }},
    {"ReduceLogSum", 0, [](double a, double x) { return a + x; }, [](double a, int64_t) { return std::log(a); }},
    {"ReduceLogSumExp", 0, [](double a, double x) { return a + std::exp(x); }, [](double a, int64_t) { return std::log(a); }},
    {"ReduceSumSquare", 0, [](double a, double x) { return a + x * x; }, [](double a, int64_t) { return a; }},
};

// Reference reduction of x (shape `shape`) over `reduced` dims; the output in row-major
// order of the kept dims.
std::vector<double> reduce_ref(const Kind& k, const std::vector<double>& x, const Shape& shape,
                               const std::vector<bool>& reduced) {
  Shape out_dims;
  for (size_t d = 0; d < shape.size(); ++d) out_dims.push_back(reduced[d] ? 1 : shape[d]);
  const int64_t out_n = numel_of(out_dims);
  std::vector<double> acc(static_cast<size_t>(out_n), k.init);
  int64_t count = 1;
  for (size_t d = 0; d < shape.size(); ++d) if (reduced[d]) count *= shape[d];
  for (int64_t i = 0; i < numel_of(shape); ++i) {
    int64_t rest = i, o = 0, stride = 1;
    for (size_t d = shape.size(); d-- > 0;) {
      const int64_t idx = rest % shape[d];
      rest /= shape[d];
      if (!reduced[d]) o += idx * stride;
      stride *= out_dims[d];
    }
    acc[static_cast<size_t>(o)] = k.step(acc[static_cast<size_t>(o)], x[static_cast<size_t>(i)]);
  }
  for (double& a : acc) a = k.finish(a, count);
  return acc;
}

TEST(ElementwiseReduce, RandomShapesAndAxesMatchReference) {
  std::mt19937 rng(17);
  for (int iter = 0; iter < 120; ++iter) {
    const int rank = 1 + static_cast<int>(rng() % 4);
    Shape shape(rank);
    for (auto& d : shape) d = 1 + rng() % 5;
    std::vector<bool> reduced(rank, false);
    std::vector<int64_t> axes;
    for (int d = 0; d < rank; ++d)
      if (rng() % 2) {
        reduced[d] = true;
        axes.push_back(rng() % 2 ? d : d - rank);
      }
    const bool keepdims = rng() % 2;
    const Kind& k = kKinds[iter % 10];
    if (axes.empty()) reduced.assign(rank, true);
    const DataType dt = iter % 3 == 0 ? DataType::kFloat64 : DataType::kFloat32;
    const double lo = std::string(k.op) == "ReduceLogSum" ? 0.1 : -2.0;
    Tensor x = make_tensor(dt, shape, random_values(numel_of(shape), iter, lo, 2.0));
    std::vector<detail::Attribute> attrs = {attr_int("keepdims", keepdims)};
    if (!axes.empty()) attrs.push_back(attr_ints("axes", axes));
    auto r = run_op({.op = k.op, .opset = 11, .inputs = {x}, .attributes = attrs, .max_threads = 2});
    ASSERT_TRUE(r.ok()) << k.op << ": " << r.status().to_string();
    Shape want_shape;
    for (int d = 0; d < rank; ++d)
      if (!reduced[d]) want_shape.push_back(shape[d]);
      else if (keepdims) want_shape.push_back(1);
    ASSERT_EQ((*r)[0].shape(), want_shape) << k.op;
    const std::vector<double> want = reduce_ref(k, elements(x), shape, reduced);
    const std::vector<double> got = elements((*r)[0]);
    for (size_t i = 0; i < want.size(); ++i)
      ASSERT_NEAR(got[i], want[i], 2e-5 * (1 + std::fabs(want[i])))
          << k.op << " " << shape_to_string(shape) << " iter " << iter << " @" << i;
  }
}

TEST(ElementwiseReduce, Float32LastAxisFastPathAndOtherLayouts) {
  // [rows, n] over the last axis takes the vectorized rows; [n, m] over axis 0 the
  // kept-inner walk; both against the reference at tail sizes.
  for (int64_t n : {1, 15, 17, 1000003}) {
    const int64_t rows = n > 1000 ? 2 : 5;
    Tensor x = make_tensor(DataType::kFloat32, {rows, n}, random_values(rows * n, 4, -1, 1));
    for (const char* op : {"ReduceMean", "ReduceSum", "ReduceMax"}) {
      const Kind& k = *std::find_if(std::begin(kKinds), std::end(kKinds), [&](const Kind& c) { return std::string(c.op) == op; });
      for (int64_t axis : {1, 0}) {
        auto r = run_op({.op = op, .opset = 11, .inputs = {x}, .attributes = {attr_ints("axes", {axis})}, .max_threads = 4});
        ASSERT_TRUE(r.ok());
        const std::vector<double> want = reduce_ref(k, elements(x), {rows, n}, {axis == 0, axis == 1});
        const std::vector<double> got = elements((*r)[0]);
        for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-6 * (1 + std::fabs(want[i]))) << op << " n " << n << " axis " << axis;
      }
    }
  }
}

TEST(ElementwiseReduce, IntegerReductions) {
  Tensor x = make_tensor(DataType::kInt32, {2, 3}, {1, -2, 3, 4, 5, -6});
  const std::vector<std::pair<const char*, std::vector<double>>> cases = {
      {"ReduceSum", {2, 3}}, {"ReduceMax", {3, 5}}, {"ReduceMin", {-2, -6}}, {"ReduceProd", {-6, -120}},
      {"ReduceL1", {6, 15}}, {"ReduceSumSquare", {14, 77}}, {"ReduceMean", {0, 1}}};
  for (const auto& [op, want] : cases) {
    auto r = run_op({.op = op, .opset = 11, .inputs = {x}, .attributes = {attr_ints("axes", {1}), attr_int("keepdims", 0)}});
    ASSERT_TRUE(r.ok()) << op;
    EXPECT_EQ((*r)[0].dtype(), DataType::kInt32);
    EXPECT_EQ(elements((*r)[0]), want) << op;
  }
}

TEST(ElementwiseReduce, ReduceSum13TakesAxesAsAnInput) {
  Tensor x = make_tensor(DataType::kFloat32, {2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor axes = make_tensor(DataType::kInt64, {1}, {-2});
  auto r = run_op({.op = "ReduceSum", .opset = 13, .inputs = {x, axes}});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 3}));
  EXPECT_EQ(elements((*r)[0]), (std::vector<double>{5, 7, 9}));
  auto all = run_op({.op = "ReduceSum", .opset = 13, .inputs = {x}, .attributes = {attr_int("keepdims", 0)}});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[0].rank(), 0);
  EXPECT_EQ(element((*all)[0], 0), 21);
  Tensor none = make_tensor(DataType::kInt64, {0}, {});
  auto noop = run_op({.op = "ReduceSum", .opset = 13, .inputs = {x, none}, .attributes = {attr_int("noop_with_empty_axes", 1)}});
  ASSERT_TRUE(noop.ok());
  EXPECT_EQ(elements((*noop)[0]), elements(x));
  auto constant = run_op({.op = "ReduceSum", .opset = 13, .inputs = {x, axes}, .constant_inputs = true});
  ASSERT_TRUE(constant.ok());
  EXPECT_EQ(elements((*constant)[0]), (std::vector<double>{5, 7, 9}));
}

TEST(ElementwiseReduce, EmptyReductionsGiveTheIdentity) {
  Tensor x = make_tensor(DataType::kFloat32, {2, 0}, {});
  const std::vector<std::pair<const char*, double>> cases = {
      {"ReduceSum", 0}, {"ReduceProd", 1}, {"ReduceMax", -INFINITY}, {"ReduceMin", INFINITY}, {"ReduceLogSumExp", -INFINITY}};
  for (const auto& [op, want] : cases) {
    auto r = run_op({.op = op, .opset = 11, .inputs = {x}, .attributes = {attr_ints("axes", {1})}});
    ASSERT_TRUE(r.ok()) << op;
    EXPECT_EQ((*r)[0].shape(), (Shape{2, 1}));
    EXPECT_EQ(elements((*r)[0]), (std::vector<double>{want, want})) << op;
  }
  auto kept = run_op({.op = "ReduceSum", .opset = 11, .inputs = {x}, .attributes = {attr_ints("axes", {0})}});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ((*kept)[0].shape(), (Shape{1, 0}));
}

TEST(ElementwiseReduce, LogSumExpIsStableForLargeInputs) {
  Tensor x = make_tensor(DataType::kFloat32, {3}, {1000, 1000, 1000});
  auto r = run_op({.op = "ReduceLogSumExp", .opset = 11, .inputs = {x}, .attributes = {attr_int("keepdims", 0)}});
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(element((*r)[0], 0), 1000 + std::log(3.0), 1e-3);
}

TEST(ElementwiseReduce, BadAxesFailCleanly) {
  Tensor x = make_tensor(DataType::kFloat32, {2, 3}, random_values(6, 1));
  EXPECT_EQ(run_op({.op = "ReduceMean", .opset = 11, .inputs = {x}, .attributes = {attr_ints("axes", {2})}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op({.op = "ReduceMean", .opset = 11, .inputs = {x}, .attributes = {attr_ints("axes", {1, -1})}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  Tensor axes = make_tensor(DataType::kInt64, {1}, {-3});
  EXPECT_EQ(run_op({.op = "ReduceSum", .opset = 13, .inputs = {x, axes}}).status().code(), StatusCode::kInvalidArgument);
  Tensor faxes = make_tensor(DataType::kFloat32, {1}, {0});
  EXPECT_EQ(run_op({.op = "ReduceSum", .opset = 13, .inputs = {x, faxes}}).status().code(), StatusCode::kInvalidArgument);
  Tensor b = make_bool({2}, {true, false});
  EXPECT_EQ(run_op({.op = "ReduceMax", .opset = 11, .inputs = {b}}).status().code(), StatusCode::kUnsupportedOp);
}

}  // namespace
}  // namespace braid
