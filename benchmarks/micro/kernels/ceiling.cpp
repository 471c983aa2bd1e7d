#include "ceiling.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "kernels/cpu_features.h"

namespace braid::bench {

float fma_loop_avx512(int64_t iterations);
float fma_loop_avx2(int64_t iterations);
float read_sum_avx512(const float* p, int64_t n);
float read_sum_avx2(const float* p, int64_t n);

namespace {
bool use_avx512() {
  const auto& f = detail::cpu_features();
  return f.has_avx512() && f.fma;
}
}  // namespace

float fma_loop(int64_t iterations) {
  return use_avx512() ? fma_loop_avx512(iterations) : fma_loop_avx2(iterations);
}

float read_sum(const float* p, int64_t n) { return use_avx512() ? read_sum_avx512(p, n) : read_sum_avx2(p, n); }

double fma_round_flops() { return use_avx512() ? 24.0 * 16 * 2 : 12.0 * 8 * 2; }

namespace {
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
}  // namespace

double peak_gflops_per_core() {
  // Thread CPU time, like the single-thread kernel benchmarks: on a shared machine wall
  // time would count the time other processes held the core.
  static const double peak = [] {
    volatile float sink = fma_loop(1 << 16);  // warm up (frequency, caches)
    double best = 0;
    for (int rep = 0; rep < 10; ++rep) {
      const int64_t iters = 1'000'000;
      const double t0 = thread_cpu_seconds();
      sink = fma_loop(iters);
      const double s = thread_cpu_seconds() - t0;
      const double gflops = fma_round_flops() * static_cast<double>(iters) / s * 1e-9;
      if (gflops > best) best = gflops;
    }
    (void)sink;
    return best;
  }();
  return peak;
}

double triad(float* a, const float* b, const float* c, float s, int64_t n) {
  for (int64_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
  return 3.0 * sizeof(float) * static_cast<double>(n);
}

double stream_gbps() {
  static const double gbps = [] {
    const int64_t n = 8 << 20;
    std::vector<float> a(n, 0.0f), b(n, 1.0f), c(n, 2.0f);
    double best = 0;
    for (int rep = 0; rep < 6; ++rep) {  // the first touches the pages
      const auto t0 = std::chrono::steady_clock::now();
      const double bytes = triad(a.data(), b.data(), c.data(), 3.0f, n);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      benchmark::DoNotOptimize(a.data());
      if (rep > 0 && bytes / s * 1e-9 > best) best = bytes / s * 1e-9;
    }
    return best;
  }();
  return gbps;
}

double read_gbps(int64_t bytes) {
  static std::mutex mu;
  static std::map<int64_t, double> measured;
  const int64_t unit = 4 << 10;
  const int64_t size = std::max<int64_t>(1, (bytes + unit - 1) / unit) * unit;
  std::lock_guard lock(mu);
  if (auto it = measured.find(size); it != measured.end()) return it->second;
  const int64_t n = size / static_cast<int64_t>(sizeof(float));
  std::unique_ptr<float, decltype(&std::free)> buf(
      static_cast<float*>(std::aligned_alloc(64, static_cast<size_t>(size))), &std::free);
  std::fill_n(buf.get(), n, 1.0f);
  const int64_t passes = std::max<int64_t>(1, (int64_t{64} << 20) / size);
  volatile float sink = read_sum(buf.get(), n);  // warm: the pages, the caches
  double best = 0;
  for (int rep = 0; rep < 7; ++rep) {
    const double t0 = thread_cpu_seconds();
    float s = 0;
    for (int64_t i = 0; i < passes; ++i) s += read_sum(buf.get(), n);
    const double sec = thread_cpu_seconds() - t0;
    sink = s;
    best = std::max(best, static_cast<double>(size) * static_cast<double>(passes) / sec * 1e-9);
  }
  (void)sink;
  measured[size] = best;
  return best;
}

void set_roofline_counter(benchmark::State& state, double flops_per_iter, double bytes_per_iter,
                          int64_t working_set_bytes) {
  const double iters = static_cast<double>(state.iterations());
  const double roof = std::min(peak_gflops_per_core(), flops_per_iter / bytes_per_iter * read_gbps(working_set_bytes));
  state.counters["pct_roofline"] =
      benchmark::Counter(flops_per_iter * iters * 1e-9 * 100.0 / roof, benchmark::Counter::kIsRate);
}

void set_ceiling_counters(benchmark::State& state, double flops_per_iter, double bytes_per_iter, int threads) {
  const double iters = static_cast<double>(state.iterations());
  const double gflop = flops_per_iter * iters * 1e-9, gb = bytes_per_iter * iters * 1e-9;
  state.counters["GFLOPS"] = benchmark::Counter(gflop, benchmark::Counter::kIsRate);
  state.counters["pct_peak"] =
      benchmark::Counter(gflop * 100.0 / (peak_gflops_per_core() * threads), benchmark::Counter::kIsRate);
  state.counters["GBps"] = benchmark::Counter(gb, benchmark::Counter::kIsRate);
  state.counters["pct_stream"] = benchmark::Counter(gb * 100.0 / stream_gbps(), benchmark::Counter::kIsRate);
}

}  // namespace braid::bench
