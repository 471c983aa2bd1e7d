// GEMM core throughput: square 256^3 .. 2048^3 and the skinny shapes of batch-1 inference
// (M = 1, 8, 64 against N = K = 512 .. 2048), with B prepacked (constant weights) or
// packed per call, on 1 and 2 threads; Eigen's single-thread GEMM for reference.
// Counters: GFLOPS, pct_peak, GBps, pct_stream (see set_ceiling_counters in ceiling.h) and,
// on one thread, pct_roofline (set_roofline_counter).
#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include <random>
#include <vector>

#include "ceiling.h"
#include "eigen_ref.h"
#include "kernels/gemm/gemm.h"

namespace braid::bench {
namespace {

std::vector<float> random_floats(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = d(rng);
  return v;
}

// One thread also gets pct_roofline: the operands (A, B, C) are the working set that every
// iteration reads again, from the cache level they fit in.
void set_counters(benchmark::State& state, int64_t m, int64_t n, int64_t k, int threads) {
  const double flops = 2.0 * static_cast<double>(m * n * k), bytes = 4.0 * static_cast<double>(m * k + k * n + m * n);
  set_ceiling_counters(state, flops, bytes, threads);
  if (threads == 1) set_roofline_counter(state, flops, bytes, static_cast<int64_t>(bytes));
}

// Args: M, N, K, threads, prepacked B (1) or packed per call (0).
void BM_Gemm(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const int threads = static_cast<int>(state.range(3));
  const bool prepacked = state.range(4) != 0;
  peak_gflops_per_core();  // measure the ceilings before timing
  stream_gbps();
  std::vector<float> a = random_floats(m * k, 1), b = random_floats(k * n, 2), c(static_cast<size_t>(m * n));
  detail::Gemm gemm;
  detail::PackedB packed;
  detail::GemmArgs g;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = a.data();
  g.lda = k;
  if (prepacked) {
    packed = gemm.pack_b(false, k, n, b.data(), n);
    g.packed_b = &packed;
  } else {
    g.b = b.data();
    g.ldb = n;
  }
  g.c = c.data();
  g.ldc = n;
  tbb::task_arena arena(threads);
  arena.execute([&] {
    for (auto _ : state) {
      gemm.run(g, threads);
      benchmark::ClobberMemory();
    }
  });
  set_counters(state, m, n, k, threads);
  state.SetLabel(gemm.isa_name());
}

void BM_EigenGemm(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  peak_gflops_per_core();
  stream_gbps();
  std::vector<float> a = random_floats(m * k, 1), b = random_floats(k * n, 2), c(static_cast<size_t>(m * n));
  for (auto _ : state) {
    eigen_gemm(m, n, k, a.data(), b.data(), c.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, m, n, k, 1);
}

template <int Threads>
void square_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K", "threads", "prepacked"});
  for (int64_t s : {256, 512, 1024, 2048}) b->Args({s, s, s, Threads, 1});
  if (Threads == 1)
    for (int64_t s : {512, 1024}) b->Args({s, s, s, 1, 0});
}

template <int Threads>
void skinny_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K", "threads", "prepacked"});
  for (int64_t m : {1, 8, 64})
    for (int64_t s : {512, 1024, 2048}) b->Args({m, s, s, Threads, 1});
  // Batch-1 shapes of the bundled models: wide_mlp and the inception/resnet classifiers,
  // the transformer's projections (S = 128 rows).
  b->Args({1, 512, 512, Threads, 1});
  b->Args({1, 1000, 1024, Threads, 1});
  b->Args({1, 1000, 512, Threads, 1});
  b->Args({128, 64, 256, Threads, 1});
  b->Args({128, 1024, 256, Threads, 1});
  b->Args({128, 256, 1024, Threads, 1});
}

// One thread: CPU time (robust to preemption on a shared machine); two threads: wall time.
BENCHMARK(BM_Gemm)->Name("BM_GemmSquare")->Apply(square_args<1>);
BENCHMARK(BM_Gemm)->Name("BM_GemmSquare")->Apply(square_args<2>)->UseRealTime();
BENCHMARK(BM_Gemm)->Name("BM_GemmSkinny")->Apply(skinny_args<1>);
BENCHMARK(BM_Gemm)->Name("BM_GemmSkinny")->Apply(skinny_args<2>)->UseRealTime();
BENCHMARK(BM_EigenGemm)->ArgNames({"M", "N", "K"})->Args({256, 256, 256})->Args({512, 512, 512})
    ->Args({1024, 1024, 1024})->Args({1, 1024, 1024})->Args({8, 1024, 1024})->Args({64, 1024, 1024});

}  // namespace
}  // namespace braid::bench
