// Unary math and activation kernels against double references, across dtypes, with edge
// cases (rounding, integer extremes, NaN/inf) and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "elementwise_test_util.h"

namespace braid {
namespace {

using namespace ewtest;

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

void expect_close(const std::vector<double>& got, const std::vector<double>& want, double rel, double abs_tol,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << what << " [" << i << "]";
    } else if (std::isinf(want[i])) {
      EXPECT_EQ(got[i], want[i]) << what << " [" << i << "]";
    } else {
      EXPECT_NEAR(got[i], want[i], rel * std::fabs(want[i]) + abs_tol) << what << " [" << i << "]";
    }
  }
}

Tensor run1(const std::string& op, const Tensor& x, std::vector<detail::Attribute> attrs = {}, int opset = 17) {
  auto out = run_op({.op = op, .opset = opset, .inputs = {x}, .attributes = std::move(attrs)});
  EXPECT_TRUE(out.ok()) << op << ": " << out.status().to_string();
  return out.ok() ? (*out)[0] : Tensor();
}

struct FloatCase {
  const char* op;
  std::function<double(double)> ref;
  double lo, hi;
};

TEST(ElementwiseUnary, FloatMathMatchesStdInEveryFloatDtype) {
  const FloatCase cases[] = {
      {"Abs", [](double x) { return std::fabs(x); }, -3, 3},
      {"Neg", [](double x) { return -x; }, -3, 3},
      {"Reciprocal", [](double x) { return 1.0 / x; }, 0.5, 3},
      {"Floor", [](double x) { return std::floor(x); }, -3, 3},
      {"Ceil", [](double x) { return std::ceil(x); }, -3, 3},
      {"Sqrt", [](double x) { return std::sqrt(x); }, 0, 9},
      {"Exp", [](double x) { return std::exp(x); }, -5, 5},
      {"Log", [](double x) { return std::log(x); }, 0.1, 9},
      {"Sin", [](double x) { return std::sin(x); }, -3, 3},
      {"Cos", [](double x) { return std::cos(x); }, -3, 3},
      {"Tan", [](double x) { return std::tan(x); }, -1.2, 1.2},
      {"Asin", [](double x) { return std::asin(x); }, -1, 1},
      {"Acos", [](double x) { return std::acos(x); }, -1, 1},
      {"Atan", [](double x) { return std::atan(x); }, -5, 5},
      {"Sinh", [](double x) { return std::sinh(x); }, -3, 3},
      {"Cosh", [](double x) { return std::cosh(x); }, -3, 3},
      {"Asinh", [](double x) { return std::asinh(x); }, -3, 3},
      {"Acosh", [](double x) { return std::acosh(x); }, 1, 5},
      {"Atanh", [](double x) { return std::atanh(x); }, -0.9, 0.9},
      {"Erf", [](double x) { return std::erf(x); }, -3, 3},
      {"Relu", [](double x) { return x < 0 ? 0.0 : x; }, -3, 3},
      {"Sigmoid", [](double x) { return 1 / (1 + std::exp(-x)); }, -8, 8},
      {"Tanh", [](double x) { return std::tanh(x); }, -3, 3},
      {"Softplus", [](double x) { return std::log1p(std::exp(x)); }, -5, 5},
      {"Softsign", [](double x) { return x / (1 + std::fabs(x)); }, -5, 5},
      {"HardSwish", [](double x) { return x * std::clamp(x / 6 + 0.5, 0.0, 1.0); }, -5, 5},
  };
  const struct { DataType dtype; double rel; } dtypes[] = {
      {DataType::kFloat32, 2e-6}, {DataType::kFloat64, 1e-12}, {DataType::kFloat16, 2e-3}, {DataType::kBFloat16, 1.6e-2}};
  for (const auto& c : cases) {
    for (const auto& d : dtypes) {
      const int64_t n = 37;
      Tensor x = make_tensor(d.dtype, {n}, random_values(n, 1, c.lo, c.hi));
      Tensor y = run1(c.op, x);
      ASSERT_EQ(y.dtype(), d.dtype) << c.op;
      std::vector<double> want;
      for (double v : elements(x)) want.push_back(c.ref(v));
      expect_close(elements(y), want, d.rel, 1e-7, std::string(c.op) + " " + dtype_name(d.dtype));
    }
  }
}

TEST(ElementwiseUnary, RoundIsHalfToEven) {
  Tensor x = make_tensor(DataType::kFloat32, {8}, {0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, -2.6, 3.0});
  EXPECT_EQ(elements(run1("Round", x, {}, 11)), (std::vector<double>{0, 2, 2, -0.0, -2, 2, -3, 3}));
}

TEST(ElementwiseUnary, IntegerAbsNegSignWrapAtTheExtremes) {
  const double lo = std::numeric_limits<int32_t>::lowest();
  Tensor x = make_tensor(DataType::kInt32, {5}, {lo, -7, 0, 7, 2147483647});
  EXPECT_EQ(elements(run1("Abs", x)), (std::vector<double>{lo, 7, 0, 7, 2147483647}));
  EXPECT_EQ(elements(run1("Neg", x)), (std::vector<double>{lo, 7, 0, -7, -2147483647}));
  EXPECT_EQ(elements(run1("Sign", x)), (std::vector<double>{-1, -1, 0, 1, 1}));
  Tensor u = make_tensor(DataType::kUInt8, {3}, {0, 5, 255});
  EXPECT_EQ(elements(run1("Abs", u)), (std::vector<double>{0, 5, 255}));
  EXPECT_EQ(elements(run1("Sign", u)), (std::vector<double>{0, 1, 1}));
}

TEST(ElementwiseUnary, IsNaNIsInfNot) {
  Tensor x = make_tensor(DataType::kFloat32, {4}, {kNaN, kInf, -kInf, 1.0});
  Tensor nan = run1("IsNaN", x);
  ASSERT_EQ(nan.dtype(), DataType::kBool);
  EXPECT_EQ(elements(nan), (std::vector<double>{1, 0, 0, 0}));
  EXPECT_EQ(elements(run1("IsInf", x)), (std::vector<double>{0, 1, 1, 0}));
  EXPECT_EQ(elements(run1("IsInf", x, {attr_int("detect_negative", 0)})), (std::vector<double>{0, 1, 0, 0}));
  EXPECT_EQ(elements(run1("IsInf", x, {attr_int("detect_positive", 0)})), (std::vector<double>{0, 0, 1, 0}));
  Tensor b = make_bool({3}, {true, false, true});
  EXPECT_EQ(elements(run1("Not", b)), (std::vector<double>{0, 1, 0}));
}

TEST(ElementwiseUnary, NaNPropagatesThroughFloatOps) {
  Tensor x = make_tensor(DataType::kFloat32, {1}, {kNaN});
  for (const char* op : {"Relu", "Sigmoid", "Tanh", "Exp", "Abs", "Neg", "Sqrt", "Sign", "LeakyRelu", "Elu"})
    EXPECT_TRUE(std::isnan(element(run1(op, x), 0))) << op;
}

TEST(ElementwiseActivation, ParametersAndDefaults) {
  const int64_t n = 41;
  Tensor x = make_tensor(DataType::kFloat32, {n}, random_values(n, 2, -4, 4));
  struct Case {
    const char* op;
    std::vector<detail::Attribute> attrs;
    std::function<double(double)> ref;
  };
  const double selu_a = 1.67326319217681884765625, selu_g = 1.05070102214813232421875;
  const Case cases[] = {
      {"LeakyRelu", {}, [](double v) { return v < 0 ? 0.01 * v : v; }},
      {"LeakyRelu", {attr_float("alpha", 0.3f)}, [](double v) { return v < 0 ? 0.3 * v : v; }},
      {"Elu", {attr_float("alpha", 2.0f)}, [](double v) { return v < 0 ? 2.0 * (std::exp(v) - 1) : v; }},
      {"Selu", {}, [&](double v) { return v > 0 ? selu_g * v : selu_g * selu_a * (std::exp(v) - 1); }},
      {"Celu", {attr_float("alpha", 1.5f)},
       [](double v) { return std::max(0.0, v) + std::min(0.0, 1.5 * (std::exp(v / 1.5) - 1)); }},
      {"HardSigmoid", {}, [](double v) { return std::clamp(0.2 * v + 0.5, 0.0, 1.0); }},
      {"HardSigmoid", {attr_float("alpha", 0.5f), attr_float("beta", 0.1f)},
       [](double v) { return std::clamp(0.5 * v + 0.1, 0.0, 1.0); }},
      {"ThresholdedRelu", {attr_float("alpha", 0.5f)}, [](double v) { return v > 0.5 ? v : 0.0; }},
      {"Shrink", {attr_float("lambd", 1.0f), attr_float("bias", 0.25f)},
       [](double v) { return v < -1 ? v + 0.25 : (v > 1 ? v - 0.25 : 0.0); }},
  };
  for (const Case& c : cases) {
    std::vector<double> want;
    for (double v : elements(x)) want.push_back(c.ref(v));
    expect_close(elements(run1(c.op, x, c.attrs)), want, 2e-6, 1e-7, c.op);
  }
  Tensor xi = make_tensor(DataType::kInt32, {4}, {-5, -1, 1, 5});
  EXPECT_EQ(elements(run1("Shrink", xi, {attr_float("lambd", 1.5f), attr_float("bias", 1.0f)})),
            (std::vector<double>{-4, 0, 0, 4}));
  EXPECT_EQ(elements(run1("Relu", xi, {}, 14)), (std::vector<double>{0, 0, 1, 5}));
}

TEST(ElementwiseActivation, ClipAttributesBeforeOpset11InputsAfter) {
  Tensor x = make_tensor(DataType::kFloat32, {5}, {-3, -1, 0, 1, 3});
  EXPECT_EQ(elements(run1("Clip", x, {attr_float("min", -1.5f), attr_float("max", 2.0f)}, 6)),
            (std::vector<double>{-1.5, -1, 0, 1, 2}));
  EXPECT_EQ(elements(run1("Clip", x, {}, 6)), elements(x));
  Tensor lo = make_tensor(DataType::kFloat32, {}, {-0.5});
  Tensor hi = make_tensor(DataType::kFloat32, {}, {0.5});
  auto both = run_op({.op = "Clip", .opset = 13, .inputs = {x, lo, hi}});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(elements((*both)[0]), (std::vector<double>{-0.5, -0.5, 0, 0.5, 0.5}));
  auto max_only = run_op({.op = "Clip", .opset = 13, .inputs = {x, std::nullopt, hi}});
  ASSERT_TRUE(max_only.ok());
  EXPECT_EQ(elements((*max_only)[0]), (std::vector<double>{-3, -1, 0, 0.5, 0.5}));
  // min > max: everything becomes max
  auto inverted = run_op({.op = "Clip", .opset = 13, .inputs = {x, hi, lo}});
  ASSERT_TRUE(inverted.ok());
  EXPECT_EQ(elements((*inverted)[0]), (std::vector<double>(5, -0.5)));
  Tensor xi = make_tensor(DataType::kInt64, {4}, {-9, -2, 3, 9});
  Tensor li = make_tensor(DataType::kInt64, {}, {-2});
  auto ints = run_op({.op = "Clip", .opset = 13, .inputs = {xi, li}});
  ASSERT_TRUE(ints.ok());
  EXPECT_EQ(elements((*ints)[0]), (std::vector<double>{-2, -2, 3, 9}));
  // A non-scalar bound is a bad input, not a crash.
  Tensor vec = make_tensor(DataType::kFloat32, {2}, {0, 1});
  auto bad = run_op({.op = "Clip", .opset = 13, .inputs = {x, vec}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(ElementwiseUnary, EmptyAndScalarTensors) {
  Tensor empty = make_tensor(DataType::kFloat32, {0, 3}, {});
  for (const char* op : {"Relu", "Exp", "Sigmoid", "Abs", "Floor"}) {
    Tensor y = run1(op, empty);
    EXPECT_EQ(y.shape(), (Shape{0, 3})) << op;
  }
  Tensor scalar = make_tensor(DataType::kFloat32, {}, {-2.0});
  Tensor y = run1("Abs", scalar);
  EXPECT_EQ(y.rank(), 0);
  EXPECT_EQ(element(y, 0), 2.0);
}

TEST(ElementwiseUnary, UnsupportedDtypesAreRejectedAtLoad) {
  Tensor xi = make_tensor(DataType::kInt32, {2}, {1, 2});
  for (const char* op : {"Sqrt", "Exp", "Sigmoid", "Floor", "IsNaN"}) {
    auto r = run_op({.op = op, .inputs = {xi}});
    EXPECT_EQ(r.status().code(), StatusCode::kUnsupportedOp) << op;
  }
  Tensor xu = make_tensor(DataType::kUInt32, {2}, {1, 2});
  EXPECT_EQ(run_op({.op = "Neg", .inputs = {xu}}).status().code(), StatusCode::kUnsupportedOp);
}

TEST(ElementwiseUnary, ResolvesAtRunTimeWhenDtypesAreUndeclared) {
  Tensor x = make_tensor(DataType::kFloat64, {3}, {-1, 0, 2});
  auto r = run_op({.op = "Relu", .inputs = {x}, .declare_dtypes = false});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(elements((*r)[0]), (std::vector<double>{0, 0, 2}));
  Tensor s = make_tensor(DataType::kInt8, {1}, {1});
  EXPECT_EQ(run_op({.op = "Exp", .inputs = {s}, .declare_dtypes = false}).status().code(), StatusCode::kUnsupportedOp);
}

}  // namespace
}  // namespace braid
