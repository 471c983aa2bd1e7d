// The GEMM core against a double-precision reference, for every ISA variant this CPU has:
// odd sizes and SIMD tails, transposes, leading dimensions, prepacked operands, a custom B
// source, alpha/beta, the bias/ReLU epilogue, bitwise thread-count independence, and B read
// in place from an image (GemmDirectB).
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/gemm/gemm.h"
#include "always_lends.h"
#include "kernels/parallel.h"

namespace braid::detail {
namespace {

std::vector<std::string> isas_to_test() {
  set_isa_cap_for_testing("");
  std::vector<std::string> isas = {"scalar"};
  if (cpu_features().has_avx2_fma()) isas.push_back("avx2");
  if (cpu_features().has_avx512() && cpu_features().fma) isas.push_back("avx512");
  return isas;
}

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

struct Problem {
  int64_t m, n, k;
  bool trans_a = false, trans_b = false;
  int64_t lda_pad = 0, ldb_pad = 0, ldc_pad = 0;
  float alpha = 1.0f, beta = 0.0f;
  GemmBias bias_kind = GemmBias::kNone;
  bool relu = false;
};

// The operands and the double reference (value and sum of |terms| for the tolerance).
struct Case {
  Problem p;
  int64_t lda, ldb, ldc;
  std::vector<float> a, b, c0, bias;
  std::vector<double> ref, mag;

  explicit Case(const Problem& prob, uint32_t seed) : p(prob) {
    const int64_t a_rows = p.trans_a ? p.k : p.m, a_cols = p.trans_a ? p.m : p.k;
    const int64_t b_rows = p.trans_b ? p.n : p.k, b_cols = p.trans_b ? p.k : p.n;
    lda = a_cols + p.lda_pad;
    ldb = b_cols + p.ldb_pad;
    ldc = p.n + p.ldc_pad;
    a = random_floats(static_cast<size_t>(std::max<int64_t>(1, a_rows * lda)), seed);
    b = random_floats(static_cast<size_t>(std::max<int64_t>(1, b_rows * ldb)), seed + 1);
    c0 = random_floats(static_cast<size_t>(std::max<int64_t>(1, p.m * ldc)), seed + 2);
    bias = random_floats(static_cast<size_t>(std::max(p.m, p.n)), seed + 3);
    ref.assign(static_cast<size_t>(p.m * p.n), 0.0);
    mag.assign(ref.size(), 0.0);
    for (int64_t i = 0; i < p.m; ++i) {
      for (int64_t j = 0; j < p.n; ++j) {
        double s = 0, g = 0;
        for (int64_t kk = 0; kk < p.k; ++kk) {
          const double av = p.trans_a ? a[kk * lda + i] : a[i * lda + kk];
          const double bv = p.trans_b ? b[j * ldb + kk] : b[kk * ldb + j];
          s += av * bv;
          g += std::fabs(av * bv);
        }
        double r = p.alpha * s + p.beta * c0[i * ldc + j];
        g = std::fabs(p.alpha) * g + std::fabs(p.beta * c0[i * ldc + j]);
        if (p.bias_kind == GemmBias::kPerRow) r += bias[i];
        if (p.bias_kind == GemmBias::kPerCol) r += bias[j];
        if (p.relu) r = std::max(r, 0.0);
        ref[i * p.n + j] = r;
        mag[i * p.n + j] = g + 1.0;
      }
    }
  }

  GemmArgs args(std::vector<float>& c) const {
    GemmArgs g;
    g.m = p.m;
    g.n = p.n;
    g.k = p.k;
    g.a = a.data();
    g.lda = lda;
    g.trans_a = p.trans_a;
    g.b = b.data();
    g.ldb = ldb;
    g.trans_b = p.trans_b;
    g.c = c.data();
    g.ldc = ldc;
    g.alpha = p.alpha;
    g.beta = p.beta;
    g.bias = p.bias_kind == GemmBias::kNone ? nullptr : bias.data();
    g.bias_kind = p.bias_kind;
    g.relu = p.relu;
    return g;
  }

  // Empty when `c` matches the reference; padding columns of C must be untouched.
  std::string check(const std::vector<float>& c) const {
    const double eps = (static_cast<double>(p.k) + 4.0) * 1.2e-7;
    for (int64_t i = 0; i < p.m; ++i) {
      for (int64_t j = 0; j < ldc; ++j) {
        const float got = c[i * ldc + j];
        if (j >= p.n) {
          if (std::memcmp(&got, &c0[i * ldc + j], sizeof(float)) != 0)
            return "padding column " + std::to_string(j) + " of row " + std::to_string(i) + " was written";
          continue;
        }
        const double want = ref[i * p.n + j];
        if (!(std::fabs(got - want) <= eps * mag[i * p.n + j]))
          return "C[" + std::to_string(i) + "," + std::to_string(j) + "] = " + std::to_string(got) +
                 ", want " + std::to_string(want);
      }
    }
    return {};
  }

  std::string describe() const {
    return "M=" + std::to_string(p.m) + " N=" + std::to_string(p.n) + " K=" + std::to_string(p.k) +
           (p.trans_a ? " transA" : "") + (p.trans_b ? " transB" : "") +
           " alpha=" + std::to_string(p.alpha) + " beta=" + std::to_string(p.beta) +
           " bias=" + std::to_string(static_cast<int>(p.bias_kind)) + (p.relu ? " relu" : "");
  }
};

enum class Mode { kPlain, kPackedA, kPackedB, kPackedBoth, kBSource };

struct DenseSourceCtx {
  const float* b;
  int64_t ldb;
};

// A GemmBSource over a dense row-major K x N matrix, written independently of the core's
// own packer so that the source contract is tested.
void dense_source_pack(const void* ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr,
                       float* dst) {
  const auto* s = static_cast<const DenseSourceCtx*>(ctx);
  const int64_t panels = (nc + nr - 1) / nr;
  for (int64_t j = 0; j < panels * nr; ++j)
    for (int64_t k = 0; k < kc; ++k)
      dst[(j / nr) * kc * nr + k * nr + j % nr] = j < nc ? s->b[(k0 + k) * s->ldb + n0 + j] : 0.0f;
}

std::string run_case(const Gemm& gemm, const Case& cs, Mode mode, int threads, int64_t kc = 0,
                     std::vector<float>* out = nullptr) {
  std::vector<float> c = cs.c0;
  GemmArgs g = cs.args(c);
  g.kc = kc;
  PackedA pa;
  PackedB pb;
  GemmBSource src;
  DenseSourceCtx src_ctx{cs.b.data(), cs.ldb};
  if (mode == Mode::kPackedA || mode == Mode::kPackedBoth) {
    pa = gemm.pack_a(cs.p.trans_a, cs.p.m, cs.p.k, cs.a.data(), cs.lda, kc);
    g.packed_a = &pa;
    g.a = nullptr;
  }
  if (mode == Mode::kPackedB || mode == Mode::kPackedBoth) {
    pb = gemm.pack_b(cs.p.trans_b, cs.p.k, cs.p.n, cs.b.data(), cs.ldb, kc);
    g.packed_b = &pb;
    g.b = nullptr;
  }
  if (mode == Mode::kBSource) {
    src.pack = dense_source_pack;
    src.ctx = &src_ctx;
    g.b_source = &src;
    g.b = nullptr;
  }
  gemm.run(g, threads);
  if (out) *out = c;
  return cs.check(c);
}

const int64_t kSizes[] = {1, 2, 3, 7, 15, 17, 31, 33, 64, 100, 257};

class GemmIsaTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    set_isa_cap_for_testing(GetParam().c_str());
    gemm_ = Gemm();
    ASSERT_STREQ(gemm_.isa_name(), GetParam().c_str());
  }
  void TearDown() override { set_isa_cap_for_testing(""); }
  Gemm gemm_;
};

TEST_P(GemmIsaTest, MatchesReferenceForOddSizesAndTails) {
  uint32_t seed = 1;
  const int count = static_cast<int>(std::size(kSizes));
  for (int i = 0; i < count; ++i) {
    for (int j = 0; j < count; ++j) {
      // Every K size meets every M size and every N size across the sweep.
      const int64_t k = kSizes[(i + 3 * j) % count];
      Case cs(Problem{kSizes[i], kSizes[j], k}, seed++);
      const std::string err = run_case(gemm_, cs, Mode::kPlain, 1);
      ASSERT_TRUE(err.empty()) << cs.describe() << ": " << err;
    }
  }
}

TEST_P(GemmIsaTest, TransposesAndLeadingDimensions) {
  uint32_t seed = 100;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (int64_t m : {1, 7, 33, 100}) {
        for (int64_t n : {2, 17, 64, 257}) {
          for (int64_t k : {3, 31, 300}) {
            Problem p{m, n, k, ta, tb, 3, 5, 2};
            Case cs(p, seed++);
            const std::string err = run_case(gemm_, cs, Mode::kPlain, 1);
            ASSERT_TRUE(err.empty()) << cs.describe() << ": " << err;
          }
        }
      }
    }
  }
}

TEST_P(GemmIsaTest, PrepackedOperandsAndBSource) {
  uint32_t seed = 200;
  for (Mode mode : {Mode::kPackedA, Mode::kPackedB, Mode::kPackedBoth, Mode::kBSource}) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        if (mode == Mode::kBSource && tb) continue;
        for (int64_t m : {1, 2, 15, 64, 257}) {
          for (int64_t n : {1, 33, 100}) {
            for (int64_t k : {1, 17, 257, 600}) {
              Problem p{m, n, k, ta, tb, 1, 0, 3};
              Case cs(p, seed++);
              const std::string err = run_case(gemm_, cs, mode, 1);
              ASSERT_TRUE(err.empty()) << cs.describe() << " mode " << static_cast<int>(mode) << ": " << err;
            }
          }
        }
      }
    }
  }
}

// GemmArgs::kc (Conv's weights use 512): K blocks deeper or shallower than the variant's,
// packed (with the same kc) or not, at 1 and 2 threads. Every way must match the reference,
// and all of them bitwise, since kc alone fixes the summation order.
TEST_P(GemmIsaTest, AnyKBlockPackedOrNotGivesTheSameBits) {
  uint32_t seed = 900;
  for (int64_t kc : {int64_t{160}, int64_t{512}}) {
    for (int64_t m : {15, 64}) {
      for (int64_t n : {33, 600}) {
        for (int64_t k : {17, 600, 1100}) {
          Problem p{m, n, k, false, false, 1, 0, 3};
          p.bias_kind = GemmBias::kPerRow;
          p.relu = true;
          Case cs(p, seed++);
          std::vector<float> first;
          for (Mode mode : {Mode::kPlain, Mode::kPackedA, Mode::kPackedB, Mode::kPackedBoth}) {
            for (int threads : {1, 2}) {
              std::vector<float> got;
              const std::string err = run_case(gemm_, cs, mode, threads, kc, &got);
              ASSERT_TRUE(err.empty()) << cs.describe() << " kc=" << kc << " mode " << static_cast<int>(mode) << ": "
                                       << err;
              if (first.empty()) first = got;
              ASSERT_EQ(0, std::memcmp(first.data(), got.data(), got.size() * sizeof(float)))
                  << cs.describe() << " kc=" << kc << " mode " << static_cast<int>(mode) << " threads " << threads;
            }
          }
        }
      }
    }
  }
}

TEST_P(GemmIsaTest, AlphaBetaBiasAndReluEpilogue) {
  uint32_t seed = 300;
  for (float alpha : {1.0f, 0.5f, -2.0f}) {
    for (float beta : {0.0f, 1.0f, 0.25f}) {
      for (GemmBias bias : {GemmBias::kNone, GemmBias::kPerRow, GemmBias::kPerCol}) {
        for (bool relu : {false, true}) {
          // K > kc so the epilogue must wait for the last K block.
          for (int64_t k : {0, 5, 513}) {
            Problem p{17, 45, k, false, false, 0, 0, 1, alpha, beta, bias, relu};
            Case cs(p, seed++);
            for (Mode mode : {Mode::kPlain, Mode::kPackedB, Mode::kPackedA}) {
              const std::string err = run_case(gemm_, cs, mode, 1);
              ASSERT_TRUE(err.empty()) << cs.describe() << ": " << err;
            }
          }
        }
      }
    }
  }
}

TEST_P(GemmIsaTest, BetaZeroIgnoresGarbageInC) {
  Case cs(Problem{9, 40, 20}, 7);
  std::vector<float> c(cs.c0.size(), std::nanf(""));
  GemmArgs g = cs.args(c);
  gemm_.run(g, 1);
  for (int64_t i = 0; i < 9 * 40; ++i) ASSERT_FALSE(std::isnan(c[i])) << i;
}

TEST_P(GemmIsaTest, MultiThreadResultsAreBitwiseEqualToSingleThread) {
  tbb::task_arena arena(4);
  uint32_t seed = 400;
  // Shapes that split over N (skinny M), over M (few N panels) and both; the transposed
  // 7 x 7 layers' shape (49 x 2304 x 512), plain and with A transposed.
  const Problem problems[] = {
      {1, 2048, 700}, {8, 1000, 513}, {500, 40, 300}, {257, 300, 513}, {64, 3136, 576}, {49, 512, 2304}, {49, 600, 1000, true},
  };
  for (const Problem& base : problems) {
    for (Mode mode : {Mode::kPlain, Mode::kPackedB, Mode::kPackedA}) {
      Problem p = base;
      p.bias_kind = GemmBias::kPerCol;
      p.relu = true;
      p.beta = 0.5f;
      Case cs(p, seed++);
      std::vector<std::vector<float>> results;
      for (int threads : {1, 2, 3, 4}) {
        std::vector<float> c = cs.c0;
        GemmArgs g = cs.args(c);
        PackedA pa;
        PackedB pb;
        if (mode == Mode::kPackedA) {
          pa = gemm_.pack_a(p.trans_a, p.m, p.k, cs.a.data(), cs.lda);
          g.packed_a = &pa;
        }
        if (mode == Mode::kPackedB) {
          pb = gemm_.pack_b(p.trans_b, p.k, p.n, cs.b.data(), cs.ldb);
          g.packed_b = &pb;
        }
        arena.execute([&] { gemm_.run(g, threads); });
        results.push_back(c);
      }
      ASSERT_TRUE(cs.check(results[0]).empty()) << cs.describe();
      for (size_t t = 1; t < results.size(); ++t)
        ASSERT_EQ(0, std::memcmp(results[0].data(), results[t].data(), results[0].size() * sizeof(float)))
            << cs.describe() << " differs at " << (t + 1) << " threads";
    }
  }
}

// Adaptive mode: a one-thread GEMM with a CoreLender goes in pieces that borrowed cores
// take (run_elastic), cut only across a prepacked operand (a piece packs its own part of
// a per-call one, unless A has too few panels and is packed once). The pieces must give
// the bits of the GEMM in one piece, whoever ran them; the lender must have been asked
// where pieces are due (else none were made) and
// never where both operands are packed per call or the GEMM is small.
TEST_P(GemmIsaTest, ElasticPiecesAreBitwiseEqualToOneThread) {
  tbb::task_arena arena(3);
  uint32_t seed = 900;
  // Many N panels, few N panels (pieces along M), both, a GEMM too small to split, and
  // few M panels with B prepacked (a transposed 7 x 7 convolution's shape: A packed once,
  // the pieces along N).
  const Problem problems[] = {{64, 3136, 576}, {600, 60, 400}, {257, 300, 513}, {16, 200, 64}, {49, 384, 1728}};
  for (const Problem& base : problems) {
    for (Mode mode : {Mode::kPlain, Mode::kPackedA, Mode::kPackedB}) {
      Problem p = base;
      p.bias_kind = GemmBias::kPerRow;
      p.relu = true;
      Case cs(p, seed++);
      PackedA pa;
      PackedB pb;
      if (mode == Mode::kPackedA) pa = gemm_.pack_a(false, p.m, p.k, cs.a.data(), cs.lda);
      if (mode == Mode::kPackedB) pb = gemm_.pack_b(false, p.k, p.n, cs.b.data(), cs.ldb);
      auto args = [&](std::vector<float>& c) {
        GemmArgs g = cs.args(c);
        if (mode == Mode::kPackedA) g.packed_a = &pa;
        if (mode == Mode::kPackedB) g.packed_b = &pb;
        return g;
      };
      std::vector<float> whole = cs.c0, pieces = cs.c0;
      GemmArgs g = args(whole);
      arena.execute([&] { gemm_.run(g, 1); });
      AlwaysLends fake;
      const CoreLender lender{&AlwaysLends::spare, &AlwaysLends::borrow, &AlwaysLends::repay, &fake};
      g = args(pieces);
      arena.execute([&] {
        LenderScope scope(&lender);
        gemm_.run(g, 1);
      });
      const std::string what = cs.describe() + " mode " + std::to_string(static_cast<int>(mode));
      ASSERT_TRUE(cs.check(whole).empty()) << what;
      ASSERT_EQ(0, std::memcmp(whole.data(), pieces.data(), whole.size() * sizeof(float))) << what;
      // Pieces along N with A prepacked, along M with B prepacked: at least 3 of them.
      const int64_t panels = mode == Mode::kPackedA ? (p.n + gemm_.nr() - 1) / gemm_.nr()
                                                    : (p.m + gemm_.mr() - 1) / gemm_.mr();
      const bool due = 2.0 * static_cast<double>(p.m * p.n * p.k) >= 25e6 && mode != Mode::kPlain && panels >= 3;
      if (due)
        EXPECT_GT(fake.asks.load(), 0) << what;
      else
        EXPECT_EQ(fake.asks.load(), 0) << what;
      EXPECT_EQ(fake.held.load(), 0) << what;
      // A lender with no spare core: one piece, never asked.
      AlwaysLends idle;
      const CoreLender none{&AlwaysLends::none, &AlwaysLends::borrow, &AlwaysLends::repay, &idle};
      std::vector<float> alone = cs.c0;
      g = args(alone);
      arena.execute([&] {
        LenderScope scope(&none);
        gemm_.run(g, 1);
      });
      EXPECT_EQ(idle.asks.load(), 0) << what;
      ASSERT_EQ(0, std::memcmp(whole.data(), alone.data(), whole.size() * sizeof(float))) << what;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, GemmIsaTest, ::testing::ValuesIn(isas_to_test()),
                         [](const auto& info) { return info.param; });

// GemmDirectB against the patch matrix it stands for, written out here by its definition:
// B(c * taps + t, oy * w + ox) = x[c][dp[t]][oy + dy[t]][ox + dx[t]] inside the h x w plane,
// else 0 (dp: the tap's plane of its channel, for stride 2's parity planes). The
// direct run must equal the run on that explicit B bit for bit (same K blocks, one FMA chain
// per element) and the double reference within rounding, at 1-4 threads (the threads' N
// ranges start mid-row). Images narrower than a vector make one vector span several rows.
TEST(Gemm, DirectBEqualsTheExplicitPatchMatrix) {
  if (!Gemm().direct_b(0)) GTEST_SKIP() << "no direct-B variant on this CPU";
  // Only even row tails are compiled: an odd one must be refused (the caller packs).
  EXPECT_FALSE(Gemm().direct_b(13));
  EXPECT_FALSE(Gemm().direct_b(14 + 3));
  struct Shape2 {
    int64_t m, channels, h, w, oh;
    std::vector<std::pair<int, int>> taps;  // (dy, dx)
    int planes = 1;
    std::vector<int> dp = {};  // each tap's plane (all 0 when empty)
  };
  const Shape2 shapes[] = {
      {64, 7, 20, 23, 20, {{-1, -1}, {-1, 0}, {-1, 1}, {0, -1}, {0, 0}, {0, 1}, {1, -1}, {1, 0}, {1, 1}}},
      {12, 40, 9, 5, 7, {{0, -2}, {0, 0}, {2, 2}, {1, -1}}},    // K = 160 plus a second block
      {30, 70, 6, 1, 6, {{-1, 0}, {0, 0}, {1, 0}}},             // one-column image
      {6, 3, 11, 3, 12, {{-2, -2}, {-1, 1}, {0, 0}, {1, 2}, {3, -1}}},
      {32, 29, 14, 14, 14, {{-2, -2}, {-2, 0}, {0, -2}, {0, 0}, {0, 2}, {2, 0}, {2, 2}, {-1, 1}, {1, -1}}},
      // Parity planes: a 3x3 stride-2 layer (4 planes) and a 5x5 one keeping 3 of 4.
      {64, 5, 9, 10, 9, {{-1, -1}, {-1, 0}, {-1, 0}, {0, -1}, {0, 0}, {0, 0}, {0, -1}, {0, 0}, {0, 0}},
       4, {3, 2, 3, 1, 0, 1, 3, 2, 3}},
      {8, 50, 6, 7, 6, {{-1, -1}, {0, 0}, {0, 1}, {1, -1}, {-1, 2}, {0, 0}}, 3, {0, 1, 2, 2, 1, 0}},  // K = 300
  };
  tbb::task_arena arena(4);
  uint32_t seed = 500;
  const Gemm gemm;
  for (const Shape2& s : shapes) {
    ASSERT_TRUE(gemm.direct_b(s.m)) << "M=" << s.m;
    const int taps = static_cast<int>(s.taps.size());
    const int64_t n = s.oh * s.w, k = s.channels * taps;
    const std::vector<float> x = random_floats(static_cast<size_t>(s.channels * s.planes * s.h * s.w), seed++);
    const std::vector<float> a = random_floats(static_cast<size_t>(s.m * k), seed++);
    const std::vector<float> bias = random_floats(static_cast<size_t>(s.m), seed++);
    std::vector<float> b(static_cast<size_t>(k * n), 0.0f);
    GemmDirectB d;
    d.x = x.data();
    d.plane = s.h * s.w;
    d.planes = s.planes;
    d.h = s.h;
    d.w = s.w;
    d.taps = taps;
    for (int t = 0; t < taps; ++t) {
      d.dy[t] = s.taps[static_cast<size_t>(t)].first;
      d.dx[t] = s.taps[static_cast<size_t>(t)].second;
      d.dp[t] = s.dp.empty() ? 0 : s.dp[static_cast<size_t>(t)];
    }
    for (int64_t c = 0; c < s.channels; ++c)
      for (int t = 0; t < taps; ++t)
        for (int64_t j = 0; j < n; ++j) {
          const int64_t iy = j / s.w + d.dy[t], ix = j % s.w + d.dx[t];
          if (iy >= 0 && iy < s.h && ix >= 0 && ix < s.w)
            b[static_cast<size_t>((c * taps + t) * n + j)] =
                x[static_cast<size_t>(((c * s.planes + d.dp[t]) * s.h + iy) * s.w + ix)];
        }
    const PackedA pa = gemm.pack_a(false, s.m, k, a.data(), k);
    auto run = [&](bool direct, int threads) {
      std::vector<float> c(static_cast<size_t>(s.m * n), -7.0f);
      GemmArgs g;
      g.m = s.m;
      g.n = n;
      g.k = k;
      g.packed_a = &pa;
      if (direct) {
        g.b_direct = &d;
      } else {
        g.b = b.data();
        g.ldb = n;
      }
      g.c = c.data();
      g.ldc = n;
      g.bias = bias.data();
      g.bias_kind = GemmBias::kPerRow;
      g.relu = true;
      arena.execute([&] { gemm.run(g, threads); });
      return c;
    };
    const std::vector<float> want = run(false, 1);
    for (int64_t i = 0; i < s.m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double ref = bias[static_cast<size_t>(i)], mag = std::fabs(ref);
        for (int64_t kk = 0; kk < k; ++kk) {
          const double term = double{a[static_cast<size_t>(i * k + kk)]} * b[static_cast<size_t>(kk * n + j)];
          ref += term;
          mag += std::fabs(term);
        }
        ref = std::max(ref, 0.0);
        ASSERT_NEAR(want[static_cast<size_t>(i * n + j)], ref, (static_cast<double>(k) + 4) * 1.2e-7 * (mag + 1))
            << "row " << i << " col " << j;
      }
    for (int threads : {1, 2, 3, 4}) {
      const std::vector<float> got = run(true, threads);
      ASSERT_EQ(0, std::memcmp(got.data(), want.data(), want.size() * sizeof(float)))
          << "M=" << s.m << " C=" << s.channels << " " << s.h << "x" << s.w << " taps=" << taps << " at "
          << threads << " threads";
    }
  }
}

// The grain is a time: a product split on a core half as fast at half the flops. The
// transformer's 128 x 128 x 64 (2.1 MFLOP) stays on one thread at 250 GFLOP/s (8.4 us)
// and splits at 115 (18 us of one core, the AMD EPYC of session 21).
TEST(Gemm, ThreadGrainFollowsTheCoresSpeed) {
  const Gemm g;
  const double before = core_gflops();
  set_core_gflops(250);
  EXPECT_EQ(g.gemm_threads(128, 128, 64, 2), 1);
  EXPECT_EQ(g.gemm_threads(512, 512, 512, 2), 2);
  EXPECT_EQ(g.gemm_threads(512, 512, 512, 64), 64);  // 268 MFLOP: many threads' worth
  set_core_gflops(115);
  EXPECT_EQ(g.gemm_threads(128, 128, 64, 2), 2);
  EXPECT_EQ(g.gemm_threads(16, 16, 16, 2), 1);  // 8 kFLOP: never worth a thread
  EXPECT_EQ(g.gemm_threads(1, 1, 1, 8), 1);     // one micro-tile at most one thread
  set_core_gflops(0);                           // not a speed: back to the default
  EXPECT_EQ(core_gflops(), 250);
  set_core_gflops(before);
}

TEST(Gemm, PicksTheBestVariantUnlessCapped) {
  set_isa_cap_for_testing("scalar");
  EXPECT_STREQ(Gemm().isa_name(), "scalar");
  set_isa_cap_for_testing("");
  const CpuFeatures& f = cpu_features();
  const char* want = f.has_avx512() && f.fma ? "avx512" : f.has_avx2_fma() ? "avx2" : "scalar";
  EXPECT_STREQ(Gemm().isa_name(), want);
}

}  // namespace
}  // namespace braid::detail
