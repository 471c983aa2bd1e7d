// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, QLinearMatMul,
// ConvInteger and QLinearConv against references written here.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "misc_test_util.h"

namespace braid::misc_test {
namespace {

template <class T>
std::vector<T> random_ints(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(static_cast<int>(rng() % 256) + (std::is_signed_v<T> ? -128 : 0));
  return v;
}

template <class T>
double ival(const Tensor& t, int64_t i) {
  return static_cast<double>(t.data<T>()[i]);
}
double int_at(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kUInt8: return ival<uint8_t>(t, i);
    case DataType::kInt8: return ival<int8_t>(t, i);
    case DataType::kInt32: return ival<int32_t>(t, i);
    default: return 0;
  }
}

double round_half_even(double v) {
  const double f = std::floor(v);
  const double diff = v - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return std::fmod(f, 2.0) == 0 ? f : f + 1;
}

double saturate(double v, DataType d) {
  const double lo = d == DataType::kUInt8 ? 0 : -128, hi = d == DataType::kUInt8 ? 255 : 127;
  return std::min(hi, std::max(lo, v));
}

void expect_ints(const Tensor& t, const std::vector<double>& expected, const Shape& shape, const std::string& what = "") {
  ASSERT_EQ(t.shape(), shape) << what;
  int bad = 0;
  for (int64_t i = 0; i < t.numel() && bad < 5; ++i)
    if (int_at(t, i) != expected[i]) {
      ADD_FAILURE() << what << " element " << i << ": got " << int_at(t, i) << ", expected " << expected[i];
      ++bad;
    }
}

// ---------------------------------------------------------------- QuantizeLinear / DequantizeLinear

TEST(MiscQuant, QuantizeRoundsHalfToEvenAndSaturates) {
  const Tensor x = make_tensor<float>({8}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 300.f, -300.f, 7.2f});
  for (DataType out : {DataType::kUInt8, DataType::kInt8}) {
    OpRunner op("QuantizeLinear", 13);
    op.input(x).input(make_tensor<float>({}, {1.0f}));
    if (out == DataType::kUInt8) op.input(make_tensor<uint8_t>({}, {10}));
    else op.input(make_tensor<int8_t>({}, {-3}));
    auto r = op.run();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    ASSERT_EQ((*r)[0].dtype(), out);
    const double zp = out == DataType::kUInt8 ? 10 : -3;
    std::vector<double> e;
    for (int64_t i = 0; i < 8; ++i) e.push_back(saturate(round_half_even(x.data<float>()[i]) + zp, out));
    expect_ints((*r)[0], e, {8});
  }
  // No zero point: uint8 with zero point 0.
  OpRunner op("QuantizeLinear", 10);
  op.input(make_tensor<float>({3}, {-1.f, 2.6f, 1000.f})).input(make_tensor<float>({}, {2.0f}));
  auto r = op.run();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  expect_ints((*r)[0], {0, 1, 255}, {3});
}

TEST(MiscQuant, QuantizeAndDequantizePerAxis) {
  const Shape xs{2, 3, 4};
  const Tensor x = random_tensor(xs, 3, -20, 20);
  const std::vector<float> scales{0.5f, 0.25f, 0.125f};
  const std::vector<uint8_t> zps{0, 128, 255};
  for (int64_t axis : {1, -2}) {
    OpRunner q("QuantizeLinear", 13);
    q.attr(attr_int("axis", axis)).input(x).input(make_tensor<float>({3}, scales)).input(make_tensor<uint8_t>({3}, zps));
    auto r = q.run(2);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    std::vector<double> e;
    for (int64_t i = 0; i < x.numel(); ++i) {
      const int64_t c = (i / 4) % 3;
      e.push_back(saturate(round_half_even(x.data<float>()[i] / scales[c]) + zps[c], DataType::kUInt8));
    }
    expect_ints((*r)[0], e, xs);

    OpRunner d("DequantizeLinear", 13);
    d.attr(attr_int("axis", axis)).input((*r)[0]).input(make_tensor<float>({3}, scales)).input(make_tensor<uint8_t>({3}, zps));
    auto back = d.run();
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    std::vector<double> de;
    for (int64_t i = 0; i < x.numel(); ++i) de.push_back((e[i] - zps[(i / 4) % 3]) * scales[(i / 4) % 3]);
    expect_close((*back)[0], de, xs, 0, 1e-6);
  }
}

TEST(MiscQuant, DequantizeInt8AndInt32) {
  OpRunner d("DequantizeLinear", 10);
  d.input(make_tensor<int8_t>({4}, {-128, -1, 0, 127})).input(make_tensor<float>({}, {0.5f})).input(make_tensor<int8_t>({}, {-1}));
  auto r = d.run();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  expect_close((*r)[0], {-63.5, 0, 0.5, 64}, {4}, 0, 0);
  OpRunner d32("DequantizeLinear", 13);
  d32.input(make_tensor<int32_t>({2}, {-100000, 7})).input(make_tensor<float>({}, {0.25f}));
  auto r32 = d32.run();
  ASSERT_TRUE(r32.ok()) << r32.status().to_string();
  expect_close((*r32)[0], {-25000, 1.75}, {2}, 0, 0);
}

TEST(MiscQuant, QuantizeErrors) {
  const Tensor x = random_tensor({2, 3}, 1);
  {
    OpRunner op("QuantizeLinear", 13);
    op.attr(attr_int("axis", 2)).input(x).input(make_tensor<float>({3}, {1, 1, 1}));
    expect_error(op.run(), StatusCode::kInvalidArgument, "axis");
  }
  {
    OpRunner op("QuantizeLinear", 13);
    op.input(x).input(make_tensor<float>({2}, {1, 1}));
    expect_error(op.run(), StatusCode::kInvalidArgument, "scale");
  }
  {
    OpRunner op("QuantizeLinear", 13);
    op.input(x).input(make_tensor<float>({}, {0.0f}));
    expect_error(op.run(), StatusCode::kInvalidArgument, "non-zero");
  }
  {
    OpRunner op("DequantizeLinear", 13);
    op.input(x).input(make_tensor<float>({}, {1.0f}));
    expect_error(op.load(), StatusCode::kUnsupportedOp, "float32");
  }
}

TEST(MiscQuant, DynamicQuantizeLinearMatchesReference) {
  for (const std::vector<float>& v : {std::vector<float>{0, 2, -3, -2.5f, 1.34f, 0.5f}, std::vector<float>{-1, -2, -3},
                                      std::vector<float>{1, 2.5f, 4}, std::vector<float>{0, 0}}) {
    OpRunner op("DynamicQuantizeLinear", 11, 3);
    op.input(make_tensor<float>({static_cast<int64_t>(v.size())}, v));
    auto r = op.run();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    double lo = 0, hi = 0;
    for (float f : v) lo = std::min<double>(lo, f), hi = std::max<double>(hi, f);
    const float scale = hi == lo ? 1.0f : static_cast<float>((hi - lo) / 255.0);
    const double zp = saturate(round_half_even(0 - lo / scale), DataType::kUInt8);
    EXPECT_FLOAT_EQ(*(*r)[1].data<float>(), scale);
    EXPECT_EQ(*(*r)[2].data<uint8_t>(), zp);
    std::vector<double> e;
    for (float f : v) e.push_back(saturate(round_half_even(f / scale) + zp, DataType::kUInt8));
    expect_ints((*r)[0], e, {static_cast<int64_t>(v.size())});
  }
}

// ---------------------------------------------------------------- MatMulInteger / QLinearMatMul

// Reference: [batch..., M, K] x [batch..., K, N] with numpy broadcasting, zero points per
// tensor, per row (A) or per column (B).
std::vector<double> ref_matmul(const Tensor& a, const Tensor& b, const std::vector<double>& azp,
                               const std::vector<double>& bzp, Shape& out_shape) {
  const int64_t m = a.dim(a.rank() - 2), k = a.dim(a.rank() - 1), n = b.dim(b.rank() - 1);
  const int64_t a_batches = a.numel() / (m * k), b_batches = b.numel() / (k * n);
  const int64_t batches = std::max(a_batches, b_batches);
  out_shape = a_batches >= b_batches ? a.shape() : b.shape();
  out_shape[out_shape.size() - 2] = m;
  out_shape.back() = n;
  std::vector<double> y;
  for (int64_t bt = 0; bt < batches; ++bt)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t kk = 0; kk < k; ++kk) {
          const double av = int_at(a, ((a_batches == 1 ? 0 : bt) * m + i) * k + kk) - azp[azp.size() == 1 ? 0 : i];
          const double bv = int_at(b, ((b_batches == 1 ? 0 : bt) * k + kk) * n + j) - bzp[bzp.size() == 1 ? 0 : j];
          acc += av * bv;
        }
        y.push_back(acc);
      }
  return y;
}

TEST(MiscQuant, MatMulIntegerMatchesReference) {
  struct Case {
    Shape a, b;
    bool a_signed, b_signed, per_row, constant_b;
  };
  const Case cases[] = {
      {{4, 3}, {3, 2}, false, false, false, false}, {{2, 5, 7}, {7, 3}, true, false, true, true},
      {{3, 2, 17}, {3, 17, 9}, false, true, false, false}, {{1, 16}, {2, 16, 33}, true, true, true, true},
      {{65, 40}, {40, 70}, false, false, true, false},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    const int64_t m = c.a[c.a.size() - 2], n = c.b.back();
    Tensor a = c.a_signed ? make_tensor<int8_t>(c.a, random_ints<int8_t>(numel_of(c.a), ++seed))
                          : make_tensor<uint8_t>(c.a, random_ints<uint8_t>(numel_of(c.a), ++seed));
    Tensor b = c.b_signed ? make_tensor<int8_t>(c.b, random_ints<int8_t>(numel_of(c.b), ++seed))
                          : make_tensor<uint8_t>(c.b, random_ints<uint8_t>(numel_of(c.b), ++seed));
    std::vector<double> azp, bzp;
    Tensor azt, bzt;
    const int64_t za = c.per_row ? m : 1, zb = c.per_row ? n : 1;
    if (c.a_signed) {
      auto v = random_ints<int8_t>(za, ++seed);
      azt = make_tensor<int8_t>({za}, v);
      for (auto x : v) azp.push_back(x);
    } else {
      auto v = random_ints<uint8_t>(za, ++seed);
      azt = make_tensor<uint8_t>({za}, v);
      for (auto x : v) azp.push_back(x);
    }
    if (c.b_signed) {
      auto v = random_ints<int8_t>(zb, ++seed);
      bzt = make_tensor<int8_t>({zb}, v);
      for (auto x : v) bzp.push_back(x);
    } else {
      auto v = random_ints<uint8_t>(zb, ++seed);
      bzt = make_tensor<uint8_t>({zb}, v);
      for (auto x : v) bzp.push_back(x);
    }
    OpRunner op("MatMulInteger", 10);
    op.input(a).input(b, c.constant_b).input(azt).input(bzt, c.constant_b);
    auto r = op.run(2);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    Shape ys;
    const std::vector<double> e = ref_matmul(a, b, azp, bzp, ys);
    ASSERT_EQ((*r)[0].dtype(), DataType::kInt32);
    expect_ints((*r)[0], e, ys, shape_to_string(c.a) + "x" + shape_to_string(c.b));
  }
  OpRunner bad("MatMulInteger", 10);
  bad.input(make_tensor<uint8_t>({2, 3}, {1, 2, 3, 4, 5, 6})).input(make_tensor<uint8_t>({2, 2}, {1, 2, 3, 4}));
  expect_error(bad.run(), StatusCode::kInvalidArgument, "inner dims");
}

TEST(MiscQuant, MatMulIntegerVectorOperands) {
  const Tensor a = make_tensor<uint8_t>({3}, {1, 2, 3});
  const Tensor b = make_tensor<uint8_t>({3, 2}, {1, 2, 3, 4, 5, 6});
  OpRunner op("MatMulInteger", 10);
  op.input(a).input(b);
  auto r = op.run();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  expect_ints((*r)[0], {22, 28}, {2});
}

TEST(MiscQuant, QLinearMatMulRequantizes) {
  // Power-of-two scales keep acc * multiplier exact, so rounding is compared exactly.
  const Shape as{2, 3, 8}, bs{8, 5};
  const Tensor a = make_tensor<uint8_t>(as, random_ints<uint8_t>(numel_of(as), 3));
  const Tensor b = make_tensor<int8_t>(bs, random_ints<int8_t>(numel_of(bs), 4));
  const std::vector<float> b_scale{0.25f, 0.5f, 0.125f, 1.0f, 0.0625f};
  OpRunner op("QLinearMatMul", 10);
  op.input(a).input(make_tensor<float>({}, {0.5f})).input(make_tensor<uint8_t>({}, {120}));
  op.input(b).input(make_tensor<float>({5}, b_scale)).input(make_tensor<int8_t>({}, {3}));
  op.input(make_tensor<float>({}, {64.0f})).input(make_tensor<uint8_t>({}, {100}));
  auto r = op.run();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  Shape ys;
  const std::vector<double> acc = ref_matmul(a, b, {120}, {3}, ys);
  std::vector<double> e;
  for (size_t i = 0; i < acc.size(); ++i)
    e.push_back(saturate(round_half_even(acc[i] * 0.5 * b_scale[i % 5] / 64.0) + 100, DataType::kUInt8));
  ASSERT_EQ((*r)[0].dtype(), DataType::kUInt8);
  expect_ints((*r)[0], e, ys);
}

// ---------------------------------------------------------------- ConvInteger / QLinearConv

struct ConvCfg {
  std::vector<int64_t> strides, pads, dilations;
  int64_t group = 1;
};

// Reference integer convolution: [N, C, spatial...] * [M, C/group, kernel...].
std::vector<double> ref_conv(const Tensor& x, const Tensor& w, double xzp, const std::vector<double>& wzp,
                             const ConvCfg& c, Shape& ys) {
  const size_t r = static_cast<size_t>(x.rank() - 2);
  const int64_t n = x.dim(0), ch = x.dim(1), m = w.dim(0), cg = ch / c.group, mg = m / c.group;
  std::vector<int64_t> in(x.shape().begin() + 2, x.shape().end()), k(w.shape().begin() + 2, w.shape().end()), out(r);
  auto s = [&](size_t d) { return c.strides.empty() ? 1 : c.strides[d]; };
  auto dl = [&](size_t d) { return c.dilations.empty() ? 1 : c.dilations[d]; };
  auto pb = [&](size_t d) { return c.pads.empty() ? 0 : c.pads[d]; };
  auto pe = [&](size_t d) { return c.pads.empty() ? 0 : c.pads[d + r]; };
  for (size_t d = 0; d < r; ++d) out[d] = (in[d] + pb(d) + pe(d) - (k[d] - 1) * dl(d) - 1) / s(d) + 1;
  ys = {n, m};
  ys.insert(ys.end(), out.begin(), out.end());
  const int64_t op = numel_of(out), ip = numel_of(in), kp = numel_of(k);
  std::vector<double> y;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oc = 0; oc < m; ++oc)
      for (int64_t o = 0; o < op; ++o) {
        double acc = 0;
        const int64_t g = oc / mg;
        for (int64_t ic = 0; ic < cg; ++ic)
          for (int64_t t = 0; t < kp; ++t) {
            int64_t at_in = 0, ro = o, rt = t;
            bool inside = true;
            std::vector<int64_t> oc_(r), kc(r);
            for (size_t d = r; d-- > 0;) {
              oc_[d] = ro % out[d], ro /= out[d];
              kc[d] = rt % k[d], rt /= k[d];
            }
            for (size_t d = 0; d < r; ++d) {
              const int64_t pos = oc_[d] * s(d) - pb(d) + kc[d] * dl(d);
              inside &= pos >= 0 && pos < in[d];
              at_in = at_in * in[d] + pos;
            }
            const double xv = inside ? int_at(x, (b * ch + g * cg + ic) * ip + at_in) - xzp : 0;
            const double wv = int_at(w, (oc * cg + ic) * kp + t) - wzp[wzp.size() == 1 ? 0 : oc];
            acc += xv * wv;
          }
        y.push_back(acc);
      }
  return y;
}

TEST(MiscQuant, ConvIntegerMatchesReference) {
  struct Case {
    Shape x, w;
    ConvCfg cfg;
    bool per_channel, constant_w;
  };
  const Case cases[] = {
      {{1, 1, 3, 3}, {1, 1, 2, 2}, {{}, {1, 1, 1, 1}, {}, 1}, false, false},
      {{2, 4, 7, 6}, {6, 2, 3, 2}, {{2, 1}, {1, 0, 1, 1}, {1, 2}, 2}, true, true},
      {{1, 3, 11}, {4, 3, 3}, {{2}, {1, 2}, {2}, 1}, true, false},
      {{1, 2, 4, 4, 3}, {2, 2, 2, 2, 2}, {{}, {}, {}, 1}, false, true},
  };
  uint32_t seed = 10;
  for (const Case& c : cases) {
    const Tensor x = make_tensor<uint8_t>(c.x, random_ints<uint8_t>(numel_of(c.x), ++seed));
    const Tensor w = make_tensor<int8_t>(c.w, random_ints<int8_t>(numel_of(c.w), ++seed));
    const int64_t nz = c.per_channel ? c.w[0] : 1;
    const std::vector<int8_t> wz = random_ints<int8_t>(nz, ++seed);
    std::vector<double> wzd(wz.begin(), wz.end());
    OpRunner op("ConvInteger", 10);
    if (!c.cfg.strides.empty()) op.attr(attr_ints("strides", c.cfg.strides));
    if (!c.cfg.pads.empty()) op.attr(attr_ints("pads", c.cfg.pads));
    if (!c.cfg.dilations.empty()) op.attr(attr_ints("dilations", c.cfg.dilations));
    op.attr(attr_int("group", c.cfg.group));
    op.input(x).input(w, c.constant_w).input(make_tensor<uint8_t>({}, {17})).input(make_tensor<int8_t>({nz}, wz), c.constant_w);
    auto r = op.run(2);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    Shape ys;
    const std::vector<double> e = ref_conv(x, w, 17, wzd, c.cfg, ys);
    expect_ints((*r)[0], e, ys, shape_to_string(c.x));
  }
}

TEST(MiscQuant, QLinearConvRequantizesWithBias) {
  const Shape xs{1, 2, 5, 5}, ws{3, 2, 3, 3};
  const Tensor x = make_tensor<uint8_t>(xs, random_ints<uint8_t>(numel_of(xs), 5));
  const Tensor w = make_tensor<uint8_t>(ws, random_ints<uint8_t>(numel_of(ws), 6));
  const std::vector<float> w_scale{0.5f, 0.25f, 2.0f};
  const std::vector<int32_t> bias{100, -2000, 5};
  OpRunner op("QLinearConv", 10);
  op.attr(attr_ints("pads", {1, 1, 1, 1}));
  op.input(x).input(make_tensor<float>({}, {0.25f})).input(make_tensor<uint8_t>({}, {128}));
  op.input(w, true).input(make_tensor<float>({3}, w_scale)).input(make_tensor<uint8_t>({3}, {120, 128, 130}), true);
  op.input(make_tensor<float>({}, {256.0f})).input(make_tensor<int8_t>({}, {-5})).input(make_tensor<int32_t>({3}, bias));
  auto r = op.run();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  Shape ys;
  const std::vector<double> acc = ref_conv(x, w, 128, {120, 128, 130}, ConvCfg{{}, {1, 1, 1, 1}, {}, 1}, ys);
  std::vector<double> e;
  for (size_t i = 0; i < acc.size(); ++i) {
    const int64_t oc = static_cast<int64_t>(i) / 25;
    e.push_back(saturate(round_half_even((acc[i] + bias[oc]) * 0.25 * w_scale[oc] / 256.0) - 5, DataType::kInt8));
  }
  ASSERT_EQ((*r)[0].dtype(), DataType::kInt8);
  expect_ints((*r)[0], e, ys);
}

TEST(MiscQuant, ConvIntegerErrors) {
  const Tensor x = make_tensor<uint8_t>({1, 2, 3, 3}, std::vector<uint8_t>(18, 1));
  {
    OpRunner op("ConvInteger", 10);
    op.input(x).input(make_tensor<uint8_t>({1, 3, 2, 2}, std::vector<uint8_t>(12, 1)));
    expect_error(op.run(), StatusCode::kInvalidArgument, "channels");
  }
  {
    OpRunner op("ConvInteger", 10);
    op.attr(attr_ints("pads", {0, 0, -1, 0})).input(x).input(make_tensor<uint8_t>({1, 2, 2, 2}, std::vector<uint8_t>(8, 1)));
    expect_error(op.load(), StatusCode::kInvalidArgument, "pads");
  }
}

}  // namespace
}  // namespace braid::misc_test
