// Broadcasting binary, comparison and variadic kernels against a naive double reference
// over random broadcast shapes, plus integer division rules, legacy (opset < 7)
// broadcasting, mixed-dtype Pow and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "elementwise_test_util.h"

namespace braid {
namespace {

using namespace ewtest;

using Ref = std::function<double(double, double)>;

// Random shapes that broadcast: b's dims are a suffix of out's, some set to 1.
void random_pair(std::mt19937& rng, Shape* a, Shape* b) {
  const int rank = 1 + static_cast<int>(rng() % 4);
  Shape out(rank);
  for (auto& d : out) d = 1 + rng() % 5;
  *a = out;
  *b = Shape(out.end() - (rng() % (rank + 1)), out.end());
  for (auto& d : *a) if (rng() % 4 == 0) d = 1;
  for (auto& d : *b) if (rng() % 3 == 0) d = 1;
  if (rng() % 2) std::swap(*a, *b);
}

Shape broadcast(const Shape& a, const Shape& b) {
  Shape out(std::max(a.size(), b.size()), 1);
  for (size_t i = 0; i < a.size(); ++i) out[out.size() - a.size() + i] = a[i];
  for (size_t i = 0; i < b.size(); ++i) {
    int64_t& o = out[out.size() - b.size() + i];
    o = b[i] == 1 ? o : b[i];
  }
  return out;
}

void check_binary(const std::string& op, DataType dt, const Ref& ref, double lo, double hi, int opset = 17,
                  double rel = 0.0, DataType out_dt = DataType::kUndefined) {
  std::mt19937 rng(42);
  for (int iter = 0; iter < 40; ++iter) {
    Shape sa, sb;
    random_pair(rng, &sa, &sb);
    Tensor a = make_tensor(dt, sa, random_values(numel_of(sa), iter, lo, hi));
    Tensor b = make_tensor(dt, sb, random_values(numel_of(sb), iter + 100, lo, hi));
    auto out = run_op({.op = op, .opset = opset, .inputs = {a, b}, .max_threads = 3});
    ASSERT_TRUE(out.ok()) << op << ": " << out.status().to_string();
    const Tensor& y = (*out)[0];
    const Shape so = broadcast(sa, sb);
    ASSERT_EQ(y.shape(), so) << op;
    ASSERT_EQ(y.dtype(), out_dt == DataType::kUndefined ? dt : out_dt);
    for (int64_t i = 0; i < numel_of(so); ++i) {
      const double va = element(a, broadcast_source(so, sa, i));
      const double vb = element(b, broadcast_source(so, sb, i));
      double want = ref(va, vb);
      if (dt == DataType::kFloat32 && out_dt == DataType::kUndefined) want = static_cast<float>(want);
      ASSERT_NEAR(element(y, i), want, rel * std::fabs(want))
          << op << " " << dtype_name(dt) << " " << shape_to_string(sa) << " " << shape_to_string(sb) << " @" << i;
    }
  }
}

TEST(ElementwiseBinary, ArithmeticBroadcastsInEveryDtype) {
  const Ref add = [](double a, double b) { return a + b; };
  const Ref sub = [](double a, double b) { return a - b; };
  const Ref mul = [](double a, double b) { return a * b; };
  const Ref div = [](double a, double b) { return a / b; };
  for (DataType dt : {DataType::kFloat32, DataType::kFloat64}) {
    check_binary("Add", dt, add, -5, 5);
    check_binary("Sub", dt, sub, -5, 5);
    check_binary("Mul", dt, mul, -5, 5);
    check_binary("Div", dt, div, 0.5, 5);
  }
  check_binary("Add", DataType::kFloat16, add, -5, 5, 17, 1e-3);
  check_binary("Mul", DataType::kBFloat16, mul, -5, 5, 17, 8e-3);
  const Ref iadd = [](double a, double b) { return std::trunc(a) + std::trunc(b); };
  for (DataType dt : {DataType::kInt32, DataType::kInt64, DataType::kInt8, DataType::kUInt16}) {
    check_binary("Add", dt, iadd, 0, 60);
  }
  const Ref idiv = [](double a, double b) { return std::trunc(std::trunc(a) / std::trunc(b)); };
  check_binary("Div", DataType::kInt32, idiv, 1, 50);
}

TEST(ElementwiseBinary, IntegerDivisionTruncatesAndRejectsZero) {
  Tensor a = make_tensor(DataType::kInt32, {4}, {-7, 7, -7, std::numeric_limits<int32_t>::lowest()});
  Tensor b = make_tensor(DataType::kInt32, {4}, {2, -2, -2, -1});
  auto q = run_op({.op = "Div", .inputs = {a, b}});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(elements((*q)[0]), (std::vector<double>{-3, -3, 3, std::numeric_limits<int32_t>::lowest()}));
  Tensor z = make_tensor(DataType::kInt32, {2}, {1, 0});
  Tensor a2 = make_tensor(DataType::kInt32, {2}, {5, 5});
  auto bad = run_op({.op = "Div", .inputs = {a2, z}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("division by zero"), std::string::npos);
  EXPECT_EQ(run_op({.op = "Mod", .opset = 13, .inputs = {a2, z}}).status().code(), StatusCode::kInvalidArgument);
  // Float division by zero is IEEE.
  Tensor f = make_tensor(DataType::kFloat32, {1}, {1});
  Tensor fz = make_tensor(DataType::kFloat32, {1}, {0});
  auto inf = run_op({.op = "Div", .inputs = {f, fz}});
  ASSERT_TRUE(inf.ok());
  EXPECT_TRUE(std::isinf(element((*inf)[0], 0)));
}

TEST(ElementwiseBinary, ModFollowsTheDivisorOrTheDividend) {
  Tensor a = make_tensor(DataType::kInt64, {4}, {-7, 7, -7, 7});
  Tensor b = make_tensor(DataType::kInt64, {4}, {3, -3, -3, 3});
  auto floor = run_op({.op = "Mod", .opset = 13, .inputs = {a, b}});
  ASSERT_TRUE(floor.ok());
  EXPECT_EQ(elements((*floor)[0]), (std::vector<double>{2, -2, -1, 1}));
  auto trunc = run_op({.op = "Mod", .opset = 13, .inputs = {a, b}, .attributes = {attr_int("fmod", 1)}});
  ASSERT_TRUE(trunc.ok());
  EXPECT_EQ(elements((*trunc)[0]), (std::vector<double>{-1, 1, -1, 1}));
  Tensor fa = make_tensor(DataType::kFloat32, {3}, {-4.5, 4.5, 5.0});
  Tensor fb = make_tensor(DataType::kFloat32, {3}, {2, -2, 2.5});
  auto ff = run_op({.op = "Mod", .opset = 13, .inputs = {fa, fb}, .attributes = {attr_int("fmod", 1)}});
  ASSERT_TRUE(ff.ok());
  EXPECT_EQ(elements((*ff)[0]), (std::vector<double>{-0.5, 0.5, 0}));
  Tensor ua = make_tensor(DataType::kUInt8, {2}, {200, 7});
  Tensor ub = make_tensor(DataType::kUInt8, {2}, {7, 200});
  auto uu = run_op({.op = "Mod", .opset = 13, .inputs = {ua, ub}});
  ASSERT_TRUE(uu.ok());
  EXPECT_EQ(elements((*uu)[0]), (std::vector<double>{4, 7}));
  EXPECT_EQ(run_op({.op = "Mod", .inputs = {a, b}, .attributes = {attr_int("fmod", 2)}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ElementwiseBinary, PowMixesBaseAndExponentDtypes) {
  Tensor base = make_tensor(DataType::kInt32, {3}, {1, 2, 3});
  Tensor fexp = make_tensor(DataType::kFloat32, {3}, {4, 5, 6});
  auto r = run_op({.op = "Pow", .opset = 15, .inputs = {base, fexp}});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)[0].dtype(), DataType::kInt32);
  EXPECT_EQ(elements((*r)[0]), (std::vector<double>{1, 32, 729}));
  Tensor fbase = make_tensor(DataType::kFloat32, {3}, {1.5, 2, -2});
  Tensor iexp = make_tensor(DataType::kInt64, {}, {3});
  auto f = run_op({.op = "Pow", .opset = 15, .inputs = {fbase, iexp}});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(elements((*f)[0]), (std::vector<double>{3.375, 8, -8}));
  check_binary("Pow", DataType::kFloat32, [](double a, double b) { return std::pow(a, b); }, 0.1, 3, 13, 1e-6);
  // Before opset 12 the dtypes must agree.
  EXPECT_EQ(run_op({.op = "Pow", .opset = 7, .inputs = {fbase, iexp}}).status().code(),
            StatusCode::kInvalidArgument);
}

// A constant exponent of 2 takes the square path (x * x); it must equal the f64 square
// rounded to float (what pow computes, to within its error) for every shape the
// broadcasting gives it: contiguous, the base broadcast, and a [1, 1] exponent that
// raises the output rank.
TEST(ElementwiseBinary, PowWithAConstantTwoIsTheSquare) {
  const std::vector<double> xs = random_values(1037, 29, -40.0, 40.0);
  std::vector<double> with_edges = xs;
  const double inf = std::numeric_limits<double>::infinity();
  for (double e : {0.0, -0.0, 1e-30, -3e19, inf, -inf, std::nan("")}) with_edges.push_back(e);
  const int64_t n = static_cast<int64_t>(with_edges.size());
  Tensor x = make_tensor(DataType::kFloat32, {n}, with_edges);
  for (bool constant : {true, false}) {
    SCOPED_TRACE(constant ? "constant exponent" : "exponent computed at run time");
    Tensor two = make_tensor(DataType::kFloat32, {}, {2});
    auto r = run_op({.op = "Pow", .opset = 15, .inputs = {x, two}, .constant_inputs = constant});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    for (int64_t i = 0; i < n; ++i) {
      const float want = static_cast<float>(static_cast<double>(static_cast<float>(with_edges[i])) *
                                            static_cast<double>(static_cast<float>(with_edges[i])));
      const double got = element((*r)[0], i);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got)) << i;
      } else if (std::isinf(want)) {
        EXPECT_EQ(got, static_cast<double>(want)) << i;
      } else {
        EXPECT_NEAR(got, want, std::abs(want) * 1.2e-7) << i << " x=" << with_edges[i];
      }
    }
  }
  Tensor scalar_base = make_tensor(DataType::kFloat32, {}, {-1.5});
  Tensor two = make_tensor(DataType::kFloat32, {1, 1}, {2});
  auto b = run_op({.op = "Pow", .opset = 15, .inputs = {scalar_base, two}, .constant_inputs = true});
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ((*b)[0].shape(), (Shape{1, 1}));
  EXPECT_EQ(element((*b)[0], 0), 2.25);
  Tensor row = make_tensor(DataType::kFloat32, {3}, {1, -2, 3});
  auto c = run_op({.op = "Pow", .opset = 15, .inputs = {row, two}, .constant_inputs = true});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ((*c)[0].shape(), (Shape{1, 3}));
  EXPECT_EQ(elements((*c)[0]), (std::vector<double>{1, 4, 9}));
  // Another constant exponent still raises to it.
  Tensor three = make_tensor(DataType::kFloat32, {}, {3});
  auto d = run_op({.op = "Pow", .opset = 15, .inputs = {row, three}, .constant_inputs = true});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(elements((*d)[0]), (std::vector<double>{1, -8, 27}));
}

TEST(ElementwiseBinary, BitShiftAndLogicalOps) {
  Tensor a = make_tensor(DataType::kUInt8, {4}, {1, 2, 255, 16});
  Tensor s = make_tensor(DataType::kUInt8, {4}, {1, 7, 1, 9});
  auto left = run_op({.op = "BitShift", .opset = 11, .inputs = {a, s}, .attributes = {attr_string("direction", "LEFT")}});
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(elements((*left)[0]), (std::vector<double>{2, 0, 254, 0}));
  auto right = run_op({.op = "BitShift", .opset = 11, .inputs = {a, s}, .attributes = {attr_string("direction", "RIGHT")}});
  ASSERT_TRUE(right.ok());
  EXPECT_EQ(elements((*right)[0]), (std::vector<double>{0, 0, 127, 0}));
  EXPECT_EQ(run_op({.op = "BitShift", .opset = 11, .inputs = {a, s}}).status().code(), StatusCode::kInvalidArgument);

  Tensor p = make_bool({2, 2}, {true, true, false, false});
  Tensor q = make_bool({2}, {true, false});
  const std::vector<std::pair<const char*, std::vector<double>>> cases = {
      {"And", {1, 0, 0, 0}}, {"Or", {1, 1, 1, 0}}, {"Xor", {0, 1, 1, 0}}};
  for (const auto& [op, want] : cases) {
    auto r = run_op({.op = op, .inputs = {p, q}});
    ASSERT_TRUE(r.ok()) << op;
    EXPECT_EQ((*r)[0].dtype(), DataType::kBool);
    EXPECT_EQ(elements((*r)[0]), want) << op;
  }
}

TEST(ElementwiseBinary, LegacyBroadcastUsesAxisBeforeOpset7) {
  Tensor a = make_tensor(DataType::kFloat32, {2, 3, 2}, random_values(12, 1));
  Tensor b = make_tensor(DataType::kFloat32, {3}, {10, 20, 30});
  auto r = run_op({.op = "Add", .opset = 6, .inputs = {a, b}, .attributes = {attr_int("broadcast", 1), attr_int("axis", 1)}});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  for (int64_t i = 0; i < 12; ++i)
    EXPECT_EQ(element((*r)[0], i), static_cast<float>(element(a, i) + 10.0 * (1 + (i / 2) % 3)));
  // broadcast=0 requires equal shapes; a B that does not fit at the axis is rejected.
  EXPECT_EQ(run_op({.op = "Add", .opset = 6, .inputs = {a, b}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op({.op = "Mul", .opset = 1, .inputs = {a, b}, .attributes = {attr_int("broadcast", 1), attr_int("axis", 0)}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  // B bigger than A cannot broadcast to A.
  EXPECT_EQ(run_op({.op = "Sub", .opset = 6, .inputs = {b, a}, .attributes = {attr_int("broadcast", 1)}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ElementwiseBinary, PReluBroadcastsSlopeToX) {
  Tensor x = make_tensor(DataType::kFloat32, {2, 3, 4}, random_values(24, 9, -2, 2));
  Tensor channel = make_tensor(DataType::kFloat32, {3}, {0.1, 0.2, 0.3});
  // opset 6 (PyTorch export): a 1-D slope applies per channel (dim 1).
  auto r6 = run_op({.op = "PRelu", .opset = 6, .inputs = {x, channel}});
  ASSERT_TRUE(r6.ok()) << r6.status().to_string();
  for (int64_t i = 0; i < 24; ++i) {
    const double v = element(x, i), s = element(channel, (i / 4) % 3);
    EXPECT_FLOAT_EQ(element((*r6)[0], i), static_cast<float>(v < 0 ? s * v : v));
  }
  // opset >= 7: numpy broadcasting of the slope to X (unidirectional).
  Tensor last = make_tensor(DataType::kFloat32, {4}, {0.1, 0.2, 0.3, 0.4});
  auto r9 = run_op({.op = "PRelu", .opset = 9, .inputs = {x, last}});
  ASSERT_TRUE(r9.ok());
  for (int64_t i = 0; i < 24; ++i) {
    const double v = element(x, i), s = element(last, i % 4);
    EXPECT_FLOAT_EQ(element((*r9)[0], i), static_cast<float>(v < 0 ? s * v : v));
  }
  EXPECT_EQ(run_op({.op = "PRelu", .opset = 9, .inputs = {x, channel}}).status().code(), StatusCode::kInvalidArgument);
  Tensor big = make_tensor(DataType::kFloat32, {2, 2, 3, 4}, random_values(48, 1));
  EXPECT_EQ(run_op({.op = "PRelu", .opset = 16, .inputs = {x, big}}).status().code(), StatusCode::kInvalidArgument);
}

TEST(ElementwiseBinary, ComparisonsReturnBool) {
  const DataType b = DataType::kBool;
  for (DataType dt : {DataType::kFloat32, DataType::kInt64, DataType::kFloat16}) {
    check_binary("Equal", dt, [](double x, double y) { return x == y ? 1.0 : 0.0; }, 0, 3, 17, 0, b);
    check_binary("Less", dt, [](double x, double y) { return x < y ? 1.0 : 0.0; }, -3, 3, 17, 0, b);
    check_binary("LessOrEqual", dt, [](double x, double y) { return x <= y ? 1.0 : 0.0; }, 0, 3, 17, 0, b);
    check_binary("Greater", dt, [](double x, double y) { return x > y ? 1.0 : 0.0; }, -3, 3, 17, 0, b);
    check_binary("GreaterOrEqual", dt, [](double x, double y) { return x >= y ? 1.0 : 0.0; }, 0, 3, 17, 0, b);
  }
  Tensor p = make_bool({3}, {true, false, true});
  Tensor q = make_bool({3}, {true, true, false});
  auto eq = run_op({.op = "Equal", .opset = 11, .inputs = {p, q}});
  ASSERT_TRUE(eq.ok());
  EXPECT_EQ(elements((*eq)[0]), (std::vector<double>{1, 0, 0}));
}

TEST(ElementwiseBinary, BadShapesAndDtypesFailCleanly) {
  Tensor a = make_tensor(DataType::kFloat32, {2, 3}, random_values(6, 1));
  Tensor b = make_tensor(DataType::kFloat32, {4}, random_values(4, 2));
  EXPECT_EQ(run_op({.op = "Add", .inputs = {a, b}}).status().code(), StatusCode::kInvalidArgument);
  Tensor i = make_tensor(DataType::kInt32, {3}, {1, 2, 3});
  EXPECT_EQ(run_op({.op = "Add", .inputs = {a, i}}).status().code(), StatusCode::kInvalidArgument);
  Tensor s = make_bool({3}, {true, false, true});
  EXPECT_EQ(run_op({.op = "Add", .inputs = {s, s}}).status().code(), StatusCode::kUnsupportedOp);
  EXPECT_EQ(run_op({.op = "And", .inputs = {i, i}}).status().code(), StatusCode::kUnsupportedOp);
}

TEST(ElementwiseBinary, EmptyTensorsBroadcast) {
  Tensor a = make_tensor(DataType::kFloat32, {0, 3}, {});
  Tensor b = make_tensor(DataType::kFloat32, {3}, {1, 2, 3});
  auto r = run_op({.op = "Mul", .inputs = {a, b}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].shape(), (Shape{0, 3}));
  Tensor one = make_tensor(DataType::kFloat32, {1, 1}, {2});
  Tensor scalar = make_tensor(DataType::kFloat32, {}, {3});
  auto s = run_op({.op = "Mul", .inputs = {scalar, one}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)[0].shape(), (Shape{1, 1}));
  EXPECT_EQ(element((*s)[0], 0), 6.0);
}

TEST(ElementwiseBinary, LargeTensorsSplitAcrossThreadsMatchOneThread) {
  const int64_t n = 1000003;
  Tensor a = make_tensor(DataType::kFloat32, {n}, random_values(n, 1));
  Tensor b = make_tensor(DataType::kFloat32, {7, 1}, random_values(7, 2));
  Tensor a7 = make_tensor(DataType::kFloat32, {7, 11111}, random_values(7 * 11111, 3));
  for (const auto& [x, y] : {std::pair{a, a}, std::pair{a7, b}}) {
    auto one = run_op({.op = "Sub", .inputs = {x, y}, .max_threads = 1});
    auto many = run_op({.op = "Sub", .inputs = {x, y}, .max_threads = 8});
    ASSERT_TRUE(one.ok() && many.ok());
    EXPECT_EQ(elements((*one)[0]), elements((*many)[0]));
  }
}

// ---------------------------------------------------------------- variadic and Where
TEST(ElementwiseVariadic, SumMeanMinMaxBroadcastOverManyInputs) {
  Tensor a = make_tensor(DataType::kFloat32, {2, 1, 3}, random_values(6, 1, -3, 3));
  Tensor b = make_tensor(DataType::kFloat32, {4, 1}, random_values(4, 2, -3, 3));
  Tensor c = make_tensor(DataType::kFloat32, {3}, random_values(3, 3, -3, 3));
  const Shape out = {2, 4, 3};
  struct Case {
    const char* op;
    std::function<double(double, double, double)> ref;
  };
  const Case cases[] = {
      {"Sum", [](double x, double y, double z) { return x + y + z; }},
      {"Mean", [](double x, double y, double z) { return (x + y + z) / 3; }},
      {"Min", [](double x, double y, double z) { return std::min({x, y, z}); }},
      {"Max", [](double x, double y, double z) { return std::max({x, y, z}); }},
  };
  for (const Case& k : cases) {
    auto r = run_op({.op = k.op, .opset = 13, .inputs = {a, b, c}});
    ASSERT_TRUE(r.ok()) << k.op << ": " << r.status().to_string();
    ASSERT_EQ((*r)[0].shape(), out);
    for (int64_t i = 0; i < 24; ++i) {
      const double want = k.ref(element(a, broadcast_source(out, a.shape(), i)), element(b, broadcast_source(out, b.shape(), i)),
                                element(c, broadcast_source(out, c.shape(), i)));
      EXPECT_NEAR(element((*r)[0], i), want, 1e-5) << k.op;
    }
  }
  auto single = run_op({.op = "Max", .opset = 13, .inputs = {a}});
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(elements((*single)[0]), elements(a));
  Tensor i1 = make_tensor(DataType::kInt32, {3}, {1, 5, -2});
  Tensor i2 = make_tensor(DataType::kInt32, {3}, {4, 2, -3});
  auto imax = run_op({.op = "Max", .opset = 13, .inputs = {i1, i2}});
  ASSERT_TRUE(imax.ok());
  EXPECT_EQ(elements((*imax)[0]), (std::vector<double>{4, 5, -2}));
  EXPECT_EQ(run_op({.op = "Sum", .opset = 13, .inputs = {a, i1}}).status().code(), StatusCode::kInvalidArgument);
  Tensor wrong = make_tensor(DataType::kFloat32, {5}, random_values(5, 1));
  EXPECT_EQ(run_op({.op = "Sum", .opset = 13, .inputs = {a, wrong}}).status().code(), StatusCode::kInvalidArgument);
}

TEST(ElementwiseVariadic, WhereBroadcastsAllThreeInputs) {
  Tensor cond = make_bool({2, 1}, {true, false});
  Tensor x = make_tensor(DataType::kInt64, {3}, {1, 2, 3});
  Tensor y = make_tensor(DataType::kInt64, {2, 3}, {10, 20, 30, 40, 50, 60});
  auto r = run_op({.op = "Where", .opset = 16, .inputs = {cond, x, y}});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(elements((*r)[0]), (std::vector<double>{1, 2, 3, 40, 50, 60}));
  Tensor hx = make_tensor(DataType::kFloat16, {1}, {0.5});
  Tensor hy = make_tensor(DataType::kFloat16, {2, 1}, {-1, -2});
  auto h = run_op({.op = "Where", .opset = 16, .inputs = {make_bool({2}, {true, false}), hx, hy}});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(elements((*h)[0]), (std::vector<double>{0.5, -1, 0.5, -2}));
  EXPECT_EQ(run_op({.op = "Where", .opset = 16, .inputs = {x, x, y}}).status().code(), StatusCode::kUnsupportedOp);
  Tensor bad = make_tensor(DataType::kInt64, {4}, {1, 2, 3, 4});
  EXPECT_EQ(run_op({.op = "Where", .opset = 16, .inputs = {cond, x, bad}}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace braid
