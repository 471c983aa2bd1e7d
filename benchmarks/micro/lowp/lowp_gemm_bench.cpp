// Low-precision GEMM throughput against the f32 GEMM core (braid::detail::Gemm, weights
// prepacked) in the same process and run, single thread: 512^3, 1024^3, batch-1 shapes
// (M = 1, 16, 64 with N = K = 1024) and a Conv-like shape (M = HW = 3136, N = 64, K = 576
// with x given K x M and c written N x M, as Conv's NCHW tensors are). Every variant this
// CPU runs is measured (label = variant). Counters: GFLOPS (2*M*N*K per call, the f32
// equivalent), pct_peak (of the single-core f32 FMA peak), GBps / pct_stream (compulsory
// traffic: x and c as f32, weights at their packed width).
#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include <random>
#include <vector>

#include "ceiling.h"
#include "kernels/gemm/gemm.h"
#include "kernels/lowp/lowp_gemm.h"

namespace braid::bench {
namespace {

using detail::LowpIsa;

std::vector<float> random_floats(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = d(rng);
  return v;
}

void set_counters(benchmark::State& state, int64_t m, int64_t n, int64_t k, double weight_bytes) {
  set_ceiling_counters(state, 2.0 * static_cast<double>(m * n * k),
                       4.0 * static_cast<double>(m * k + m * n) + weight_bytes * static_cast<double>(n * k), 1);
}

// Args: M, N, K, conv (1: x is K x M and c is N x M).
void BM_F32Gemm(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const bool conv = state.range(3) != 0;
  peak_gflops_per_core();  // measure the ceilings before timing
  stream_gbps();
  const std::vector<float> x = random_floats(m * k, 1), w = random_floats(n * k, 2);
  std::vector<float> c(static_cast<size_t>(m * n));
  detail::Gemm gemm;
  detail::GemmArgs g;
  detail::PackedA packed_a;
  detail::PackedB packed_b;
  if (!conv) {  // c (M x N) = x (M x K) * w^T, w stored N x K
    packed_b = gemm.pack_b(true, k, n, w.data(), k);
    g.m = m;
    g.n = n;
    g.a = x.data();
    g.lda = k;
    g.packed_b = &packed_b;
    g.ldc = n;
  } else {  // c (N x M) = w (N x K) * x (K x M): Conv's weights times its im2col'd input
    packed_a = gemm.pack_a(false, n, k, w.data(), k);
    g.m = n;
    g.n = m;
    g.packed_a = &packed_a;
    g.b = x.data();
    g.ldb = m;
    g.ldc = m;
  }
  g.k = k;
  g.c = c.data();
  tbb::task_arena arena(1);
  arena.execute([&] {
    for (auto _ : state) {
      gemm.run(g, 1);
      benchmark::ClobberMemory();
    }
  });
  set_counters(state, m, n, k, 4.0);
  state.SetLabel(std::string("f32 ") + gemm.isa_name());
}

// Args: M, N, K, conv, variant index into lowp_*_isas(). Skipped if the CPU lacks it.
template <bool kInt8>
void BM_LowpGemm(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const bool conv = state.range(3) != 0;
  const std::vector<LowpIsa> isas = kInt8 ? detail::lowp_int8_isas() : detail::lowp_bf16_isas();
  if (state.range(4) >= static_cast<int64_t>(isas.size())) {
    state.SkipWithError("variant not supported on this CPU");
    return;
  }
  const LowpIsa isa = isas[static_cast<size_t>(state.range(4))];
  peak_gflops_per_core();
  stream_gbps();
  const std::vector<float> x = random_floats(m * k, 1), w = random_floats(n * k, 2);
  std::vector<float> c(static_cast<size_t>(m * n));
  detail::LowpGemmArgs a;
  a.m = m;
  a.n = n;
  a.k = k;
  a.x = x.data();
  a.ldx = conv ? m : k;
  a.x_is_mk = !conv;
  a.c = c.data();
  a.ldc = conv ? m : n;
  a.c_is_mn = !conv;
  detail::Int8Weights w8;
  detail::Bf16Weights w16;
  if (kInt8)
    w8 = detail::Int8Weights::pack(w.data(), n, k, k, true, isa);
  else
    w16 = detail::Bf16Weights::pack(w.data(), n, k, k, true, isa);
  tbb::task_arena arena(1);
  arena.execute([&] {
    for (auto _ : state) {
      if (kInt8)
        detail::gemm_int8(a, w8, 1);
      else
        detail::gemm_bf16(a, w16, 1);
      benchmark::ClobberMemory();
    }
  });
  set_counters(state, m, n, k, kInt8 ? 1.0 : 2.0);
  state.SetLabel(std::string(kInt8 ? "int8 " : "bf16 ") + detail::lowp_isa_name(isa));
}

const std::vector<std::vector<int64_t>> kShapes = {
    {512, 512, 512, 0}, {1024, 1024, 1024, 0}, {1, 1024, 1024, 0},
    {16, 1024, 1024, 0}, {64, 1024, 1024, 0}, {3136, 64, 576, 1}};

void f32_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K", "conv"});
  for (const auto& s : kShapes) b->Args(s);
}

void lowp_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K", "conv", "variant"});
  for (const auto& s : kShapes) {
    for (int64_t v = 0; v < 4; ++v) {  // bf16: scalar, avx512, avx512_bf16, amx_bf16
      std::vector<int64_t> args = s;
      args.push_back(v);
      b->Args(args);
    }
  }
}

// One thread, CPU time (robust to preemption on a shared machine).
BENCHMARK(BM_F32Gemm)->Apply(f32_args);
BENCHMARK(BM_LowpGemm<false>)->Name("BM_Bf16Gemm")->Apply(lowp_args);
BENCHMARK(BM_LowpGemm<true>)->Name("BM_Int8Gemm")->Apply(lowp_args);

}  // namespace
}  // namespace braid::bench
