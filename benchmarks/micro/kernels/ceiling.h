// The machine's ceilings, measured in the same process as the kernel benchmarks so every
// kernel figure can be printed as a percentage of them: single-core f32 FMA peak (a
// register-only loop) and STREAM-like triad bandwidth.
#pragma once

#include <cstdint>

#include <benchmark/benchmark.h>

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

// Single-thread STREAM-like triad bandwidth in GB/s (3 x 32 MiB, wall time, best of 5),
// measured once (about 0.3 s) and cached. Thread-safe.
double stream_gbps();

// Sets the counters every kernel benchmark reports: GFLOPS, pct_peak (percent of
// peak_gflops_per_core() x threads), GBps and pct_stream (the compulsory traffic, every
// operand read once and the output written once, as a percent of stream_gbps()). A
// memory-bound kernel is judged by pct_stream; above 100 means its operands came from cache.
void set_ceiling_counters(benchmark::State& state, double flops_per_iter, double bytes_per_iter, int threads);

}  // namespace braid::bench
