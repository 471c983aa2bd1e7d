// Low-precision GEMM for layers with constant weights (MatMul/Gemm/Conv under a bf16 or
// int8 precision policy):
//   c(m, n) = alpha * sum_k x(m, k) * w(n, k) + beta * c_old(m, n) + bias[n], then ReLU
// with f32 activations x and f32 output c. The weights (N output channels x K) are
// converted once into a variant's packed layout:
//   bf16: weights rounded to bfloat16 (nearest even); activations rounded to bfloat16 per
//         block; products accumulated in f32 (AVX512_BF16 VDPBF16PS where the CPU has it,
//         else bf16 -> f32 widening + FMA).
//   int8: weights symmetric s8 per output channel (scale = max|w(n,:)| / 127);
//         activations quantized dynamically per row m to u8 with a zero point
//         (asymmetric, from that row's min/max); s32 accumulation (AVX512_VNNI VPDPBUSD
//         where present, else widening multiply-adds), then dequantized to f32.
// Each variant lives in its own translation unit with its own flags; lowp_*_isas() list
// what this CPU can run so that tests exercise every one (including the fallbacks).
//
//   Int8Weights w = Int8Weights::pack(weights, N, K, /*ldw=*/K, /*w_is_nk=*/true,
//                                     best_int8_isa());
//   LowpGemmArgs a;  a.m = M; a.n = N; a.k = K; a.x = x; a.ldx = K; a.c = y; a.ldc = N;
//   gemm_int8(a, w, ctx.max_threads);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace braid::detail {

enum class LowpIsa {
  kScalar,      // portable C++ (the reference every other variant is tested against)
  kAvx2,        // AVX2 + FMA
  kAvx512,      // AVX-512 F/BW/VL
  kAvx512Vnni,  // + AVX512_VNNI (int8 only)
  kAvx512Bf16,  // + AVX512_BF16 (bf16 only)
  kAmxBf16,     // + AMX-TILE and AMX-BF16 (bf16 only; the OS must grant the tile state)
};

const char* lowp_isa_name(LowpIsa isa) noexcept;

// The variants this CPU can run, in CPUID order: scalar first, the one with the newest
// instructions last (honours the BRAID_ISA cap of cpu_features()).
std::vector<LowpIsa> lowp_bf16_isas();
std::vector<LowpIsa> lowp_int8_isas();
// The variant new weights are packed for: int8 the last listed; bf16 the fastest measured
// (bf16_speed()), which need not be the last.
LowpIsa best_bf16_isa();
LowpIsa best_int8_isa();

// How the bf16 variants compare on this CPU. New instructions are not always faster:
// where VDPBF16PS retires one per two cycles (half the f32 FMA rate in multiply-adds) the
// AVX512_BF16 variant is slower than f32 and than the widening variant.
struct Bf16Speed {
  // bf16 counts as faster than f32 for compute (native()) from this speed-up on: it also
  // converts the activations per call, which the probe includes.
  static constexpr double kNativeSpeedup = 1.25;
  LowpIsa isa = LowpIsa::kScalar;  // the variant to use
  double vs_f32 = 0;               // f32 time / that variant's time on the probe GEMM
  bool measured = false;           // false: the CPUID order (one SIMD variant, or BRAID_LOWP_PROBE=0)
  bool native() const { return vs_f32 >= kNativeSpeedup; }
};
// Measured once per process (thread-safe; a few ms on the first call): every SIMD bf16
// variant and the f32 GEMM on the same compute-bound 64 x 256 x 256 GEMM, one thread,
// alternating rounds, best time of each. BRAID_LOWP_PROBE=0 (or no SIMD variant): the
// last listed variant, native exactly where it is AVX512_BF16.
const Bf16Speed& bf16_speed();
// The decision, from measured times (ns; <= 0 or inf: not measured): the fastest variant,
// its speed-up over f32. measured == false when nothing usable was given.
Bf16Speed pick_bf16(const std::vector<std::pair<LowpIsa, double>>& times, double f32_ns);

// One layer's weights in bfloat16, packed for one variant. Immutable after pack().
class Bf16Weights {
 public:
  // w(n, k) = w_is_nk ? w[n * ldw + k] : w[k * ldw + n]. Thread-safe.
  static Bf16Weights pack(const float* w, int64_t n, int64_t k, int64_t ldw, bool w_is_nk, LowpIsa isa);
  Bf16Weights();
  Bf16Weights(Bf16Weights&&) noexcept;
  Bf16Weights& operator=(Bf16Weights&&) noexcept;
  ~Bf16Weights();

  int64_t rows() const noexcept;    // N
  int64_t depth() const noexcept;   // K
  size_t bytes() const noexcept;    // memory held by the packed weights
  LowpIsa isa() const noexcept;
  bool empty() const noexcept;

  struct Impl;
  const Impl* impl() const noexcept { return impl_.get(); }

 private:
  std::unique_ptr<Impl> impl_;
};

// One layer's weights in int8 (symmetric, one scale per output channel n), packed for one
// variant. Immutable after pack().
class Int8Weights {
 public:
  // w(n, k) = w_is_nk ? w[n * ldw + k] : w[k * ldw + n]. Thread-safe.
  static Int8Weights pack(const float* w, int64_t n, int64_t k, int64_t ldw, bool w_is_nk, LowpIsa isa);
  Int8Weights();
  Int8Weights(Int8Weights&&) noexcept;
  Int8Weights& operator=(Int8Weights&&) noexcept;
  ~Int8Weights();

  int64_t rows() const noexcept;
  int64_t depth() const noexcept;
  size_t bytes() const noexcept;
  LowpIsa isa() const noexcept;
  bool empty() const noexcept;

  struct Impl;
  const Impl* impl() const noexcept { return impl_.get(); }

 private:
  std::unique_ptr<Impl> impl_;
};

struct LowpGemmArgs {
  int64_t m = 0, n = 0, k = 0;
  // x(m, k) = x_is_mk ? x[m * ldx + k] : x[k * ldx + m]  (false: e.g. Conv's C x HW input)
  const float* x = nullptr;
  int64_t ldx = 0;
  bool x_is_mk = true;
  // c(m, n) lives at c_is_mn ? c[m * ldc + n] : c[n * ldc + m]  (false: Conv's NCHW output)
  float* c = nullptr;
  int64_t ldc = 0;
  bool c_is_mn = true;
  float alpha = 1.0f;
  float beta = 0.0f;             // c_old is read only when beta != 0
  const float* bias = nullptr;   // n values, added after alpha/beta; may be null
  bool relu = false;
};

// Compute one GEMM with at most `max_threads` oneTBB tasks in the current arena (inline
// when small). `w` must have rows() == n and depth() == k. Thread-safe; allocation only
// for per-call activation scratch.
void gemm_bf16(const LowpGemmArgs& args, const Bf16Weights& w, int max_threads);
void gemm_int8(const LowpGemmArgs& args, const Int8Weights& w, int max_threads);

}  // namespace braid::detail
