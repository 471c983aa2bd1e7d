// The machine's ceilings, measured in the same process as the kernel benchmarks so every
// kernel figure can be printed as a percentage of them: single-core f32 FMA peak (a
// register-only loop) and STREAM-like triad bandwidth.
#pragma once

#include <cstdint>

namespace braid::bench {

// Runs `iterations` rounds of 24 independent 16-lane FMAs (AVX-512; AVX2 8-lane when
// AVX-512 is missing) and returns a value that depends on every result. Flops per round:
// fma_round_flops().
float fma_loop(int64_t iterations);
double fma_round_flops();

// Peak single-core f32 GFLOP/s per CPU-second, best of 10 runs of the FMA loop, measured
// once (about 0.1 s) and cached. Thread-safe.
double peak_gflops_per_core();

// a[i] = b[i] + s * c[i] over n floats; returns bytes moved (3 streams, no write-allocate).
double triad(float* a, const float* b, const float* c, float s, int64_t n);

}  // namespace braid::bench
