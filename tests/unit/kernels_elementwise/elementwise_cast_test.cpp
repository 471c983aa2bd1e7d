// Cast and CastLike: round-to-nearest-even float16/bfloat16 conversions checked bit by bit
// against an independent reference, integer truncation, bool, and unsupported targets.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "elementwise_test_util.h"
#include "kernels/ops/elementwise_half.h"

namespace braid {
namespace {

using namespace ewtest;

// Independent references: the nearest representable value by exhaustive search over the
// finite float16 values (ties to the even bit pattern), and bfloat16 via double arithmetic.
double half_value(uint16_t h) {
  const int exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  const double sign = (h & 0x8000) ? -1.0 : 1.0;
  if (exp == 0x1F) return mant ? std::numeric_limits<double>::quiet_NaN() : sign * INFINITY;
  if (exp == 0) return sign * std::ldexp(mant, -24);
  return sign * std::ldexp(1024 + mant, exp - 25);
}

uint16_t reference_half(double v) {
  if (std::isnan(v)) return 0x7E00;
  const uint16_t sign = std::signbit(v) ? 0x8000 : 0;
  const double a = std::fabs(v);
  if (a >= 65520.0) return sign | 0x7C00;
  uint16_t best = 0;
  for (uint16_t h = 0; h < 0x7C00; ++h) {
    const double d = std::fabs(half_value(h) - a), db = std::fabs(half_value(best) - a);
    if (d < db || (d == db && (h & 1) == 0 && (best & 1) == 1)) best = h;
  }
  return sign | best;
}

Tensor cast(const Tensor& x, DataType to, int opset = 13) {
  auto r = run_op({.op = "Cast", .opset = opset, .inputs = {x}, .attributes = {attr_int("to", static_cast<int64_t>(to))}});
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? (*r)[0] : Tensor();
}

TEST(ElementwiseCast, FloatToFloat16RoundsToNearestEven) {
  std::vector<double> v = {0.0, -0.0, 1.0, 1.0 + std::ldexp(1, -11), 1.0 + 3 * std::ldexp(1, -11),
                           65504.0, 65519.99, 65520.0, 1e6, -1e6, std::ldexp(1, -24), std::ldexp(1, -25),
                           std::ldexp(3, -26), std::ldexp(1, -15) * 1.5, 3.14159, -2.71828, 6.1e-5};
  for (double r : random_values(300, 4, -70000, 70000)) v.push_back(r);
  for (double r : random_values(300, 5, -1e-4, 1e-4)) v.push_back(r);
  Tensor x = make_tensor(DataType::kFloat32, {static_cast<int64_t>(v.size())}, v);
  Tensor y = cast(x, DataType::kFloat16);
  ASSERT_EQ(y.dtype(), DataType::kFloat16);
  for (int64_t i = 0; i < x.numel(); ++i)
    ASSERT_EQ(y.data<uint16_t>()[i], reference_half(x.data<float>()[i])) << "value " << x.data<float>()[i];
  Tensor nan = make_tensor(DataType::kFloat32, {1}, {std::numeric_limits<double>::quiet_NaN()});
  EXPECT_TRUE(std::isnan(element(cast(nan, DataType::kFloat16), 0)));
}

TEST(ElementwiseCast, DoubleToFloat16RoundsOnce) {
  // Just above a float16 tie, but within float's rounding: float-then-half would round down.
  const double tie = 1.0 + std::ldexp(1, -11);
  std::vector<double> v = {tie + std::ldexp(1, -40), tie - std::ldexp(1, -40), tie};
  Tensor x = make_tensor(DataType::kFloat64, {3}, v);
  Tensor y = cast(x, DataType::kFloat16);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(y.data<uint16_t>()[i], reference_half(v[static_cast<size_t>(i)])) << i;
}

TEST(ElementwiseCast, Float16ToFloatIsExactForEveryValue) {
  Tensor h = Tensor::empty(DataType::kFloat16, {65536}).value();
  for (int i = 0; i < 65536; ++i) h.data<uint16_t>()[i] = static_cast<uint16_t>(i);
  Tensor f = cast(h, DataType::kFloat32);
  Tensor back = cast(f, DataType::kFloat16);
  for (int i = 0; i < 65536; ++i) {
    const double want = half_value(static_cast<uint16_t>(i));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(f.data<float>()[i]));
      continue;
    }
    ASSERT_EQ(f.data<float>()[i], want) << i;
    ASSERT_EQ(back.data<uint16_t>()[i], i) << i;
  }
}

// The bfloat16 conversion Braid's precision path uses. Cast/CastLike to or from bfloat16
// are a documented gap (docs/conformance.md): the reference data truncate.
TEST(ElementwiseCast, BFloat16ConversionRoundsToNearestEven) {
  // bfloat16 keeps the top 16 bits of a float; reference: scale to an integer mantissa.
  std::vector<double> v = {1.0, 1.0 + std::ldexp(1, -8), 1.0 + 3 * std::ldexp(1, -8), 1.0 + std::ldexp(1, -9),
                           -3.0e38, 3.4e38, 1e-40};
  for (double r : random_values(500, 6, -1000, 1000)) v.push_back(r);
  for (double d : v) {
    const float f = static_cast<float>(d);
    int e;
    std::frexp(f, &e);
    const double ulp = std::ldexp(1.0, std::max(e - 8, -133));  // 8 significant bits
    const double want = std::nearbyint(f / ulp) * ulp;
    const uint16_t bits = detail::ew::float_to_bfloat16(f);
    const double got = detail::ew::bfloat16_to_float(bits);
    if (std::fabs(want) > 3.3895313892515355e38) EXPECT_TRUE(std::isinf(got));
    else ASSERT_EQ(got, want) << f;
  }
  EXPECT_TRUE(std::isnan(detail::ew::bfloat16_to_float(detail::ew::float_to_bfloat16(NAN))));
}

TEST(ElementwiseCast, BFloat16CastIsADocumentedGap) {
  Tensor x = make_tensor(DataType::kFloat32, {2}, {1, 2});
  EXPECT_EQ(run_op({.op = "Cast", .inputs = {x}, .attributes = {attr_int("to", 16)}}).status().code(),
            StatusCode::kUnsupportedOp);
  Tensor b = make_tensor(DataType::kBFloat16, {2}, {1, 2});
  EXPECT_EQ(run_op({.op = "Cast", .inputs = {b}, .attributes = {attr_int("to", 1)}}).status().code(),
            StatusCode::kUnsupportedOp);
  EXPECT_EQ(run_op({.op = "CastLike", .opset = 15, .inputs = {x, b}}).status().code(), StatusCode::kUnsupportedOp);
}

// Within int64 a float truncates and then wraps like numpy; beyond it, or NaN, it saturates
// (NaN to 0) instead of being undefined behaviour.
TEST(ElementwiseCast, FloatToIntegerTruncatesAndNeverOverflows) {
  Tensor x = make_tensor(DataType::kFloat32, {6}, {2.9, -2.9, 0.5, 1e20, -1e20, std::numeric_limits<double>::quiet_NaN()});
  EXPECT_EQ(elements(cast(x, DataType::kInt32)), (std::vector<double>{2, -2, 0, 2147483647.0, -2147483648.0, 0}));
  EXPECT_EQ(elements(cast(x, DataType::kInt64)),
            (std::vector<double>{2, -2, 0, 9223372036854775807.0, -9223372036854775808.0, 0}));
  Tensor neg = make_tensor(DataType::kFloat64, {2}, {-1.0, 300.0});
  EXPECT_EQ(elements(cast(neg, DataType::kUInt8)), (std::vector<double>{255, 44}));  // wraps like numpy
  Tensor big = make_tensor(DataType::kFloat64, {1}, {1.5e19});
  EXPECT_EQ(elements(cast(big, DataType::kUInt64)), (std::vector<double>{1.5e19}));
}

TEST(ElementwiseCast, IntegersBoolAndWidening) {
  Tensor i = make_tensor(DataType::kInt64, {4}, {-1, 0, 3, 300});
  EXPECT_EQ(elements(cast(i, DataType::kBool)), (std::vector<double>{1, 0, 1, 1}));
  EXPECT_EQ(elements(cast(i, DataType::kInt8)), (std::vector<double>{-1, 0, 3, 44}));
  EXPECT_EQ(elements(cast(i, DataType::kFloat64)), (std::vector<double>{-1, 0, 3, 300}));
  EXPECT_EQ(elements(cast(i, DataType::kFloat16)), (std::vector<double>{-1, 0, 3, 300}));
  Tensor b = make_bool({2}, {true, false});
  EXPECT_EQ(elements(cast(b, DataType::kFloat32)), (std::vector<double>{1, 0}));
  Tensor f = make_tensor(DataType::kFloat32, {3}, {0.0, -0.5, std::numeric_limits<double>::quiet_NaN()});
  EXPECT_EQ(elements(cast(f, DataType::kBool)), (std::vector<double>{0, 1, 1}));
  Tensor same = cast(f, DataType::kFloat32);
  EXPECT_EQ(same.raw_data(), f.raw_data());  // a same-dtype cast is a view
}

TEST(ElementwiseCast, Opset1TakesATypeName) {
  Tensor x = make_tensor(DataType::kFloat32, {2}, {1.7, -1.7});
  auto r = run_op({.op = "Cast", .opset = 1, .inputs = {x}, .attributes = {attr_string("to", "INT32")}});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)[0].dtype(), DataType::kInt32);
  EXPECT_EQ(elements((*r)[0]), (std::vector<double>{1, -1}));
  EXPECT_EQ(run_op({.op = "Cast", .opset = 1, .inputs = {x}, .attributes = {attr_string("to", "COMPLEX")}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ElementwiseCast, StringsAreUnsupportedAndBadTargetsInvalid) {
  Tensor x = make_tensor(DataType::kFloat32, {1}, {1});
  EXPECT_EQ(run_op({.op = "Cast", .inputs = {x}, .attributes = {attr_int("to", 8)}}).status().code(),
            StatusCode::kUnsupportedOp);
  EXPECT_EQ(run_op({.op = "Cast", .inputs = {x}, .attributes = {attr_int("to", 99)}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op({.op = "Cast", .inputs = {x}}).status().code(), StatusCode::kInvalidArgument);
}

TEST(ElementwiseCast, CastLikeTakesTheDtypeOfItsSecondInput) {
  Tensor x = make_tensor(DataType::kFloat64, {2}, {1.25, -3.5});
  Tensor like = make_tensor(DataType::kFloat16, {1}, {0});
  auto r = run_op({.op = "CastLike", .opset = 15, .inputs = {x, like}});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)[0].dtype(), DataType::kFloat16);
  EXPECT_EQ(elements((*r)[0]), (std::vector<double>{1.25, -3.5}));
  auto dynamic = run_op({.op = "CastLike", .opset = 15, .inputs = {x, like}, .declare_dtypes = false});
  ASSERT_TRUE(dynamic.ok()) << dynamic.status().to_string();
  EXPECT_EQ((*dynamic)[0].dtype(), DataType::kFloat16);
}

}  // namespace
}  // namespace braid
