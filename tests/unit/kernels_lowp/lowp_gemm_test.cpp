// The low-precision GEMM (src/kernels/lowp) against a double-precision reference computed
// here from the same f32 inputs, for every variant this CPU runs (fallbacks included):
// exactly representable inputs give the reference itself, random inputs stay within the
// bound that bf16 rounding / int8 quantization allows, per element; odd sizes and tails,
// both layouts, leading dimensions and the alpha/beta/bias/ReLU epilogue; every variant
// equals the scalar one bitwise; two threads equal one thread bitwise.
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/lowp/lowp_gemm.h"

namespace braid::detail {
namespace {

enum class Dtype { kBf16, kInt8 };

std::vector<LowpIsa> isas(Dtype d) { return d == Dtype::kBf16 ? lowp_bf16_isas() : lowp_int8_isas(); }

// One problem: inputs stored with the requested layouts and padding.
struct Problem {
  int64_t m = 1, n = 1, k = 1;
  bool x_is_mk = true, c_is_mn = true;
  int64_t ldx_pad = 0, ldc_pad = 0;
  float alpha = 1.0f, beta = 0.0f;
  bool bias = false, relu = false;

  std::vector<float> x, w, c0, b;  // w is N x K (ldw = k)

  int64_t ldx() const { return (x_is_mk ? k : m) + ldx_pad; }
  int64_t ldc() const { return (c_is_mn ? n : m) + ldc_pad; }
  float& xat(int64_t i, int64_t j) { return x_is_mk ? x[i * ldx() + j] : x[j * ldx() + i]; }
  float& cat(std::vector<float>& c, int64_t i, int64_t j) const {
    return c_is_mn ? c[i * ldc() + j] : c[j * ldc() + i];
  }
  void allocate() {
    x.assign(static_cast<size_t>((x_is_mk ? m : k) * ldx()), 0.0f);
    w.assign(static_cast<size_t>(n * k), 0.0f);
    c0.assign(static_cast<size_t>((c_is_mn ? m : n) * ldc()), 0.0f);
    b.assign(static_cast<size_t>(n), 0.0f);
  }
  void randomize(uint32_t seed) {
    allocate();
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    for (float& v : x) v = d(rng);
    for (float& v : w) v = d(rng);
    for (float& v : c0) v = d(rng);
    for (float& v : b) v = d(rng);
  }
};

std::vector<float> run(const Problem& p, Dtype d, LowpIsa isa, int threads = 1) {
  std::vector<float> c = p.c0;
  LowpGemmArgs a;
  a.m = p.m;
  a.n = p.n;
  a.k = p.k;
  a.x = p.x.data();
  a.ldx = p.ldx();
  a.x_is_mk = p.x_is_mk;
  a.c = c.data();
  a.ldc = p.ldc();
  a.c_is_mn = p.c_is_mn;
  a.alpha = p.alpha;
  a.beta = p.beta;
  a.bias = p.bias ? p.b.data() : nullptr;
  a.relu = p.relu;
  if (d == Dtype::kBf16) {
    const Bf16Weights w = Bf16Weights::pack(p.w.data(), p.n, p.k, p.k, true, isa);
    EXPECT_EQ(w.isa(), isa);
    gemm_bf16(a, w, threads);
  } else {
    const Int8Weights w = Int8Weights::pack(p.w.data(), p.n, p.k, p.k, true, isa);
    EXPECT_EQ(w.isa(), isa);
    gemm_int8(a, w, threads);
  }
  return c;
}

// The exact result and the error each element may carry from rounding x and w.
// `rounding`: what the f32 epilogue alone may add (a few roundings of its terms), the
// tolerance for exactly representable inputs.
struct Reference {
  std::vector<double> value, bound, rounding;
};

Reference reference(Problem& p, Dtype d) {
  Reference r;
  r.value.assign(static_cast<size_t>(p.m * p.n), 0.0);
  r.bound.assign(static_cast<size_t>(p.m * p.n), 0.0);
  r.rounding.assign(static_cast<size_t>(p.m * p.n), 0.0);
  // The quantization steps by their definition: sa over the row range including 0.
  std::vector<double> sa(static_cast<size_t>(p.m)), sw(static_cast<size_t>(p.n));
  for (int64_t i = 0; i < p.m; ++i) {
    double lo = 0.0, hi = 0.0;
    for (int64_t kk = 0; kk < p.k; ++kk) {
      lo = std::min(lo, static_cast<double>(p.xat(i, kk)));
      hi = std::max(hi, static_cast<double>(p.xat(i, kk)));
    }
    sa[i] = (hi - lo) / 255.0;
  }
  for (int64_t j = 0; j < p.n; ++j) {
    double amax = 0.0;
    for (int64_t kk = 0; kk < p.k; ++kk) amax = std::max(amax, std::fabs(static_cast<double>(p.w[j * p.k + kk])));
    sw[j] = amax / 127.0;
  }
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.n; ++j) {
      double sum = 0.0, mag = 0.0, qerr = 0.0;
      for (int64_t kk = 0; kk < p.k; ++kk) {
        const double xv = p.xat(i, kk), wv = p.w[j * p.k + kk];
        sum += xv * wv;
        mag += std::fabs(xv * wv);
        qerr += std::fabs(wv) * sa[i] / 2 + std::fabs(xv) * sw[j] / 2 + sa[i] * sw[j] / 4;
      }
      const double alpha = std::fabs(static_cast<double>(p.alpha));
      double v = p.alpha * sum;
      double extra = 0.0;  // f32 rounding of the epilogue terms
      if (p.beta != 0.0f) {
        v += static_cast<double>(p.beta) * p.cat(p.c0, i, j);
        extra += std::fabs(static_cast<double>(p.beta) * p.cat(p.c0, i, j));
      }
      if (p.bias) {
        v += p.b[j];
        extra += std::fabs(static_cast<double>(p.b[j]));
      }
      if (p.relu) v = std::max(v, 0.0);
      const double f32 = std::ldexp(1.0, -23);
      const double acc_err = alpha * mag * (static_cast<double>(p.k) + 4) * f32;
      double bound;
      if (d == Dtype::kBf16) {
        // Each operand carries a relative error of at most 2^-8 (round to nearest, 8
        // significant bits): |x^ w^ - x w| <= (2^-7 + 2^-16) |x w|.
        bound = alpha * mag * (std::ldexp(1.0, -7) + std::ldexp(1.0, -16)) + acc_err;
      } else {
        // |x^ - x| <= sa/2, |w^ - w| <= sw/2; the f32 dequantization adds a few ulps of
        // the quantized magnitude.
        bound = alpha * qerr * 1.01 + alpha * (mag + qerr) * 8 * f32 + acc_err;
      }
      r.value[i * p.n + j] = v;
      r.rounding[i * p.n + j] = (alpha * std::fabs(sum) + extra) * 4 * f32;
      r.bound[i * p.n + j] = bound + (extra + std::fabs(v)) * 4 * f32 + 1e-30;
    }
  }
  return r;
}

std::string describe(const Problem& p, LowpIsa isa) {
  return std::string(lowp_isa_name(isa)) + " m=" + std::to_string(p.m) + " n=" + std::to_string(p.n) +
         " k=" + std::to_string(p.k) + " x_is_mk=" + std::to_string(p.x_is_mk) +
         " c_is_mn=" + std::to_string(p.c_is_mn) + " alpha=" + std::to_string(p.alpha) +
         " beta=" + std::to_string(p.beta) + " bias=" + std::to_string(p.bias) +
         " relu=" + std::to_string(p.relu);
}

// Every element within its bound; padding (past m/n in c's leading dimension) untouched.
void expect_within_bounds(Problem& p, Dtype d, LowpIsa isa) {
  const Reference ref = reference(p, d);
  const std::vector<float> c = run(p, d, isa);
  int failures = 0;
  for (int64_t i = 0; i < p.m && failures < 5; ++i) {
    for (int64_t j = 0; j < p.n && failures < 5; ++j) {
      const double got = p.cat(const_cast<std::vector<float>&>(c), i, j);
      const double err = std::fabs(got - ref.value[i * p.n + j]);
      if (!(err <= ref.bound[i * p.n + j])) {
        ADD_FAILURE() << describe(p, isa) << " at (" << i << ", " << j << "): got " << got << " want "
                      << ref.value[i * p.n + j] << " bound " << ref.bound[i * p.n + j];
        ++failures;
      }
    }
  }
  for (size_t e = 0; e < c.size(); ++e) {
    const int64_t outer = static_cast<int64_t>(e) / p.ldc(), inner = static_cast<int64_t>(e) % p.ldc();
    if (inner >= (p.c_is_mn ? p.n : p.m)) {
      EXPECT_EQ(c[e], p.c0[e]) << "padding written at " << outer;
    }
  }
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

const Dtype kDtypes[] = {Dtype::kBf16, Dtype::kInt8};

TEST(LowpGemm, VariantListsStartWithScalarAndTheBestIsOnThem) {
  for (Dtype d : kDtypes) {
    const std::vector<LowpIsa> list = isas(d);
    ASSERT_FALSE(list.empty());
    EXPECT_EQ(list.front(), LowpIsa::kScalar);
    const LowpIsa best = d == Dtype::kBf16 ? best_bf16_isa() : best_int8_isa();
    EXPECT_NE(std::find(list.begin(), list.end(), best), list.end()) << lowp_isa_name(best);
    // A SIMD variant wins over the portable loop wherever there is one.
    if (list.size() > 1) {
      EXPECT_NE(best, LowpIsa::kScalar);
    }
  }
  EXPECT_EQ(best_int8_isa(), lowp_int8_isas().back());
}

// The bf16 choice is measured (lowp_probe.cpp): the fastest variant, whichever is listed
// last, and bf16 counts as native only from a real speed-up over f32.
TEST(Bf16Probe, PicksTheFastestVariantNotTheNewest) {
  // VDPBF16PS at half the FMA rate (measured on an Intel Xeon, docs/precision.md).
  Bf16Speed s = pick_bf16({{LowpIsa::kAvx512, 100.0}, {LowpIsa::kAvx512Bf16, 180.0}}, 90.0);
  EXPECT_EQ(s.isa, LowpIsa::kAvx512);
  EXPECT_DOUBLE_EQ(s.vs_f32, 0.9);
  EXPECT_TRUE(s.measured);
  EXPECT_FALSE(s.native());
  // Dot products at twice the f32 rate: the newest variant, native.
  s = pick_bf16({{LowpIsa::kAvx512, 100.0}, {LowpIsa::kAvx512Bf16, 40.0}}, 90.0);
  EXPECT_EQ(s.isa, LowpIsa::kAvx512Bf16);
  EXPECT_DOUBLE_EQ(s.vs_f32, 2.25);
  EXPECT_TRUE(s.native());
  // Just below the threshold is not native.
  s = pick_bf16({{LowpIsa::kAvx512Bf16, 100.0}}, 100.0 * Bf16Speed::kNativeSpeedup * 0.99);
  EXPECT_FALSE(s.native());
}

TEST(Bf16Probe, UnmeasuredTimesAreSkipped) {
  const double inf = std::numeric_limits<double>::infinity();
  Bf16Speed s = pick_bf16({{LowpIsa::kAvx512Bf16, inf}, {LowpIsa::kAvx512, 50.0}, {LowpIsa::kAvx2, 0.0}}, 100.0);
  EXPECT_EQ(s.isa, LowpIsa::kAvx512);
  EXPECT_DOUBLE_EQ(s.vs_f32, 2.0);
  s = pick_bf16({}, 100.0);
  EXPECT_FALSE(s.measured);
  EXPECT_FALSE(s.native());
  s = pick_bf16({{LowpIsa::kAvx512, 50.0}}, inf);  // no f32 time: no speed-up claimed
  EXPECT_FALSE(s.measured);
  EXPECT_FALSE(s.native());
}

// This process's measurement: a variant this CPU runs, and a speed-up a working variant
// can have (under 0.1x f32 it would be broken). No upper bound: under ASan the f32 GEMM is
// instrumented and AMX's tile loads are not (135x was measured there).
TEST(Bf16Probe, ThisCpusChoiceIsRunnable) {
  const Bf16Speed& s = bf16_speed();
  const std::vector<LowpIsa> list = lowp_bf16_isas();
  EXPECT_NE(std::find(list.begin(), list.end(), s.isa), list.end()) << lowp_isa_name(s.isa);
  if (s.measured) {
    EXPECT_GT(s.vs_f32, 0.1);
  }
  std::printf("bf16 probe: %s, %.2fx f32 (%s)\n", lowp_isa_name(s.isa), s.vs_f32, s.measured ? "measured" : "CPUID order");
}

// bf16: small integers and halves are exact in bf16 and their products and sums exact in
// f32, so the result is the reference itself.
TEST(LowpGemm, Bf16ExactlyRepresentableInputsGiveTheExactResult) {
  for (LowpIsa isa : lowp_bf16_isas()) {
    for (bool x_is_mk : {true, false}) {
      Problem p;
      p.m = 19;
      p.n = 37;
      p.k = 300;
      p.x_is_mk = x_is_mk;
      p.c_is_mn = !x_is_mk;
      p.ldx_pad = 3;
      p.ldc_pad = 5;
      p.alpha = 0.5f;
      p.beta = -0.25f;
      p.bias = true;
      p.allocate();
      std::mt19937 rng(7);
      std::uniform_int_distribution<int> small(-16, 16);
      for (int64_t i = 0; i < p.m; ++i)
        for (int64_t kk = 0; kk < p.k; ++kk) p.xat(i, kk) = static_cast<float>(small(rng)) * 0.5f;
      for (float& v : p.w) v = static_cast<float>(small(rng)) * 0.25f;
      for (float& v : p.c0) v = static_cast<float>(small(rng));
      for (float& v : p.b) v = static_cast<float>(small(rng)) * 0.125f;
      const Reference ref = reference(p, Dtype::kBf16);
      std::vector<float> c = run(p, Dtype::kBf16, isa);
      for (int64_t i = 0; i < p.m; ++i)
        for (int64_t j = 0; j < p.n; ++j)
          ASSERT_NEAR(p.cat(c, i, j), ref.value[i * p.n + j], ref.rounding[i * p.n + j])
              << describe(p, isa) << " at " << i << ", " << j;
    }
  }
}

// int8: activations on each row's u8 grid (that row's range hits q = 0 and q = 255, so the
// kernel's scale and zero point are the ones chosen here) and weights that are integer
// multiples of a power-of-two scale with |q| = 127 present: everything is exact. Row 0 is
// all zeros and channel 1 has all-zero weights (the degenerate scales).
TEST(LowpGemm, Int8ExactlyRepresentableInputsGiveTheExactResult) {
  for (LowpIsa isa : lowp_int8_isas()) {
    for (bool x_is_mk : {true, false}) {
      Problem p;
      p.m = 21;
      p.n = 35;
      p.k = 200;
      p.x_is_mk = x_is_mk;
      p.c_is_mn = x_is_mk;
      p.ldx_pad = 2;
      p.ldc_pad = 1;
      p.alpha = 2.0f;
      p.beta = 0.5f;
      p.bias = true;
      p.relu = true;
      p.allocate();
      std::mt19937 rng(11);
      std::uniform_int_distribution<int> u8(0, 255), s8(-127, 127), zp(1, 254);
      const float sa = 0.125f;
      for (int64_t i = 1; i < p.m; ++i) {
        const int z = zp(rng);
        for (int64_t kk = 0; kk < p.k; ++kk) {
          const int q = kk == 3 ? 0 : kk == 5 ? 255 : u8(rng);
          p.xat(i, kk) = static_cast<float>(q - z) * sa;
        }
      }
      for (int64_t j = 0; j < p.n; ++j) {
        if (j == 1) continue;
        const float sw = std::ldexp(1.0f, -static_cast<int>(5 + j % 4));
        for (int64_t kk = 0; kk < p.k; ++kk) {
          const int q = kk == j % p.k ? (j % 2 ? 127 : -127) : s8(rng);
          p.w[j * p.k + kk] = static_cast<float>(q) * sw;
        }
      }
      for (float& v : p.c0) v = static_cast<float>(s8(rng)) * 0.25f;
      for (float& v : p.b) v = static_cast<float>(s8(rng)) * 0.5f;
      const Reference ref = reference(p, Dtype::kInt8);
      std::vector<float> c = run(p, Dtype::kInt8, isa);
      for (int64_t i = 0; i < p.m; ++i)
        for (int64_t j = 0; j < p.n; ++j)
          ASSERT_NEAR(p.cat(c, i, j), ref.value[i * p.n + j], ref.rounding[i * p.n + j])
              << describe(p, isa) << " at " << i << ", " << j;
    }
  }
}

// Ties round to even: 1 + 2^-8 -> 1, 1 + 3 * 2^-8 -> 1 + 2^-6; values just above a tie
// round up. Checked on both operands (k = 1, the other operand 1).
TEST(LowpGemm, Bf16RoundsBothOperandsToNearestEven) {
  const float in[] = {1.0f + std::ldexp(1.0f, -8), 1.0f + 3 * std::ldexp(1.0f, -8),
                      1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20), -(2.0f + std::ldexp(1.0f, -7))};
  const float want[] = {1.0f, 1.0f + std::ldexp(1.0f, -6), 1.0f + std::ldexp(1.0f, -7), -2.0f};
  for (LowpIsa isa : lowp_bf16_isas()) {
    for (bool on_x : {true, false}) {
      Problem p;
      p.m = 4;
      p.n = 4;
      p.k = 1;
      p.allocate();
      for (int i = 0; i < 4; ++i) {
        p.xat(i, 0) = on_x ? in[i] : 1.0f;
        p.w[i] = on_x ? 1.0f : in[i];
      }
      std::vector<float> c = run(p, Dtype::kBf16, isa);
      for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(p.cat(c, on_x ? i : 0, on_x ? 0 : i), want[i]) << lowp_isa_name(isa) << " " << i;
      }
    }
  }
}

TEST(LowpGemm, Bf16KeepsNaN) {
  for (LowpIsa isa : lowp_bf16_isas()) {
    Problem p;
    p.m = 3;
    p.n = 40;
    p.k = 9;
    p.randomize(3);
    p.xat(1, 4) = std::numeric_limits<float>::quiet_NaN();
    p.w[2 * p.k + 7] = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> c = run(p, Dtype::kBf16, isa);
    for (int64_t j = 0; j < p.n; ++j) {
      EXPECT_TRUE(std::isnan(p.cat(c, 1, j))) << lowp_isa_name(isa) << " n=" << j;
      EXPECT_EQ(std::isnan(p.cat(c, 0, j)), j == 2) << lowp_isa_name(isa) << " n=" << j;
    }
  }
}

// (c) + (b): every size combination of {1, 3, 7, 17, 33, 65, 130}, layouts, padding and
// epilogue options rotating with the combination, random inputs within their bounds.
TEST(LowpGemm, OddSizesAndTailsStayWithinTheRoundingBound) {
  const int64_t sizes[] = {1, 3, 7, 17, 33, 65, 130};
  for (Dtype d : kDtypes) {
    for (LowpIsa isa : isas(d)) {
      uint32_t case_id = 0;
      for (int64_t m : sizes) {
        for (int64_t n : sizes) {
          for (int64_t k : sizes) {
            Problem p;
            p.m = m;
            p.n = n;
            p.k = k;
            p.x_is_mk = (case_id & 1) == 0;
            p.c_is_mn = (case_id & 2) == 0;
            p.ldx_pad = case_id % 3;
            p.ldc_pad = case_id % 5 == 0 ? 0 : 3;
            p.alpha = case_id % 4 == 0 ? 1.0f : -1.75f;
            p.beta = case_id % 3 == 0 ? 0.0f : 0.625f;
            p.bias = case_id % 2 == 0;
            p.relu = case_id % 7 < 3;
            p.randomize(1000 + case_id);
            expect_within_bounds(p, d, isa);
            ++case_id;
          }
        }
      }
    }
  }
}

// Sizes that cross every variant's M, N and K blocks.
TEST(LowpGemm, LargeProblemsCrossingCacheBlocksStayWithinTheBound) {
  for (Dtype d : kDtypes) {
    for (LowpIsa isa : isas(d)) {
      for (bool mk : {true, false}) {
        Problem p;
        p.m = 131;
        p.n = 300;
        p.k = 1333;
        p.x_is_mk = mk;
        p.c_is_mn = mk;
        p.beta = 1.0f;
        p.bias = true;
        p.randomize(77);
        expect_within_bounds(p, d, isa);
      }
    }
  }
}

// Weights given K x N (w_is_nk = false) with a padded leading dimension pack to the same
// values as N x K.
TEST(LowpGemm, TransposedWeightsPackLikeTheNkLayout) {
  for (Dtype d : kDtypes) {
    for (LowpIsa isa : isas(d)) {
      Problem p;
      p.m = 9;
      p.n = 45;
      p.k = 70;
      p.randomize(5);
      const int64_t ldw = p.n + 3;
      std::vector<float> wt(static_cast<size_t>(p.k * ldw), 9.0f);
      for (int64_t j = 0; j < p.n; ++j)
        for (int64_t kk = 0; kk < p.k; ++kk) wt[kk * ldw + j] = p.w[j * p.k + kk];
      std::vector<float> c = p.c0;
      LowpGemmArgs a;
      a.m = p.m;
      a.n = p.n;
      a.k = p.k;
      a.x = p.x.data();
      a.ldx = p.ldx();
      a.c = c.data();
      a.ldc = p.ldc();
      if (d == Dtype::kBf16) {
        gemm_bf16(a, Bf16Weights::pack(wt.data(), p.n, p.k, ldw, false, isa), 1);
      } else {
        gemm_int8(a, Int8Weights::pack(wt.data(), p.n, p.k, ldw, false, isa), 1);
      }
      EXPECT_TRUE(bitwise_equal(c, run(p, d, isa))) << lowp_isa_name(isa);
    }
  }
}

// (d) Every variant computes the same sums (int8: exact s32; bf16: exact products added
// in one k order) and the same epilogue, so it equals the scalar variant bitwise.
// AVX512_BF16's VDPBF16PS adds pairs in its own order and is held to the bound only.
TEST(LowpGemm, VariantsEqualTheScalarVariantBitwise) {
  for (Dtype d : kDtypes) {
    for (LowpIsa isa : isas(d)) {
      if (isa == LowpIsa::kScalar || isa == LowpIsa::kAvx512Bf16 || isa == LowpIsa::kAmxBf16) continue;
      uint32_t seed = 0;
      for (int64_t m : {1, 5, 16, 33, 200}) {
        for (int64_t n : {1, 31, 64, 129}) {
          for (int64_t k : {1, 6, 64, 515, 1300}) {
            Problem p;
            p.m = m;
            p.n = n;
            p.k = k;
            p.x_is_mk = seed % 2 == 0;
            p.c_is_mn = seed % 3 != 0;
            p.alpha = 0.75f;
            p.beta = seed % 2 ? 0.5f : 0.0f;
            p.bias = true;
            p.relu = seed % 4 == 1;
            p.randomize(seed++);
            EXPECT_TRUE(bitwise_equal(run(p, d, isa), run(p, d, LowpIsa::kScalar))) << describe(p, isa);
          }
        }
      }
    }
  }
}

// (e) The reduction order never depends on the split, so two threads equal one bitwise.
TEST(LowpGemm, TwoThreadsEqualOneThreadBitwise) {
  tbb::task_arena arena(2);
  for (Dtype d : kDtypes) {
    for (LowpIsa isa : isas(d)) {
      for (bool mk : {true, false}) {
        Problem p;
        p.m = 333;
        p.n = 270;
        p.k = 600;
        p.x_is_mk = mk;
        p.c_is_mn = !mk;
        p.alpha = 1.25f;
        p.beta = 0.5f;
        p.bias = true;
        p.relu = true;
        p.randomize(91);
        const std::vector<float> one = run(p, d, isa, 1);
        std::vector<float> two;
        arena.execute([&] { two = run(p, d, isa, 2); });
        EXPECT_TRUE(bitwise_equal(one, two)) << describe(p, isa);
        // And the result is right, not just stable.
        const Reference ref = reference(p, d);
        for (int64_t i = 0; i < p.m; i += 37)
          for (int64_t j = 0; j < p.n; j += 11)
            EXPECT_NEAR(p.cat(two, i, j), ref.value[i * p.n + j], ref.bound[i * p.n + j]);
      }
    }
  }
}

// Thread-safe: several threads sharing one packed weight object, each running its own
// GEMM (with intra-op threads) at once, all get the single-threaded result.
TEST(LowpGemm, ConcurrentCallsOnSharedWeightsEqualOneThread) {
  for (Dtype d : kDtypes) {
    const LowpIsa isa = isas(d).back();
    Problem p;
    p.m = 150;
    p.n = 200;
    p.k = 300;
    p.randomize(23);
    const std::vector<float> want = run(p, d, isa, 1);
    const Bf16Weights wb = Bf16Weights::pack(p.w.data(), p.n, p.k, p.k, true, isa);
    const Int8Weights wq = Int8Weights::pack(p.w.data(), p.n, p.k, p.k, true, isa);
    for (int callers : {2, 4}) {
      std::vector<std::vector<float>> got(static_cast<size_t>(callers), p.c0);
      std::vector<std::thread> threads;
      for (int t = 0; t < callers; ++t) {
        threads.emplace_back([&, t] {
          LowpGemmArgs a;
          a.m = p.m;
          a.n = p.n;
          a.k = p.k;
          a.x = p.x.data();
          a.ldx = p.ldx();
          a.c = got[static_cast<size_t>(t)].data();
          a.ldc = p.ldc();
          for (int rep = 0; rep < 5; ++rep) {
            if (d == Dtype::kBf16)
              gemm_bf16(a, wb, 2);
            else
              gemm_int8(a, wq, 2);
          }
        });
      }
      for (std::thread& t : threads) t.join();
      for (const std::vector<float>& c : got) EXPECT_TRUE(bitwise_equal(c, want)) << lowp_isa_name(isa);
    }
  }
}

// k == 0: c = beta * c_old + bias (then ReLU); m == 0 or n == 0: nothing is written.
TEST(LowpGemm, EmptyDimensions) {
  for (Dtype d : kDtypes) {
    for (LowpIsa isa : isas(d)) {
      Problem p;
      p.m = 3;
      p.n = 4;
      p.k = 0;
      p.beta = 0.5f;
      p.bias = true;
      p.relu = true;
      p.randomize(13);
      std::vector<float> c = run(p, d, isa);
      for (int64_t i = 0; i < p.m; ++i)
        for (int64_t j = 0; j < p.n; ++j)
          EXPECT_EQ(p.cat(c, i, j), std::max(0.0f, 0.5f * p.cat(p.c0, i, j) + p.b[j]));
      for (int which = 0; which < 2; ++which) {
        Problem q;
        q.m = which == 0 ? 0 : 3;
        q.n = which == 0 ? 4 : 0;
        q.k = 5;
        q.ldc_pad = 2;
        q.randomize(17);
        EXPECT_TRUE(bitwise_equal(run(q, d, isa), q.c0));
      }
    }
  }
}

// A variant this CPU cannot run is never handed out: packing for it gives the best one
// this CPU has (which then computes correctly), and the BRAID_ISA cap trims the lists.
TEST(LowpGemm, UnsupportedVariantsFallBackToTheBestSupportedOne) {
  const std::vector<float> w(8 * 20, 0.25f);
  for (LowpIsa isa : {LowpIsa::kAvx2, LowpIsa::kAvx512, LowpIsa::kAvx512Vnni, LowpIsa::kAvx512Bf16, LowpIsa::kAmxBf16}) {
    const std::vector<LowpIsa> b = lowp_bf16_isas(), q = lowp_int8_isas();
    const bool bf16_ok = std::find(b.begin(), b.end(), isa) != b.end();
    const bool int8_ok = std::find(q.begin(), q.end(), isa) != q.end();
    EXPECT_EQ(Bf16Weights::pack(w.data(), 8, 20, 20, true, isa).isa(), bf16_ok ? isa : best_bf16_isa());
    EXPECT_EQ(Int8Weights::pack(w.data(), 8, 20, 20, true, isa).isa(), int8_ok ? isa : best_int8_isa());
  }
  set_isa_cap_for_testing("scalar");
  EXPECT_EQ(lowp_bf16_isas(), std::vector<LowpIsa>{LowpIsa::kScalar});
  EXPECT_EQ(lowp_int8_isas(), std::vector<LowpIsa>{LowpIsa::kScalar});
  set_isa_cap_for_testing("");
}

TEST(LowpGemm, PackedWeightsReportTheirShapeAndSize) {
  const std::vector<float> w(40 * 70, 0.5f);
  for (LowpIsa isa : lowp_bf16_isas()) {
    const Bf16Weights b = Bf16Weights::pack(w.data(), 40, 70, 70, true, isa);
    EXPECT_EQ(b.rows(), 40);
    EXPECT_EQ(b.depth(), 70);
    EXPECT_GE(b.bytes(), size_t{40 * 70 * 2});
    EXPECT_LT(b.bytes(), size_t{40 * 70 * 4});  // smaller than the f32 weights
    EXPECT_FALSE(b.empty());
  }
  for (LowpIsa isa : lowp_int8_isas()) {
    const Int8Weights q = Int8Weights::pack(w.data(), 40, 70, 70, true, isa);
    EXPECT_EQ(q.rows(), 40);
    EXPECT_EQ(q.depth(), 70);
    EXPECT_GE(q.bytes(), size_t{40 * 70});
    EXPECT_FALSE(q.empty());
  }
  EXPECT_TRUE(Bf16Weights().empty());
  EXPECT_TRUE(Int8Weights().empty());
}

}  // namespace
}  // namespace braid::detail
