#include "ceiling.h"

#include <time.h>

#include "kernels/cpu_features.h"

namespace braid::bench {

float fma_loop_avx512(int64_t iterations);
float fma_loop_avx2(int64_t iterations);

namespace {
bool use_avx512() {
  const auto& f = detail::cpu_features();
  return f.has_avx512() && f.fma;
}
}  // namespace

float fma_loop(int64_t iterations) {
  return use_avx512() ? fma_loop_avx512(iterations) : fma_loop_avx2(iterations);
}

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

}  // namespace braid::bench
