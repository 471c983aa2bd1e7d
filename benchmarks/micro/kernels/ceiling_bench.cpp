// The machine's ceilings: single-core f32 FMA peak, STREAM-like triad bandwidth (1 and 2
// threads) and single-core read bandwidth by working-set size (L1 .. memory). Kernel
// benchmarks print their results as a percentage of these.
#include <benchmark/benchmark.h>

#include <thread>
#include <vector>

#include "ceiling.h"

namespace braid::bench {
namespace {

void BM_PeakFmaPerCore(benchmark::State& state) {
  const int64_t iters = 100'000;
  for (auto _ : state) benchmark::DoNotOptimize(fma_loop(iters));
  state.counters["GFLOPS"] = benchmark::Counter(fma_round_flops() * static_cast<double>(iters) * 1e-9,
                                                benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_PeakFmaPerCore);  // CPU time: the loop never waits on memory

// Triad over 3 x 32 MiB (far past L2); arg = threads.
void BM_Triad(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const int64_t n = 8 << 20;
  std::vector<float> a(n, 0.0f), b(n, 1.0f), c(n, 2.0f);
  double bytes = 0;
  for (auto _ : state) {
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t)
      pool.emplace_back([&, t] {
        const int64_t lo = n * t / threads, hi = n * (t + 1) / threads;
        triad(a.data() + lo, b.data() + lo, c.data() + lo, 3.0f, hi - lo);
      });
    bytes += triad(a.data(), b.data(), c.data(), 3.0f, n / threads) * 1.0;
    for (auto& th : pool) th.join();
    bytes += 3.0 * sizeof(float) * static_cast<double>(n - n / threads);
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Triad)->Arg(1)->Arg(2)->UseRealTime();

// One core reading a working set of `KiB` over and over (read_gbps, the roofline of
// pct_roofline): 16-32 KiB in L1, 64-512 KiB in L2, 4-16 MiB in L3, 256 MiB from memory.
void BM_ReadBandwidth(benchmark::State& state) {
  const int64_t bytes = state.range(0) << 10;
  double gbps = 0;
  for (auto _ : state) gbps = read_gbps(bytes);
  state.counters["GB/s"] = gbps;
}
BENCHMARK(BM_ReadBandwidth)->ArgName("KiB")->Arg(16)->Arg(32)->Arg(64)->Arg(128)->Arg(256)->Arg(512)->Arg(4 << 10)->Arg(16 << 10)->Arg(256 << 10)
    ->Iterations(1);

}  // namespace
}  // namespace braid::bench
