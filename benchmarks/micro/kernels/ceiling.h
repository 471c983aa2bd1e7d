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

// Sums n floats (n a multiple of 256) as four streams with 16 independent vector
// accumulators (AVX-512; AVX2 when AVX-512 is missing): read-only traffic at the load
// bandwidth of the level of the memory hierarchy that holds them.
float read_sum(const float* p, int64_t n);

// Single-thread read bandwidth in GB/s of a working set of `bytes` read over and over: from
// the cache level it fits in, else from memory. Best of 7 timings (CPU time) of >= 64 MiB
// read each; measured once per size (rounded up to 4 KiB) and cached. Thread-safe.
double read_gbps(int64_t bytes);

// Sets pct_roofline for a single-thread kernel: GFLOPS as a percent of what the roofline
// allows this core on it, min(FMA peak, flops per byte x read_gbps(working_set_bytes)),
// `bytes_per_iter` being its compulsory traffic. A batch-1 GEMV does 0.5 flop per byte of
// B, so the bandwidth of the cache holding B, not the FMA units, bounds it. The probe is a
// simple loop: a kernel with more streams in flight can beat it by ~10% (pct_roofline > 100).
void set_roofline_counter(benchmark::State& state, double flops_per_iter, double bytes_per_iter,
                          int64_t working_set_bytes);

// Sets the counters every kernel benchmark reports: GFLOPS, pct_peak (percent of
// peak_gflops_per_core() x threads), GBps and pct_stream (the compulsory traffic, every
// operand read once and the output written once, as a percent of stream_gbps()). A
// memory-bound kernel is judged by pct_stream; above 100 means its operands came from cache.
void set_ceiling_counters(benchmark::State& state, double flops_per_iter, double bytes_per_iter, int threads);

}  // namespace braid::bench
