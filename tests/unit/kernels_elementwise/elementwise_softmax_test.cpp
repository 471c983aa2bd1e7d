// Softmax, LogSoftmax and Hardmax: the opset < 13 coerce-to-2D semantics and the >= 13
// single-axis semantics, against a double reference; plus ArgMax/ArgMin and CumSum.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "elementwise_test_util.h"

namespace braid {
namespace {

using namespace ewtest;

// Reference over [outer, n, inner] with n elements `inner` apart.
std::vector<double> softmax_ref(const std::vector<double>& x, int64_t outer, int64_t n, int64_t inner, int kind) {
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < inner; ++k) {
      auto at = [&](int64_t j) { return static_cast<size_t>((o * n + j) * inner + k); };
      double m = x[at(0)];
      int64_t arg = 0;
      for (int64_t j = 1; j < n; ++j)
        if (x[at(j)] > m) m = x[at(j)], arg = j;
      double s = 0;
      for (int64_t j = 0; j < n; ++j) s += std::exp(x[at(j)] - m);
      for (int64_t j = 0; j < n; ++j)
        y[at(j)] = kind == 0 ? std::exp(x[at(j)] - m) / s : kind == 1 ? x[at(j)] - m - std::log(s) : (j == arg ? 1.0 : 0.0);
    }
  return y;
}

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, double tol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], tol * (1 + std::fabs(want[i]))) << what << " @" << i;
}

TEST(ElementwiseSoftmax, AxisSemanticsBeforeAndFromOpset13) {
  const Shape shape = {2, 3, 4, 5};
  const std::vector<double> v = random_values(120, 3, -4, 4);
  const char* ops[] = {"Softmax", "LogSoftmax", "Hardmax"};
  for (DataType dt : {DataType::kFloat32, DataType::kFloat64}) {
    Tensor x = make_tensor(dt, shape, v);
    const std::vector<double> xv = elements(x);
    for (int kind = 0; kind < 3; ++kind) {
      for (int64_t axis : {0, 1, 2, 3, -1, -3}) {
        const int64_t a = axis < 0 ? axis + 4 : axis;
        int64_t outer = 1, inner = 1;
        for (int64_t d = 0; d < a; ++d) outer *= shape[d];
        for (int64_t d = a + 1; d < 4; ++d) inner *= shape[d];
        auto r13 = run_op({.op = ops[kind], .opset = 13, .inputs = {x}, .attributes = {attr_int("axis", axis)}});
        ASSERT_TRUE(r13.ok()) << r13.status().to_string();
        expect_near_all(elements((*r13)[0]), softmax_ref(xv, outer, shape[a], inner, kind), 1e-6,
                        std::string(ops[kind]) + " opset 13 axis " + std::to_string(axis));
        auto r11 = run_op({.op = ops[kind], .opset = 11, .inputs = {x}, .attributes = {attr_int("axis", axis)}});
        ASSERT_TRUE(r11.ok()) << r11.status().to_string();
        expect_near_all(elements((*r11)[0]), softmax_ref(xv, outer, 120 / outer, 1, kind), 1e-6,
                        std::string(ops[kind]) + " opset 11 axis " + std::to_string(axis));
      }
    }
    // Defaults: axis 1 (coerced) before 13, -1 from 13.
    auto d11 = run_op({.op = "Softmax", .opset = 11, .inputs = {x}});
    auto d13 = run_op({.op = "Softmax", .opset = 13, .inputs = {x}});
    ASSERT_TRUE(d11.ok() && d13.ok());
    expect_near_all(elements((*d11)[0]), softmax_ref(xv, 2, 60, 1, 0), 1e-6, "default 11");
    expect_near_all(elements((*d13)[0]), softmax_ref(xv, 24, 5, 1, 0), 1e-6, "default 13");
  }
}

TEST(ElementwiseSoftmax, LargeRowsHalfTypesAndLargeNumbers) {
  const int64_t n = 1000003;
  Tensor big = make_tensor(DataType::kFloat32, {1, n}, random_values(n, 8, -30, 30));
  auto r = run_op({.op = "LogSoftmax", .opset = 13, .inputs = {big}, .max_threads = 4});
  ASSERT_TRUE(r.ok());
  expect_near_all(elements((*r)[0]), softmax_ref(elements(big), 1, n, 1, 1), 2e-6, "large row");
  Tensor h = make_tensor(DataType::kFloat16, {3, 7}, random_values(21, 9, -3, 3));
  auto hr = run_op({.op = "Softmax", .opset = 13, .inputs = {h}});
  ASSERT_TRUE(hr.ok());
  EXPECT_EQ((*hr)[0].dtype(), DataType::kFloat16);
  expect_near_all(elements((*hr)[0]), softmax_ref(elements(h), 3, 7, 1, 0), 2e-3, "float16");
  Tensor large = make_tensor(DataType::kFloat32, {1, 3}, {10000, 10001, 10002});
  auto lr = run_op({.op = "Softmax", .opset = 13, .inputs = {large}});
  ASSERT_TRUE(lr.ok());
  expect_near_all(elements((*lr)[0]), softmax_ref(elements(large), 1, 3, 1, 0), 1e-6, "large numbers");
}

TEST(ElementwiseSoftmax, HardmaxPicksTheFirstMaximum) {
  Tensor x = make_tensor(DataType::kFloat32, {2, 4}, {1, 3, 3, 0, -1, -1, -1, -1});
  auto r = run_op({.op = "Hardmax", .opset = 13, .inputs = {x}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(elements((*r)[0]), (std::vector<double>{0, 1, 0, 0, 1, 0, 0, 0}));
}

TEST(ElementwiseSoftmax, BadAxisAndDtypeFailCleanly) {
  Tensor x = make_tensor(DataType::kFloat32, {2, 3}, random_values(6, 1));
  EXPECT_EQ(run_op({.op = "Softmax", .opset = 13, .inputs = {x}, .attributes = {attr_int("axis", 2)}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op({.op = "Softmax", .opset = 13, .inputs = {x}, .attributes = {attr_int("axis", -3)}, .declare_dtypes = false})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  Tensor i = make_tensor(DataType::kInt32, {2}, {1, 2});
  EXPECT_EQ(run_op({.op = "Softmax", .opset = 13, .inputs = {i}}).status().code(), StatusCode::kUnsupportedOp);
  Tensor empty = make_tensor(DataType::kFloat32, {0, 3}, {});
  auto e = run_op({.op = "Softmax", .opset = 13, .inputs = {empty}});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)[0].shape(), (Shape{0, 3}));
}

// ---------------------------------------------------------------- ArgMax / ArgMin
TEST(ElementwiseArg, AxisKeepdimsAndSelectLastIndex) {
  Tensor x = make_tensor(DataType::kFloat32, {2, 3}, {1, 5, 5, 7, 0, 7});
  auto first = run_op({.op = "ArgMax", .opset = 13, .inputs = {x}, .attributes = {attr_int("axis", 1)}});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)[0].dtype(), DataType::kInt64);
  EXPECT_EQ((*first)[0].shape(), (Shape{2, 1}));
  EXPECT_EQ(elements((*first)[0]), (std::vector<double>{1, 0}));
  auto last = run_op({.op = "ArgMax", .opset = 13, .inputs = {x},
                      .attributes = {attr_int("axis", -1), attr_int("select_last_index", 1), attr_int("keepdims", 0)}});
  ASSERT_TRUE(last.ok());
  EXPECT_EQ((*last)[0].shape(), (Shape{2}));
  EXPECT_EQ(elements((*last)[0]), (std::vector<double>{2, 2}));
  auto amin = run_op({.op = "ArgMin", .opset = 11, .inputs = {x}});
  ASSERT_TRUE(amin.ok());
  EXPECT_EQ((*amin)[0].shape(), (Shape{1, 3}));
  EXPECT_EQ(elements((*amin)[0]), (std::vector<double>{0, 1, 0}));
  Tensor i = make_tensor(DataType::kInt32, {4}, {3, -2, 8, -2});
  auto imin = run_op({.op = "ArgMin", .opset = 12, .inputs = {i}, .attributes = {attr_int("select_last_index", 1)}});
  ASSERT_TRUE(imin.ok());
  EXPECT_EQ(elements((*imin)[0]), (std::vector<double>{3}));
  EXPECT_EQ(run_op({.op = "ArgMax", .inputs = {x}, .attributes = {attr_int("axis", 2)}}).status().code(),
            StatusCode::kInvalidArgument);
  Tensor empty = make_tensor(DataType::kFloat32, {2, 0}, {});
  EXPECT_EQ(run_op({.op = "ArgMax", .inputs = {empty}, .attributes = {attr_int("axis", 1)}}).status().code(),
            StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- CumSum
TEST(ElementwiseCumSum, ExclusiveAndReverseAlongAnyAxis) {
  const Shape shape = {2, 3, 4};
  Tensor x = make_tensor(DataType::kFloat64, shape, random_values(24, 2, -5, 5));
  const std::vector<double> xv = elements(x);
  for (int64_t axis : {0, 1, 2, -1}) {
    const int64_t a = axis < 0 ? axis + 3 : axis;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < a; ++d) outer *= shape[d];
    for (int64_t d = a + 1; d < 3; ++d) inner *= shape[d];
    const int64_t n = shape[a];
    for (int exclusive = 0; exclusive < 2; ++exclusive)
      for (int reverse = 0; reverse < 2; ++reverse) {
        std::vector<double> want(24);
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t k = 0; k < inner; ++k)
            for (int64_t j = 0; j < n; ++j) {
              double s = 0;
              for (int64_t t = 0; t < n; ++t) {
                const bool in = reverse ? (exclusive ? t > j : t >= j) : (exclusive ? t < j : t <= j);
                if (in) s += xv[static_cast<size_t>((o * n + t) * inner + k)];
              }
              want[static_cast<size_t>((o * n + j) * inner + k)] = s;
            }
        Tensor ax = make_tensor(axis == -1 ? DataType::kInt32 : DataType::kInt64, {}, {static_cast<double>(axis)});
        auto r = run_op({.op = "CumSum", .opset = 14, .inputs = {x, ax},
                         .attributes = {attr_int("exclusive", exclusive), attr_int("reverse", reverse)}});
        ASSERT_TRUE(r.ok()) << r.status().to_string();
        expect_near_all(elements((*r)[0]), want, 1e-12, "cumsum");
      }
  }
  Tensor i = make_tensor(DataType::kInt64, {4}, {1, 2, 3, 4});
  Tensor zero = make_tensor(DataType::kInt64, {}, {0});
  auto ri = run_op({.op = "CumSum", .opset = 11, .inputs = {i, zero}});
  ASSERT_TRUE(ri.ok());
  EXPECT_EQ(elements((*ri)[0]), (std::vector<double>{1, 3, 6, 10}));
  Tensor bad_axis = make_tensor(DataType::kInt64, {}, {3});
  EXPECT_EQ(run_op({.op = "CumSum", .opset = 11, .inputs = {i, bad_axis}}).status().code(), StatusCode::kInvalidArgument);
  Tensor vec_axis = make_tensor(DataType::kInt64, {2}, {0, 0});
  EXPECT_EQ(run_op({.op = "CumSum", .opset = 11, .inputs = {i, vec_axis}}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace braid
