// The register-only FMA loops behind peak_gflops_per_core(), one per ISA, each compiled
// with its own flags (see bench.cmake) and called only when the CPU has the ISA.
#include <immintrin.h>

#include <cstdint>

namespace braid::bench {

float fma_loop_avx512(int64_t iterations) {
  // 24 independent chains: enough to cover 4-cycle latency on two FMA ports.
  __m512 acc[24];
  for (int i = 0; i < 24; ++i) acc[i] = _mm512_set1_ps(1.0f + 0.01f * static_cast<float>(i));
  const __m512 m = _mm512_set1_ps(0.9999999f);
  const __m512 c = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 24
    for (int i = 0; i < 24; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, c);
  }
  __m512 s = acc[0];
  for (int i = 1; i < 24; ++i) s = _mm512_add_ps(s, acc[i]);
  return _mm512_reduce_add_ps(s);
}

// The read-bandwidth probe behind read_gbps(): four streams (the buffer's quarters) at once,
// 16 independent accumulators, one aligned 16-float load each per step.
float read_sum_avx512(const float* p, int64_t n) {
  __m512 acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_setzero_ps();
  const int64_t q = n / 4;
  for (int64_t j = 0; j < q; j += 64) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) acc[i] = _mm512_add_ps(acc[i], _mm512_load_ps(p + (i / 4) * q + j + 16 * (i % 4)));
  }
  __m512 s = acc[0];
  for (int i = 1; i < 16; ++i) s = _mm512_add_ps(s, acc[i]);
  return _mm512_reduce_add_ps(s);
}

}  // namespace braid::bench
