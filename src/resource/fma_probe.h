// FMA probe: a register-only f32 fused-multiply-add loop that measures one core's peak
// GFLOP/s. One variant per ISA, each in its own translation unit compiled with that ISA's
// flags (-mavx512f -mfma / -mavx2 -mfma) and called only when CPUID says the CPU has it.
#pragma once

#include <cstdint>

namespace braid::detail {

// Runs `iterations` rounds and returns a value derived from the accumulators so that the
// loop cannot be optimised away. Each function documents its flops per iteration.
using FmaProbeFn = float (*)(int64_t iterations);

// 12 chains x 16 lanes x 2 flops = 384 flops per iteration.
float fma_probe_avx512(int64_t iterations);
inline constexpr double kFmaProbeAvx512FlopsPerIteration = 384;
// 12 chains x 8 lanes x 2 flops = 192 flops per iteration.
float fma_probe_avx2(int64_t iterations);
inline constexpr double kFmaProbeAvx2FlopsPerIteration = 192;
// 8 scalar chains x 2 flops = 16 flops per iteration (a multiply and an add when the
// build has no FMA).
float fma_probe_scalar(int64_t iterations);
inline constexpr double kFmaProbeScalarFlopsPerIteration = 16;

struct FmaProbe {
  FmaProbeFn fn = nullptr;
  double flops_per_iteration = 0;
  const char* isa = "";
};

// The best variant this CPU and this build support (CPUID via __builtin_cpu_supports).
// Thread-safe.
FmaProbe select_fma_probe();

}  // namespace braid::detail
