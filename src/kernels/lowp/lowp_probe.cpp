// Which bf16 variant runs fastest here, and whether bf16 computes faster than f32: CPUID
// says which variants a core can run, not how fast. On an Intel Xeon (family 6, model 207)
// VDPBF16PS retires one per two cycles, a quarter of the FMA rate in instructions and half
// of it in multiply-adds, so the AVX512_BF16 variant ran a 512^3 GEMM at 0.5-0.8x f32 and
// behind the widening variant (docs/precision.md, "Which bf16 variant"). Measured once per
// process on a small compute-bound GEMM; BRAID_LOWP_PROBE=0 keeps the CPUID order instead.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/env_switch.h"
#include "kernels/cpu_features.h"
#include "kernels/gemm/gemm.h"
#include "kernels/lowp/lowp_gemm.h"

namespace braid::detail {
namespace {

// The probe: c (64 x 256) = x (64 x 256) * w^T on one thread, ~8.4 MFLOP (50-150 us):
// compute-bound for every variant (the weights fit L2), long enough for a clock to
// resolve, short enough that 3 rounds of every candidate stay within a few ms.
constexpr int64_t kProbeM = 64, kProbeN = 256, kProbeK = 256;
constexpr int kRounds = 3, kRepsPerRound = 4;

std::vector<float> probe_values(int64_t n, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(n));
  uint32_t s = seed;
  for (float& x : v) {  // a small LCG: any values in [-1, 1) do
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>(s >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
  return v;
}

template <class F>
double best_ns(F&& run) {
  double best = std::numeric_limits<double>::infinity();
  for (int r = 0; r < kRepsPerRound; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    best = std::min(best, std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

Bf16Speed measure() {
  const std::vector<LowpIsa> isas = lowp_bf16_isas();
  const std::vector<float> x = probe_values(kProbeM * kProbeK, 1), w = probe_values(kProbeN * kProbeK, 2);
  std::vector<float> c(static_cast<size_t>(kProbeM * kProbeN));
  std::vector<Bf16Weights> packed;
  for (LowpIsa isa : isas) packed.push_back(Bf16Weights::pack(w.data(), kProbeN, kProbeK, kProbeK, true, isa));
  LowpGemmArgs a;
  a.m = kProbeM;
  a.n = kProbeN;
  a.k = kProbeK;
  a.x = x.data();
  a.ldx = kProbeK;
  a.c = c.data();
  a.ldc = kProbeN;
  Gemm gemm;
  const PackedB pb = gemm.pack_b(true, kProbeK, kProbeN, w.data(), kProbeK);
  GemmArgs g;
  g.m = kProbeM;
  g.n = kProbeN;
  g.k = kProbeK;
  g.a = x.data();
  g.lda = kProbeK;
  g.packed_b = &pb;
  g.c = c.data();
  g.ldc = kProbeN;
  std::vector<double> ns(isas.size(), std::numeric_limits<double>::infinity());
  double f32_ns = std::numeric_limits<double>::infinity();
  for (int round = 0; round < kRounds; ++round) {  // alternating, so a slow spell hits all
    f32_ns = std::min(f32_ns, best_ns([&] { gemm.run(g, 1); }));
    for (size_t i = 0; i < isas.size(); ++i)
      if (isas[i] != LowpIsa::kScalar) ns[i] = std::min(ns[i], best_ns([&] { gemm_bf16(a, packed[i], 1); }));
  }
  std::vector<std::pair<LowpIsa, double>> times;
  for (size_t i = 0; i < isas.size(); ++i)
    if (isas[i] != LowpIsa::kScalar) times.emplace_back(isas[i], ns[i]);
  return pick_bf16(times, f32_ns);
}

}  // namespace

Bf16Speed pick_bf16(const std::vector<std::pair<LowpIsa, double>>& times, double f32_ns) {
  Bf16Speed s;
  double best = std::numeric_limits<double>::infinity();
  for (const auto& [isa, ns] : times) {
    if (ns > 0 && ns < best) {
      best = ns;
      s.isa = isa;
    }
  }
  if (best < std::numeric_limits<double>::infinity() && f32_ns > 0 && f32_ns < std::numeric_limits<double>::infinity())
    s.vs_f32 = f32_ns / best;
  s.measured = s.vs_f32 > 0;
  return s;
}

const Bf16Speed& bf16_speed() {
  static const Bf16Speed speed = [] {
    const std::vector<LowpIsa> isas = lowp_bf16_isas();
    if (isas.size() > 1 && env_switch_on("BRAID_LOWP_PROBE")) {
      Bf16Speed s = measure();
      if (s.measured) return s;
    }
    Bf16Speed s;  // the CPUID order: the last listed variant, native where it has dot products
    s.isa = isas.back();
    s.vs_f32 = s.isa == LowpIsa::kAvx512Bf16 || s.isa == LowpIsa::kAmxBf16 ? Bf16Speed::kNativeSpeedup : 1.0;
    return s;
  }();
  return speed;
}

}  // namespace braid::detail
