// AVX2+FMA version of the register-only FMA loop (for CPUs without AVX-512).
#include <immintrin.h>

#include <cstdint>

namespace braid::bench {

float fma_loop_avx2(int64_t iterations) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(1.0f + 0.01f * static_cast<float>(i));
  const __m256 m = _mm256_set1_ps(0.9999999f);
  const __m256 c = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, c);
  }
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  alignas(32) float out[8];
  _mm256_store_ps(out, s);
  return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

// The read-bandwidth probe behind read_gbps(): four streams (the buffer's quarters) at once,
// 16 independent accumulators, one aligned 8-float load each per step.
float read_sum_avx2(const float* p, int64_t n) {
  __m256 acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm256_setzero_ps();
  const int64_t q = n / 4;
  for (int64_t j = 0; j < q; j += 32) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) acc[i] = _mm256_add_ps(acc[i], _mm256_load_ps(p + (i / 4) * q + j + 8 * (i % 4)));
  }
  __m256 s = acc[0];
  for (int i = 1; i < 16; ++i) s = _mm256_add_ps(s, acc[i]);
  alignas(32) float out[8];
  _mm256_store_ps(out, s);
  return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

}  // namespace braid::bench
