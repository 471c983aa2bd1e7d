// The vectorized float32 loops of every ISA this CPU has (forced through the ISA cap),
// against double-precision references, at sizes that exercise the SIMD tails.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "elementwise_test_util.h"
#include "kernels/cpu_features.h"
#include "kernels/ops/elementwise_simd.h"

namespace braid {
namespace {

using namespace ewtest;
using detail::ew::F32SimdTable;

constexpr int64_t kSizes[] = {1, 15, 17, 1000003};

class IsaScope {
 public:
  explicit IsaScope(const char* isa) { detail::set_isa_cap_for_testing(isa); }
  ~IsaScope() { detail::set_isa_cap_for_testing(""); }
};

std::vector<float> floats(int64_t n, uint32_t seed, double lo, double hi) {
  std::vector<double> d = random_values(n, seed, lo, hi);
  return std::vector<float>(d.begin(), d.end());
}

// |got - want| <= rel * |want| + abs_tol; NaN must match NaN, inf must match exactly.
::testing::AssertionResult close(double got, double want, double rel, double abs_tol = 1e-37) {
  if (std::isnan(want)) {
    if (std::isnan(got)) return ::testing::AssertionSuccess();
  } else if (std::isinf(want)) {
    if (got == want) return ::testing::AssertionSuccess();
  } else if (std::fabs(got - want) <= rel * std::fabs(want) + abs_tol) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "got " << got << " want " << want;
}

class F32Simd : public ::testing::TestWithParam<const char*> {};

TEST_P(F32Simd, TableMatchesTheIsaCap) {
  IsaScope scope(GetParam());
  const char* want = std::string(GetParam()) == "scalar" ? "portable" : GetParam();
  EXPECT_STREQ(detail::ew::select_f32_simd().isa, want);
}

TEST_P(F32Simd, UnaryLoopsMatchDoubleReference) {
  IsaScope scope(GetParam());
  const F32SimdTable& t = detail::ew::select_f32_simd();
  struct Case {
    int op;
    double (*ref)(double);
    double lo, hi;
  };
  const Case cases[] = {
      {detail::ew::kF32Exp, [](double x) { return std::exp(x); }, -87.0, 88.0},
      {detail::ew::kF32Sigmoid, [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, -40.0, 40.0},
      {detail::ew::kF32Tanh, [](double x) { return std::tanh(x); }, -6.0, 6.0},
      {detail::ew::kF32Tanh, [](double x) { return std::tanh(x); }, -0.7, 0.7},
      {detail::ew::kF32Relu, [](double x) { return x < 0 ? 0.0 : x; }, -1.0, 1.0},
  };
  for (const Case& c : cases) {
    for (int64_t n : kSizes) {
      std::vector<float> x = floats(n, static_cast<uint32_t>(n + c.op), c.lo, c.hi);
      std::vector<float> y(static_cast<size_t>(n), -12345.0f);
      t.unary[c.op](x.data(), y.data(), n);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_TRUE(close(y[i], c.ref(x[i]), 1e-6)) << "op " << c.op << " n " << n << " x " << x[i];
    }
  }
}

TEST_P(F32Simd, UnaryLoopsHandleSpecialValues) {
  IsaScope scope(GetParam());
  const F32SimdTable& t = detail::ew::select_f32_simd();
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> x = {0.0f, -0.0f, inf, -inf, nan, 88.7f, 89.0f, 100.0f, -87.5f, -95.0f, -103.0f, -110.0f,
                          1e-8f, -1e-8f, 0.625f, -0.625f, 0.6249f, 20.0f, -20.0f};
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<float> y(x.size());
  t.unary[detail::ew::kF32Exp](x.data(), y.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    const double want = static_cast<float>(std::exp(static_cast<double>(x[i])));  // subnormals included
    EXPECT_TRUE(close(y[i], want, 1e-6, 1e-45)) << "exp(" << x[i] << ")";
  }
  t.unary[detail::ew::kF32Sigmoid](x.data(), y.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    const double want = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x[i]))));
    EXPECT_TRUE(close(y[i], want, 1e-6, 1e-44)) << "sigmoid(" << x[i] << ")";
  }
  t.unary[detail::ew::kF32Tanh](x.data(), y.data(), n);
  for (int64_t i = 0; i < n; ++i)
    EXPECT_TRUE(close(y[i], std::tanh(static_cast<double>(x[i])), 1e-6, 0.0)) << "tanh(" << x[i] << ")";
  t.unary[detail::ew::kF32Relu](x.data(), y.data(), n);
  EXPECT_TRUE(std::isnan(y[4]));
  EXPECT_EQ(y[3], 0.0f);
}

TEST_P(F32Simd, BinaryLoopsAreCorrectlyRounded) {
  IsaScope scope(GetParam());
  const F32SimdTable& t = detail::ew::select_f32_simd();
  double (*refs[])(double, double) = {
      [](double a, double b) { return a + b; }, [](double a, double b) { return a - b; },
      [](double a, double b) { return a * b; }, [](double a, double b) { return a / b; },
      [](double a, double b) { return a < b ? a : b; }, [](double a, double b) { return a > b ? a : b; }};
  for (int op = 0; op < detail::ew::kF32BinaryCount; ++op) {
    for (int64_t n : kSizes) {
      std::vector<float> a = floats(n, 11, -10.0, 10.0), b = floats(n, 12, 0.5, 3.0), out(static_cast<size_t>(n));
      for (int k = 0; k < detail::ew::kF32OperandsCount; ++k) {
        t.binary[op][k](a.data(), b.data(), out.data(), n);
        for (int64_t i = 0; i < n; ++i) {
          const double va = k == detail::ew::kScalarVec ? a[0] : a[i];
          const double vb = k == detail::ew::kVecScalar ? b[0] : b[i];
          ASSERT_EQ(out[i], static_cast<float>(refs[op](va, vb))) << "op " << op << " operands " << k << " n " << n;
        }
      }
    }
  }
}

TEST_P(F32Simd, MinMaxPropagateNaN) {
  IsaScope scope(GetParam());
  const F32SimdTable& t = detail::ew::select_f32_simd();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> a = {nan, 1.0f, 2.0f}, b = {1.0f, nan, 3.0f}, out(3);
  t.binary[detail::ew::kF32Max][detail::ew::kVecVec](a.data(), b.data(), out.data(), 3);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_EQ(out[2], 3.0f);
  t.binary[detail::ew::kF32Min][detail::ew::kVecVec](a.data(), b.data(), out.data(), 3);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_EQ(out[2], 2.0f);
}

TEST_P(F32Simd, RowLoopsMatchDoubleReference) {
  IsaScope scope(GetParam());
  const F32SimdTable& t = detail::ew::select_f32_simd();
  for (int64_t n : kSizes) {
    const int64_t rows = n > 1000 ? 1 : 3;
    std::vector<float> x = floats(rows * n, 5, -20.0, 20.0), y(static_cast<size_t>(rows * n)), ly(y.size());
    std::vector<float> sum(static_cast<size_t>(rows)), mx(static_cast<size_t>(rows));
    t.softmax_rows(x.data(), y.data(), rows, n);
    t.log_softmax_rows(x.data(), ly.data(), rows, n);
    t.sum_rows(x.data(), sum.data(), rows, n, 0.5f);
    t.max_rows(x.data(), mx.data(), rows, n, 1.0f);
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x.data() + r * n;
      double m = xr[0], s = 0.0, plain = 0.0, abs_sum = 0.0;
      for (int64_t i = 0; i < n; ++i) m = std::max(m, static_cast<double>(xr[i]));
      for (int64_t i = 0; i < n; ++i) s += std::exp(xr[i] - m);
      for (int64_t i = 0; i < n; ++i) plain += xr[i], abs_sum += std::fabs(xr[i]);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_TRUE(close(y[r * n + i], std::exp(xr[i] - m) / s, 3e-6, 1e-30)) << "softmax n " << n;
        ASSERT_TRUE(close(ly[r * n + i], xr[i] - m - std::log(s), 1e-6, 2e-6)) << "log_softmax n " << n;
      }
      EXPECT_NEAR(sum[r], 0.5 * plain, 1e-6 * abs_sum + 1e-6) << "sum n " << n;
      EXPECT_EQ(mx[r], static_cast<float>(m));
    }
  }
}

// Rows an attention softmax meets: masked entries (-inf) give exactly 0, scores far below
// the maximum underflow to (near) 0 without disturbing the rest, a NaN poisons only its row.
// 40 entries: two full vectors and a padded tail of 8 for every ISA.
TEST_P(F32Simd, SoftmaxRowsHandleMaskedAndExtremeEntries) {
  IsaScope scope(GetParam());
  const F32SimdTable& t = detail::ew::select_f32_simd();
  const float inf = std::numeric_limits<float>::infinity();
  const int64_t n = 40;
  std::vector<float> x = floats(3 * n, 9, -300.0, 5.0), y(x.size()), ly(x.size());
  for (int64_t i = 0; i < n; i += 3) x[i] = -inf;  // row 0: a mask on every third entry
  x[n + 7] = 1e30f;                                 // row 1: one huge score, the rest vanish
  x[n + 38] = -1e30f;
  x[2 * n + 5] = std::numeric_limits<float>::quiet_NaN();  // row 2: NaN
  t.softmax_rows(x.data(), y.data(), 3, n);
  t.log_softmax_rows(x.data(), ly.data(), 3, n);
  for (int64_t r = 0; r < 2; ++r) {
    const float* xr = x.data() + r * n;
    double m = -std::numeric_limits<double>::infinity(), s = 0.0;
    for (int64_t i = 0; i < n; ++i) m = std::max(m, static_cast<double>(xr[i]));
    for (int64_t i = 0; i < n; ++i) s += std::exp(xr[i] - m);
    for (int64_t i = 0; i < n; ++i) {
      const double want = std::exp(xr[i] - m) / s;
      ASSERT_TRUE(close(y[r * n + i], want, 3e-6, 1e-37)) << "row " << r << " i " << i << " x " << xr[i];
      if (xr[i] == -inf) {
        EXPECT_EQ(y[r * n + i], 0.0f) << "masked entry " << i;
        EXPECT_EQ(ly[r * n + i], -inf) << "masked entry " << i;
      }
    }
  }
  EXPECT_EQ(y[n + 7], 1.0f);
  for (int64_t i = 0; i < n; ++i) EXPECT_TRUE(std::isnan(y[2 * n + i])) << "NaN row, i " << i;
}

// The kernels pick their table at creation: run them under each cap.
TEST_P(F32Simd, KernelsUseTheCappedIsa) {
  IsaScope scope(GetParam());
  for (int64_t n : kSizes) {
    Tensor x = make_tensor(DataType::kFloat32, {n}, random_values(n, 3, -5.0, 5.0));
    Tensor b = make_tensor(DataType::kFloat32, {1}, {0.75});
    for (const char* op : {"Relu", "Sigmoid", "Tanh", "Exp"}) {
      auto out = run_op({.op = op, .inputs = {x}, .max_threads = 4});
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      for (int64_t i = 0; i < n; ++i) {
        const double v = element(x, i);
        const std::string o = op;
        const double want = o == "Relu" ? std::max(v, 0.0)
                            : o == "Sigmoid" ? 1.0 / (1.0 + std::exp(-v))
                            : o == "Tanh" ? std::tanh(v)
                                          : std::exp(v);
        ASSERT_TRUE(close(element((*out)[0], i), want, 1e-6)) << op << " n " << n << " i " << i;
      }
    }
    auto sum = run_op({.op = "Add", .inputs = {x, b}, .max_threads = 4});
    ASSERT_TRUE(sum.ok()) << sum.status().to_string();
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(element((*sum)[0], i), static_cast<float>(element(x, i) + 0.75));

    // Per-row scalars ([2, n] op [2, 1]), rows of a softmax, means of rows.
    Tensor m = make_tensor(DataType::kFloat32, {2, n}, random_values(2 * n, 4, -5.0, 5.0));
    Tensor per_row = make_tensor(DataType::kFloat32, {2, 1}, {1.5, -0.25});
    for (const char* op : {"Sub", "Mul", "Div"}) {
      auto r = run_op({.op = op, .inputs = {per_row, m}, .max_threads = 4});
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      for (int64_t i = 0; i < 2 * n; ++i) {
        const double s = element(per_row, i / n), v = element(m, i);
        const std::string o = op;
        const double want = o == "Sub" ? s - v : o == "Mul" ? s * v : s / v;
        ASSERT_EQ(element((*r)[0], i), static_cast<float>(want)) << op << " n " << n;
      }
    }
    auto soft = run_op({.op = "Softmax", .opset = 13, .inputs = {m}, .max_threads = 4});
    auto mean = run_op({.op = "ReduceMean", .opset = 13, .inputs = {m}, .attributes = {attr_ints("axes", {-1})}});
    ASSERT_TRUE(soft.ok() && mean.ok());
    for (int64_t r = 0; r < 2; ++r) {
      double mx = -1e300, s = 0, total = 0;
      for (int64_t i = 0; i < n; ++i) mx = std::max(mx, element(m, r * n + i));
      for (int64_t i = 0; i < n; ++i) s += std::exp(element(m, r * n + i) - mx), total += element(m, r * n + i);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_TRUE(close(element((*soft)[0], r * n + i), std::exp(element(m, r * n + i) - mx) / s, 3e-6, 1e-30));
      EXPECT_NEAR(element((*mean)[0], r), total / n, 1e-6);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, F32Simd, ::testing::ValuesIn(available_isas()),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace braid
