#include "resource/fma_probe.h"

namespace braid::detail {

float fma_probe_scalar(int64_t iterations) {
  const float m = 0.9999999f;
  const float c = 1e-7f;
  float a0 = 1.0f, a1 = 1.1f, a2 = 1.2f, a3 = 1.3f, a4 = 1.4f, a5 = 1.5f, a6 = 1.6f, a7 = 1.7f;
  for (int64_t i = 0; i < iterations; ++i) {
    a0 = a0 * m + c;
    a1 = a1 * m + c;
    a2 = a2 * m + c;
    a3 = a3 * m + c;
    a4 = a4 * m + c;
    a5 = a5 * m + c;
    a6 = a6 * m + c;
    a7 = a7 * m + c;
  }
  return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

FmaProbe select_fma_probe() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
#if defined(BRAID_HAVE_AVX512_PROBE)
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"))
    return {fma_probe_avx512, kFmaProbeAvx512FlopsPerIteration, "avx512"};
#endif
#if defined(BRAID_HAVE_AVX2_PROBE)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return {fma_probe_avx2, kFmaProbeAvx2FlopsPerIteration, "avx2"};
#endif
#endif
  return {fma_probe_scalar, kFmaProbeScalarFlopsPerIteration, "scalar"};
}

}  // namespace braid::detail
