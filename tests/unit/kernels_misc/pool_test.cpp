// MaxPool / AveragePool / LpPool / Global*Pool / MaxUnpool against a double-precision
// N-D reference written here, over every ISA variant of the f32 loops.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>

#include "kernels/cpu_features.h"
#include "kernels/ops/misc_pool_norm_loops.h"
#include "misc_test_util.h"

namespace braid::misc_test {
namespace {

struct PoolCfg {
  std::vector<int64_t> kernel, strides, dilations, pads;  // empty: defaults
  std::string auto_pad = "NOTSET";
  bool ceil_mode = false;
  bool count_include_pad = false;
  double p = 2;  // LpPool
};

struct RefGeometry {
  std::vector<int64_t> out, pad_begin, pad_end, strides, dilations;
};

RefGeometry ref_geometry(const PoolCfg& c, const std::vector<int64_t>& in) {
  RefGeometry g;
  const size_t r = in.size();
  for (size_t d = 0; d < r; ++d) {
    const int64_t k = c.kernel[d], s = c.strides.empty() ? 1 : c.strides[d];
    const int64_t dil = c.dilations.empty() ? 1 : c.dilations[d];
    const int64_t ek = (k - 1) * dil + 1;
    int64_t pb = 0, pe = 0, out = 0;
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      out = (in[d] + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + ek - in[d]);
      pb = c.auto_pad == "SAME_UPPER" ? total / 2 : (total + 1) / 2;
      pe = total - pb;
    } else {
      if (c.auto_pad == "NOTSET" && !c.pads.empty()) {
        pb = c.pads[d];
        pe = c.pads[d + r];
      }
      const double span = static_cast<double>(in[d] + pb + pe - ek);
      out = static_cast<int64_t>(c.ceil_mode ? std::ceil(span / s) : std::floor(span / s)) + 1;
      if (c.ceil_mode && (out - 1) * s >= in[d] + pb) --out;
    }
    g.out.push_back(out);
    g.pad_begin.push_back(pb);
    g.pad_end.push_back(pe);
    g.strides.push_back(s);
    g.dilations.push_back(dil);
  }
  return g;
}

enum class Kind { kMax, kAvg, kLp };

// Reference pooling over a [N, C, spatial...] tensor given as doubles. Also returns the
// MaxPool indices (row-major or column-major within each plane, plus the plane offset).
void ref_pool(Kind kind, const PoolCfg& c, const Shape& xs, const std::vector<double>& x, bool column_major,
              Shape& ys, std::vector<double>& y, std::vector<int64_t>& indices) {
  const std::vector<int64_t> in(xs.begin() + 2, xs.end());
  const RefGeometry g = ref_geometry(c, in);
  const size_t r = in.size();
  ys = {xs[0], xs[1]};
  ys.insert(ys.end(), g.out.begin(), g.out.end());
  const int64_t planes = xs[0] * xs[1], in_plane = numel_of(in), out_plane = numel_of(g.out);
  int64_t taps = 1;
  for (int64_t k : c.kernel) taps *= k;
  y.assign(static_cast<size_t>(planes * out_plane), 0);
  indices.assign(y.size(), 0);
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t o = 0; o < out_plane; ++o) {
      std::vector<int64_t> oc(r);
      for (int64_t rest = o, d = static_cast<int64_t>(r); d-- > 0;) {
        oc[d] = rest % g.out[d];
        rest /= g.out[d];
      }
      double best = -std::numeric_limits<double>::infinity(), sum = 0;
      int64_t best_at = -1, valid = 0, padded = 0;
      for (int64_t t = 0; t < taps; ++t) {
        std::vector<int64_t> kc(r);
        for (int64_t rest = t, d = static_cast<int64_t>(r); d-- > 0;) {
          kc[d] = rest % c.kernel[d];
          rest /= c.kernel[d];
        }
        bool inside = true, inside_padded = true;
        int64_t row_major = 0, col_major = 0, stride = 1;
        for (size_t d = 0; d < r; ++d) {
          const int64_t pos = oc[d] * g.strides[d] - g.pad_begin[d] + kc[d] * g.dilations[d];
          inside &= pos >= 0 && pos < in[d];
          inside_padded &= pos >= -g.pad_begin[d] && pos < in[d] + g.pad_end[d];
          row_major = row_major * in[d] + pos;
          col_major += pos * stride;
          stride *= in[d];
        }
        padded += inside_padded;
        if (!inside) continue;
        ++valid;
        const double v = x[p * in_plane + row_major];
        if (kind == Kind::kMax && v > best) {
          best = v;
          best_at = column_major ? col_major : row_major;
        }
        sum += kind == Kind::kLp ? std::pow(std::abs(v), c.p) : v;
      }
      double out = 0;
      if (kind == Kind::kMax) out = best;
      else if (kind == Kind::kAvg) {
        const int64_t count = c.count_include_pad ? padded : valid;
        out = count ? sum / count : 0;
      } else out = std::pow(sum, 1.0 / c.p);
      y[p * out_plane + o] = out;
      indices[p * out_plane + o] = p * in_plane + std::max<int64_t>(best_at, 0);
    }
  }
}

OpRunner pool_op(Kind kind, const PoolCfg& c, int opset) {
  OpRunner op(kind == Kind::kMax ? "MaxPool" : kind == Kind::kAvg ? "AveragePool" : "LpPool", opset);
  op.attr(attr_ints("kernel_shape", c.kernel));
  if (!c.strides.empty()) op.attr(attr_ints("strides", c.strides));
  if (!c.dilations.empty()) op.attr(attr_ints("dilations", c.dilations));
  if (!c.pads.empty()) op.attr(attr_ints("pads", c.pads));
  if (c.auto_pad != "NOTSET") op.attr(attr_string("auto_pad", c.auto_pad));
  if (c.ceil_mode) op.attr(attr_int("ceil_mode", 1));
  if (kind == Kind::kAvg && c.count_include_pad) op.attr(attr_int("count_include_pad", 1));
  if (kind == Kind::kLp) op.attr(attr_int("p", static_cast<int64_t>(c.p)));
  return op;
}

std::vector<double> as_doubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) {
    switch (t.dtype()) {
      case DataType::kFloat32: v[i] = t.data<float>()[i]; break;
      case DataType::kFloat64: v[i] = t.data<double>()[i]; break;
      case DataType::kUInt8: v[i] = t.data<uint8_t>()[i]; break;
      case DataType::kInt8: v[i] = t.data<int8_t>()[i]; break;
      default: ADD_FAILURE() << "unexpected dtype";
    }
  }
  return v;
}

// Opsets where every attribute used here exists (AveragePool dilations arrived at 19).
void check_pool(Kind kind, const PoolCfg& c, const Tensor& x, int threads, const std::string& what, int opset = 0,
                double tol = -1) {
  if (opset == 0) opset = kind == Kind::kMax ? 12 : kind == Kind::kAvg ? 19 : 18;
  Shape ys;
  std::vector<double> expected;
  std::vector<int64_t> unused;
  ref_pool(kind, c, x.shape(), as_doubles(x), false, ys, expected, unused);
  OpRunner op = pool_op(kind, c, opset);
  op.input(x);
  auto out = op.run(threads);
  ASSERT_TRUE(out.ok()) << what << ": " << out.status().to_string();
  if (tol < 0) tol = x.dtype() == DataType::kFloat32 ? 1e-5 : 1e-12;
  expect_close((*out)[0], expected, ys, tol, tol, what);
}

const char* const kIsas[] = {"scalar", "avx2", "avx512"};

class IsaCap : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { detail::set_isa_cap_for_testing(GetParam()); }
  void TearDown() override { detail::set_isa_cap_for_testing(""); }
};

// Random 2-D configurations: odd widths for the vector tails, every padding and stride mix.
std::vector<PoolCfg> random_2d_configs(uint32_t seed, int count) {
  std::mt19937 rng(seed);
  auto pick = [&](int lo, int hi) { return static_cast<int64_t>(lo + rng() % (hi - lo + 1)); };
  std::vector<PoolCfg> cfgs;
  const char* pads[] = {"NOTSET", "NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
  for (int i = 0; i < count; ++i) {
    PoolCfg c;
    c.kernel = {pick(1, 4), pick(1, 5)};
    c.strides = {pick(1, 3), pick(1, 3)};
    if (rng() % 3 == 0) c.dilations = {pick(1, 2), pick(1, 3)};
    c.auto_pad = pads[rng() % 6];
    if (c.auto_pad == "NOTSET")
      c.pads = {pick(0, c.kernel[0] - 1), pick(0, c.kernel[1] - 1), pick(0, c.kernel[0] - 1), pick(0, c.kernel[1] - 1)};
    c.ceil_mode = rng() % 3 == 0;
    c.count_include_pad = rng() % 2 == 0;
    cfgs.push_back(c);
  }
  return cfgs;
}

TEST_P(IsaCap, MaxAndAveragePool2dMatchReference) {
  std::mt19937 rng(7);
  int index = 0;
  for (const PoolCfg& c : random_2d_configs(11, 120)) {
    const int64_t h = 7 + rng() % 20, w = 13 + rng() % 45;  // fits the widest dilated kernel
    const Tensor x = random_tensor({2, 3, h, w}, 100 + index);
    const std::string what = "cfg " + std::to_string(index) + " " + std::to_string(h) + "x" + std::to_string(w);
    check_pool(Kind::kMax, c, x, 1, "max " + what);
    check_pool(Kind::kAvg, c, x, 1, "avg " + what);
    ++index;
  }
}

TEST_P(IsaCap, Pool1dAndWideRowsMatchReference) {
  for (int64_t w : {1, 2, 15, 16, 17, 31, 33, 64, 100}) {
    for (int64_t k : {1, 2, 3}) {
      PoolCfg c;
      c.kernel = {k};
      c.strides = {k == 3 ? 2 : 1};
      c.pads = {k - 1, 0};
      const Tensor x = random_tensor({1, 2, w}, static_cast<uint32_t>(w * 10 + k));
      check_pool(Kind::kMax, c, x, 1, "max1d w=" + std::to_string(w) + " k=" + std::to_string(k));
      c.count_include_pad = true;
      check_pool(Kind::kAvg, c, x, 1, "avg1d w=" + std::to_string(w) + " k=" + std::to_string(k));
    }
  }
}

TEST_P(IsaCap, GlobalPoolsMatchReference) {
  for (int64_t hw : {1, 7, 16, 17, 49, 100}) {
    const Tensor x = random_tensor({2, 5, hw, 1}, static_cast<uint32_t>(hw));
    for (const char* op_type : {"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"}) {
      OpRunner op(op_type, op_type[6] == 'L' ? 2 : 1);
      op.input(x);
      auto out = op.run();
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      std::vector<double> expected;
      for (int64_t p = 0; p < 10; ++p) {
        double s = 0, m = -1e300, l = 0;
        for (int64_t i = 0; i < hw; ++i) {
          const double v = x.data<float>()[p * hw + i];
          s += v;
          m = std::max(m, v);
          l += v * v;
        }
        expected.push_back(op_type[6] == 'A' ? s / hw : op_type[6] == 'M' ? m : std::sqrt(l));
      }
      expect_close((*out)[0], expected, {2, 5, 1, 1}, 1e-5, 1e-6, op_type);
    }
  }
}

TEST_P(IsaCap, RowsWiderThanTheRowBufferAreChunked) {
  // The separable path works on 1024-float chunks of a row; 2-D windows of any extent.
  for (int64_t stride : {1, 2, 3}) {
    for (int64_t kw : {2, 3, 7}) {
      PoolCfg c;
      c.kernel = {2, kw};
      c.strides = {2, stride};
      c.pads = {0, kw / 2, 1, kw / 2};
      c.count_include_pad = stride == 2;
      const Tensor x = random_tensor({1, 2, 5, 2501}, static_cast<uint32_t>(stride * 10 + kw));
      const std::string what = "stride " + std::to_string(stride) + " kw " + std::to_string(kw);
      check_pool(Kind::kMax, c, x, 1, "max " + what);
      check_pool(Kind::kAvg, c, x, 1, "avg " + what);
    }
  }
  PoolCfg wide;  // extent 1991 > half the buffer: the one-tap-at-a-time fallback
  wide.kernel = {1, 200};
  wide.strides = {1, 10};
  wide.dilations = {1, 10};
  wide.pads = {0, 100, 0, 100};
  check_pool(Kind::kMax, wide, random_tensor({1, 1, 2, 5000}, 3), 1, "max wide");
}

// The pools of the bundled models and their neighbours, through the op (so through the
// banded loops of the capped ISA): MaxPool exact, AveragePool within 1e-6 relative.
TEST_P(IsaCap, ModelPoolShapesMatchReferenceExactly) {
  struct Case {
    int64_t k, s, pad, c, h, w;
    bool ceil;
  };
  const Case cases[] = {
      {3, 1, 1, 40, 7, 7, false},    {3, 1, 1, 37, 14, 14, false}, {3, 1, 1, 9, 28, 28, false},
      {3, 2, 0, 33, 14, 14, true},   {3, 2, 0, 17, 28, 28, true},  {3, 2, 0, 5, 56, 56, true},
      {3, 2, 1, 3, 112, 112, false}, {2, 2, 0, 21, 14, 14, false}, {2, 2, 0, 21, 15, 15, true},
      {2, 2, 0, 11, 7, 7, false},    {3, 1, 1, 3, 5, 300, false},  {3, 2, 1, 2, 9, 1001, true},
  };
  int index = 0;
  for (const Case& k : cases) {
    PoolCfg c;
    c.kernel = {k.k, k.k};
    c.strides = {k.s, k.s};
    c.pads = {k.pad, k.pad, k.pad, k.pad};
    c.ceil_mode = k.ceil;
    const Tensor x = random_tensor({1, k.c, k.h, k.w}, 500 + index++, 0.5f, 2.0f);
    const std::string what = std::to_string(k.k) + "x" + std::to_string(k.k) + " s" + std::to_string(k.s) + " " +
                             std::to_string(k.h) + "x" + std::to_string(k.w);
    for (int threads : {1, 2}) {
      check_pool(Kind::kMax, c, x, threads, "max " + what, 0, 0.0);
      check_pool(Kind::kAvg, c, x, threads, "avg " + what, 0, 1e-6);
      c.count_include_pad = true;
      check_pool(Kind::kAvg, c, x, threads, "avg incl pad " + what, 0, 1e-6);
      c.count_include_pad = false;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, IsaCap, ::testing::ValuesIn(kIsas));

detail::misc::Pool2dPlane plane_of(const PoolCfg& c, int64_t h, int64_t w, const RefGeometry& g) {
  detail::misc::Pool2dPlane p;
  p.in_h = h, p.in_w = w, p.out_h = g.out[0], p.out_w = g.out[1];
  p.kernel_h = c.kernel[0], p.kernel_w = c.kernel[1];
  p.stride_h = g.strides[0], p.stride_w = g.strides[1];
  p.dilation_h = g.dilations[0], p.dilation_w = g.dilations[1];
  p.pad_top = g.pad_begin[0], p.pad_left = g.pad_begin[1], p.pad_bottom = g.pad_end[0], p.pad_right = g.pad_end[1];
  p.count_include_pad = c.count_include_pad;
  return p;
}

// The banded loops of every ISA table, called directly: every kernel / stride / pad /
// dilation / ceil_mode mix they take, plane counts around the planes-per-band boundary,
// and a guard after the output (the last row of a call may not spill).
TEST(MiscPool, BandedLoopsOfEveryTableMatchReference) {
  using detail::misc::PoolNormLoops;
  const PoolNormLoops* tables[] = {&detail::misc::pool_norm_loops_portable(), &detail::misc::pool_norm_loops_avx2(),
                                   &detail::misc::pool_norm_loops_avx512()};
  constexpr float kGuard = 12345.0f;
  constexpr int64_t kGuardFloats = 64;
  std::mt19937 rng(17);
  auto pick = [&](int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(rng() % (hi - lo + 1)); };
  int checked = 0;
  for (int iter = 0; iter < 400; ++iter) {
    PoolCfg c;
    c.kernel = {pick(1, 4), pick(1, 4)};
    c.strides = {pick(1, 3), pick(1, 2)};
    if (iter % 3 == 0) c.dilations = {pick(1, 2), pick(1, 3)};
    c.pads = {pick(0, c.kernel[0] - 1), pick(0, c.kernel[1] - 1), pick(0, c.kernel[0] - 1), pick(0, c.kernel[1] - 1)};
    c.ceil_mode = iter % 2 == 1;
    c.count_include_pad = iter % 4 >= 2;
    const int64_t sizes[] = {1, 2, 5, 7, 8, 14, 15, 16, 17, 28, 31, 56, 112};
    const int64_t h = iter % 40 == 39 ? 200 : sizes[rng() % 13], w = iter % 40 == 38 ? 700 : sizes[rng() % 13];
    if ((c.kernel[0] - 1) * (c.dilations.empty() ? 1 : c.dilations[0]) + 1 > h + c.pads[0] + c.pads[2]) continue;
    if ((c.kernel[1] - 1) * (c.dilations.empty() ? 1 : c.dilations[1]) + 1 > w + c.pads[1] + c.pads[3]) continue;
    const int64_t planes = pick(1, 70);
    const Shape xs{1, planes, h, w};
    const std::vector<float> xf = random_floats(static_cast<size_t>(numel_of(xs)), 900 + iter, 0.5f, 2.0f);
    const std::vector<double> xd(xf.begin(), xf.end());
    const RefGeometry g = ref_geometry(c, {h, w});
    const detail::misc::Pool2dPlane p = plane_of(c, h, w, g);
    if (!detail::misc::pool_2d_banded_fits(p)) continue;
    ++checked;
    for (Kind kind : {Kind::kMax, Kind::kAvg}) {
      Shape ys;
      std::vector<double> expected;
      std::vector<int64_t> unused;
      ref_pool(kind, c, xs, xd, false, ys, expected, unused);
      for (const PoolNormLoops* t : tables) {
        std::vector<float> y(expected.size() + kGuardFloats, kGuard);
        (kind == Kind::kMax ? t->max_pool_2d_planes : t->avg_pool_2d_planes)(xf.data(), y.data(), planes, p);
        const std::string what = std::string(t->isa) + (kind == Kind::kMax ? " max " : " avg ") + "iter " +
                                 std::to_string(iter) + " " + std::to_string(h) + "x" + std::to_string(w) + " planes " +
                                 std::to_string(planes);
        int bad = 0;
        for (size_t i = 0; i < expected.size() && bad < 3; ++i) {
          // A window with no tap inside the input gives the lowest float, as the N-D walk does.
          const float e_max = std::isinf(expected[i]) ? std::numeric_limits<float>::lowest() : static_cast<float>(expected[i]);
          const bool ok = kind == Kind::kMax ? y[i] == e_max
                                             : std::abs(y[i] - expected[i]) <= 1e-6 * std::abs(expected[i]);
          if (!ok) {
            ADD_FAILURE() << what << " element " << i << ": got " << y[i] << ", expected " << expected[i];
            ++bad;
          }
        }
        for (size_t i = expected.size(); i < y.size(); ++i) ASSERT_EQ(y[i], kGuard) << what << ": wrote past the end";
      }
    }
  }
  EXPECT_GT(checked, 200);
}

TEST(MiscPool, BandedLoopsTakeTheModelShapes) {
  // Every pool of the bundled inception / resnet runs banded; very wide rows and stride 3 do not.
  auto geometry = [](int64_t k, int64_t s, int64_t pad, int64_t hw, bool ceil) {
    PoolCfg c;
    c.kernel = {k, k};
    c.strides = {s, s};
    c.pads = {pad, pad, pad, pad};
    c.ceil_mode = ceil;
    return plane_of(c, hw, hw, ref_geometry(c, {hw, hw}));
  };
  for (int64_t hw : {7, 14, 28, 56, 112}) {
    EXPECT_TRUE(detail::misc::pool_2d_banded_fits(geometry(3, 1, 1, hw, false))) << hw;
    EXPECT_TRUE(detail::misc::pool_2d_banded_fits(geometry(3, 2, 0, hw, true))) << hw;
    EXPECT_TRUE(detail::misc::pool_2d_banded_fits(geometry(3, 2, 1, hw, false))) << hw;
    EXPECT_TRUE(detail::misc::pool_2d_banded_fits(geometry(2, 2, 0, hw, false))) << hw;
  }
  EXPECT_FALSE(detail::misc::pool_2d_banded_fits(geometry(3, 3, 1, 28, false)));
  EXPECT_FALSE(detail::misc::pool_2d_banded_fits(geometry(3, 1, 1, 3000, false)));
}

// Runs a MaxPool loop of the AVX-512 table on seeded negative inputs (a lane that read a
// padded tap would show as 0) against the double reference, exactly, with a guard after
// the output. Empty when it matches.
using PoolLoopFn = void (*)(const float*, float*, int64_t, const detail::misc::Pool2dPlane&);
std::string check_max_loop(PoolLoopFn fn, const PoolCfg& c, int64_t planes, int64_t h, int64_t w,
                           const detail::misc::Pool2dPlane& p, uint32_t seed) {
  constexpr float kGuard = 12345.0f;
  const Shape xs{1, planes, h, w};
  const std::vector<float> xf = random_floats(static_cast<size_t>(numel_of(xs)), seed, -3.0f, -0.5f);
  const std::vector<double> xd(xf.begin(), xf.end());
  Shape ys;
  std::vector<double> expected;
  std::vector<int64_t> unused;
  ref_pool(Kind::kMax, c, xs, xd, false, ys, expected, unused);
  std::vector<float> y(expected.size() + 64, kGuard);
  fn(xf.data(), y.data(), planes, p);
  for (size_t i = 0; i < expected.size(); ++i)
    if (y[i] != static_cast<float>(expected[i]))
      return "element " + std::to_string(i) + ": got " + std::to_string(y[i]) + ", want " + std::to_string(expected[i]);
  for (size_t i = expected.size(); i < y.size(); ++i)
    if (y[i] != kGuard) return "wrote past the end";
  return {};
}

// The same-size MaxPool loop (AVX-512): odd windows up to 5 x 5 padded to the input's size,
// planes from 1 x 1 to 56 x 56 and up to 70 of them in one flat pass (lanes spanning rows
// and planes).
TEST(MiscPool, SameSizeLoopMatchesReference) {
  auto* fn = detail::misc::pool_norm_loops_avx512().max_pool_2d_same;
  if (fn == nullptr || !detail::cpu_features().has_avx512()) GTEST_SKIP() << "no AVX-512 same-size loop";
  std::mt19937 rng(23);
  auto pick = [&](int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(rng() % (hi - lo + 1)); };
  const int64_t sizes[] = {1, 2, 3, 5, 7, 8, 13, 14, 16, 17, 28, 31, 56};
  int checked = 0;
  for (int iter = 0; iter < 300; ++iter) {
    PoolCfg c;
    c.kernel = {2 * pick(0, 2) + 1, 2 * pick(0, 2) + 1};
    c.strides = {1, 1};
    c.pads = {c.kernel[0] / 2, c.kernel[1] / 2, c.kernel[0] / 2, c.kernel[1] / 2};
    const int64_t h = sizes[rng() % 13], w = sizes[rng() % 13];
    const int64_t planes = pick(1, 70);
    const detail::misc::Pool2dPlane p = plane_of(c, h, w, ref_geometry(c, {h, w}));
    ASSERT_EQ(detail::misc::pool_2d_same_fits(p), h * w / std::gcd<int64_t>(h * w, 16) <= 256) << h << "x" << w;
    if (!detail::misc::pool_2d_same_fits(p)) continue;
    ++checked;
    const std::string err = check_max_loop(fn, c, planes, h, w, p, 400 + iter);
    ASSERT_TRUE(err.empty()) << "iter " << iter << " " << h << "x" << w << " window " << c.kernel[0] << "x"
                             << c.kernel[1] << " planes " << planes << ": " << err;
  }
  EXPECT_GT(checked, 250);
  // Other strides, dilations or pads, and planes whose masks would not repeat soon enough,
  // are not taken.
  PoolCfg c;
  c.kernel = {3, 3};
  c.strides = {2, 2};
  c.pads = {1, 1, 1, 1};
  EXPECT_FALSE(detail::misc::pool_2d_same_fits(plane_of(c, 28, 28, ref_geometry(c, {28, 28}))));
  c.strides = {1, 1};
  c.pads = {1, 0, 1, 2};
  EXPECT_FALSE(detail::misc::pool_2d_same_fits(plane_of(c, 28, 28, ref_geometry(c, {28, 28}))));
  c.pads = {1, 1, 1, 1};
  EXPECT_TRUE(detail::misc::pool_2d_same_fits(plane_of(c, 56, 56, ref_geometry(c, {56, 56}))));
  EXPECT_FALSE(detail::misc::pool_2d_same_fits(plane_of(c, 112, 112, ref_geometry(c, {112, 112}))));
}

// The stride-2 MaxPool loop (AVX-512; 3 x 3 with one padded row / column before, 2 x 2
// with none): sizes 1 to 112 (rows of one to several 32-column chunks, odd and even), pads
// after 0 or 1, ceil_mode, negative inputs, a guard after the output.
TEST(MiscPool, S2LoopMatchesReference) {
  auto* fn = detail::misc::pool_norm_loops_avx512().max_pool_2d_s2;
  if (fn == nullptr || !detail::cpu_features().has_avx512()) GTEST_SKIP() << "no AVX-512 stride-2 loop";
  std::mt19937 rng(29);
  auto pick = [&](int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(rng() % (hi - lo + 1)); };
  const int64_t sizes[] = {1, 2, 3, 5, 7, 8, 13, 14, 16, 17, 28, 31, 32, 33, 56, 63, 112};
  int checked = 0;
  for (int iter = 0; iter < 400; ++iter) {
    PoolCfg c;
    const int64_t k = iter % 4 < 2 ? 3 : 2;
    c.kernel = {k, k};
    c.strides = {2, 2};
    c.pads = {k - 2, k - 2, pick(0, 1), pick(0, 1)};
    c.ceil_mode = iter % 2 == 1;
    const int64_t h = sizes[rng() % 17], w = sizes[rng() % 17];
    if (h + c.pads[0] + c.pads[2] < k || w + c.pads[1] + c.pads[3] < k) continue;
    const int64_t planes = pick(1, 40);
    const detail::misc::Pool2dPlane p = plane_of(c, h, w, ref_geometry(c, {h, w}));
    if (!detail::misc::pool_2d_s2_fits(p)) continue;
    ++checked;
    const std::string err = check_max_loop(fn, c, planes, h, w, p, 700 + iter);
    ASSERT_TRUE(err.empty()) << "iter " << iter << " " << k << "x" << k << " " << h << "x" << w << " pads after "
                             << c.pads[2] << "," << c.pads[3] << " ceil " << c.ceil_mode << " planes " << planes
                             << ": " << err;
  }
  EXPECT_GT(checked, 250);
  PoolCfg c;  // 3 x 3 with no padding before, 2 x 2 with some: not this loop
  c.kernel = {3, 3};
  c.strides = {2, 2};
  c.pads = {0, 0, 0, 0};
  EXPECT_FALSE(detail::misc::pool_2d_s2_fits(plane_of(c, 28, 28, ref_geometry(c, {28, 28}))));
  c.kernel = {2, 2};
  c.pads = {1, 1, 0, 0};
  EXPECT_FALSE(detail::misc::pool_2d_s2_fits(plane_of(c, 28, 28, ref_geometry(c, {28, 28}))));
}

TEST(MiscPool, EveryLoopTableMatchesPortableOnTails) {
  using detail::misc::PoolNormLoops;
  const PoolNormLoops* tables[] = {&detail::misc::pool_norm_loops_portable(), &detail::misc::pool_norm_loops_avx2(),
                                   &detail::misc::pool_norm_loops_avx512()};
  for (const PoolNormLoops* t : tables) {
    for (int64_t n = 1; n < 80; ++n) {
      const std::vector<float> x = random_floats(static_cast<size_t>(n), static_cast<uint32_t>(n), -2, 3);
      double s = 0, m = -1e300;
      for (float v : x) {
        s += v;
        m = std::max<double>(m, v);
      }
      EXPECT_NEAR(t->sum(x.data(), n), s, 1e-4) << t->isa << " n=" << n;
      EXPECT_EQ(t->max(x.data(), n), static_cast<float>(m)) << t->isa << " n=" << n;
      float mean = 0, var = 0;
      t->mean_variance(x.data(), n, &mean, &var);
      double rv = 0;
      for (float v : x) rv += (v - s / n) * (v - s / n);
      EXPECT_NEAR(mean, s / n, 1e-5) << t->isa;
      EXPECT_NEAR(var, rv / n, 1e-5) << t->isa;
      std::vector<float> y(static_cast<size_t>(n)), g = random_floats(n, 3), b = random_floats(n, 4);
      t->scale_shift(x.data(), y.data(), n, 1.5f, -0.25f);
      for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(y[i], x[i] * 1.5 - 0.25, 1e-5);
      t->normalize_affine(x.data(), y.data(), n, 0.5f, 2.0f, g.data(), b.data());
      for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(y[i], (x[i] - 0.5) * 2.0 * g[i] + b[i], 1e-5);
      t->normalize_affine(x.data(), y.data(), n, 0.5f, 2.0f, g.data(), nullptr);
      for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(y[i], (x[i] - 0.5) * 2.0 * g[i], 1e-5);
    }
  }
}

TEST(MiscPool, MaxPool3dDoubleAndIntegerTypes) {
  PoolCfg c;
  c.kernel = {2, 3, 2};
  c.strides = {1, 2, 2};
  c.pads = {1, 1, 0, 0, 1, 1};
  c.dilations = {1, 1, 2};
  const Tensor xf = random_tensor({2, 2, 5, 6, 7}, 5);
  check_pool(Kind::kMax, c, xf, 1, "max3d f32");
  check_pool(Kind::kAvg, c, xf, 1, "avg3d f32", 19);
  std::vector<double> dv = as_doubles(xf);
  check_pool(Kind::kMax, c, make_tensor<double>(xf.shape(), dv), 1, "max3d f64");
  std::vector<uint8_t> u(dv.size());
  std::vector<int8_t> s(dv.size());
  for (size_t i = 0; i < dv.size(); ++i) {
    u[i] = static_cast<uint8_t>((i * 37) % 256);
    s[i] = static_cast<int8_t>(static_cast<int>((i * 53) % 256) - 128);
  }
  check_pool(Kind::kMax, c, make_tensor<uint8_t>(xf.shape(), u), 1, "max3d u8");
  check_pool(Kind::kMax, c, make_tensor<int8_t>(xf.shape(), s), 1, "max3d i8");
}

TEST(MiscPool, LpPoolMatchesReference) {
  for (double p : {1.0, 2.0, 3.0}) {
    PoolCfg c;
    c.kernel = {3, 2};
    c.strides = {2, 1};
    c.pads = {1, 0, 1, 1};
    c.p = p;
    check_pool(Kind::kLp, c, random_tensor({1, 3, 7, 9}, 8), 1, "lp p=" + std::to_string(p));
  }
}

TEST(MiscPool, MaxPoolIndicesRowAndColumnMajor) {
  for (int order : {0, 1}) {
    PoolCfg c;
    c.kernel = {3, 2};
    c.strides = {2, 2};
    c.pads = {1, 0, 1, 1};
    const Tensor x = random_tensor({2, 3, 6, 7}, 21);
    Shape ys;
    std::vector<double> expected;
    std::vector<int64_t> indices;
    ref_pool(Kind::kMax, c, x.shape(), as_doubles(x), order == 1, ys, expected, indices);
    OpRunner op2("MaxPool", 12, 2);
    op2.attr(attr_ints("kernel_shape", c.kernel)).attr(attr_ints("strides", c.strides)).attr(attr_ints("pads", c.pads));
    op2.attr(attr_int("storage_order", order)).input(x);
    auto out = op2.run();
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    expect_close((*out)[0], expected, ys, 0, 0, "values");
    ASSERT_EQ((*out)[1].dtype(), DataType::kInt64);
    ASSERT_EQ((*out)[1].shape(), ys);
    for (int64_t i = 0; i < (*out)[1].numel(); ++i) EXPECT_EQ((*out)[1].data<int64_t>()[i], indices[i]) << i;
  }
}

TEST(MiscPool, MultiThreadedMatchesSingleThreaded) {
  PoolCfg c;
  c.kernel = {3, 3};
  c.strides = {2, 2};
  c.pads = {1, 1, 1, 1};
  const Tensor x = random_tensor({2, 64, 56, 56}, 31);
  check_pool(Kind::kMax, c, x, 4, "max threads");
  check_pool(Kind::kAvg, c, x, 4, "avg threads");
}

TEST(MiscPool, EmptyBatchGivesEmptyOutput) {
  OpRunner op("MaxPool", 12);
  op.attr(attr_ints("kernel_shape", {2, 2})).input(random_tensor({0, 3, 4, 4}, 1));
  auto out = op.run();
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape(), (Shape{0, 3, 3, 3}));
}

TEST(MiscPool, BadAttributesGiveClearErrors) {
  const Tensor x = random_tensor({1, 1, 4, 4}, 1);
  {
    OpRunner op("MaxPool", 12);
    op.input(x);
    expect_error(op.load(), StatusCode::kInvalidArgument, "kernel_shape");
  }
  {
    OpRunner op("AveragePool", 11);
    op.attr(attr_ints("kernel_shape", {2, 2})).attr(attr_ints("pads", {0, -1, 0, 0})).input(x);
    expect_error(op.load(), StatusCode::kInvalidArgument, "pads");
  }
  {
    OpRunner op("MaxPool", 12);
    op.attr(attr_ints("kernel_shape", {2, 2})).attr(attr_ints("pads", {1, 1})).input(x);
    expect_error(op.load(), StatusCode::kInvalidArgument, "pads");
  }
  {
    OpRunner op("MaxPool", 12);
    op.attr(attr_ints("kernel_shape", {2, 2})).attr(attr_ints("strides", {0, 1})).input(x);
    expect_error(op.load(), StatusCode::kInvalidArgument, "strides");
  }
  {
    OpRunner op("MaxPool", 12);
    op.attr(attr_ints("kernel_shape", {2, 2})).attr(attr_string("auto_pad", "SAME")).input(x);
    expect_error(op.load(), StatusCode::kInvalidArgument, "auto_pad");
  }
  {
    OpRunner op("MaxPool", 12);
    op.attr(attr_ints("kernel_shape", {5, 5})).input(x);
    expect_error(op.run(), StatusCode::kInvalidArgument, "does not fit");
  }
  {
    OpRunner op("MaxPool", 12);
    op.attr(attr_ints("kernel_shape", {2})).input(x);
    expect_error(op.run(), StatusCode::kInvalidArgument, "rank");
  }
  {
    OpRunner op("AveragePool", 11);
    op.attr(attr_ints("kernel_shape", {2, 2})).input(make_tensor<int32_t>({1, 1, 2, 2}, {1, 2, 3, 4}));
    expect_error(op.load(), StatusCode::kUnsupportedOp, "int32");
  }
}

TEST(MiscPool, MaxUnpoolScattersWithAndWithoutOutputShape) {
  const Tensor x = make_tensor<float>({1, 1, 2, 2}, {5, 6, 7, 8});
  const Tensor ind = make_tensor<int64_t>({1, 1, 2, 2}, {5, 7, 13, 15});
  {
    OpRunner op("MaxUnpool", 11);
    op.attr(attr_ints("kernel_shape", {2, 2})).attr(attr_ints("strides", {2, 2})).input(x).input(ind);
    auto out = op.run();
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    std::vector<double> e(16, 0);
    e[5] = 5, e[7] = 6, e[13] = 7, e[15] = 8;
    expect_close((*out)[0], e, {1, 1, 4, 4}, 0, 0);
  }
  {
    OpRunner op("MaxUnpool", 11);
    op.attr(attr_ints("kernel_shape", {2, 2})).attr(attr_ints("strides", {2, 2})).input(x).input(ind);
    op.input(make_tensor<int64_t>({4}, {1, 1, 5, 5}));
    auto out = op.run();
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    // The inferred 4x4 block keeps its coordinates inside the 5x5 output.
    std::vector<double> e(25, 0);
    e[6] = 5, e[8] = 6, e[16] = 7, e[18] = 8;
    expect_close((*out)[0], e, {1, 1, 5, 5}, 0, 0);
  }
  {
    OpRunner op("MaxUnpool", 11);
    op.attr(attr_ints("kernel_shape", {2, 2})).attr(attr_ints("strides", {2, 2})).input(x).input(ind);
    op.input(make_tensor<int64_t>({4}, {1, 1, 3, 5}));
    expect_error(op.run(), StatusCode::kInvalidArgument, "smaller");
  }
  {
    OpRunner op("MaxUnpool", 11);
    op.attr(attr_ints("kernel_shape", {2, 2})).attr(attr_ints("strides", {2, 2})).input(x);
    op.input(make_tensor<int64_t>({1, 1, 2, 2}, {0, 1, 2, 16}));
    expect_error(op.run(), StatusCode::kInvalidArgument, "outside");
  }
}

}  // namespace
}  // namespace braid::misc_test
