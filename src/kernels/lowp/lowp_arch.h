// One ISA variant of the low-precision GEMM: its packed layouts, block sizes and the
// routines compiled with that ISA's flags (lowp_scalar.cpp, lowp_int8_*.cpp,
// lowp_bf16_*.cpp). The ISA-neutral driver in lowp_gemm.cpp packs, quantizes, blocks and
// parallelises through these pointers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/lowp/lowp_gemm.h"

namespace braid::detail {

// Packed weights (both dtypes): panels of `nr` output channels; panel p holds channels
// [p*nr, p*nr+nr) for every k (padded to `kp`, zero past k and past n) as kp/kgroup
// groups of nr*kgroup elements. Within a group, channel c and k offset t sit at
// c*kgroup + t, except with `interleave16` (kgroup 1, nr 32): channel c at
// 2*(c%16) + c/16, so one 32-bit lane holds channels c and c+16.
struct LowpLayout {
  int nr = 16;
  int kgroup = 1;
  bool interleave16 = false;
};

// One task's share of the product: rows [0, mc) x packed channels [0, nc) (nc a multiple
// of nr) x k [0, kc) (a multiple of kgroup), every argument already offset to the block.
// Activation k-group g of row r starts at a + r * a_row + g * a_group bytes (its kgroup
// values are contiguous): row-major scratch has a_row = kp * act_bytes, k-group-major
// scratch (kxm_group_major, for x given K x M) has a_row = kgroup * act_bytes and
// a_group = mc * a_row.
// acc (mc x nc, leading dimension ldacc; s32 for int8, f32 for bf16) is overwritten when
// `first`, else accumulated into: the sum over k is carried in the accumulator's own
// type, so K blocking never changes a result.
struct LowpBlock {
  int64_t mc = 0, nc = 0, kc = 0;
  const void* a = nullptr;
  int64_t a_row = 0, a_group = 0;  // bytes
  const void* w = nullptr;  // packed weights: panel j at w + j * wstride elements
  int64_t wstride = 0;
  void* acc = nullptr;
  int64_t ldacc = 0;
  bool first = true;
};

// Turns finished accumulators (rows [m0, m0+mc) x channels [n0, n0+nc)) into c:
//   int8: r = float(acc - zp[i] * wsum[n]) * wscale[n] * rscale[i]   (rscale = alpha*sa)
// (i = m - m0: rscale and zp are the block's, as convert() wrote them)
//   bf16: r = acc * alpha
// then r += beta * c_old (beta != 0), r += bias[n], ReLU.
struct LowpEpilogue {
  const void* acc = nullptr;
  int64_t ldacc = 0;
  int64_t m0 = 0, n0 = 0, mc = 0, nc = 0;
  float* c = nullptr;
  int64_t ldc = 0;
  bool c_is_mn = true;
  float alpha = 1.0f, beta = 0.0f;
  const float* bias = nullptr;
  bool relu = false;
  const float* rscale = nullptr;   // int8: per row of the block
  const int32_t* zp = nullptr;     // int8: per row of the block
  const float* wscale = nullptr;   // int8: per channel n (absolute n)
  const int32_t* wsum = nullptr;   // int8: per channel n
};

struct LowpArch {
  LowpIsa isa;
  LowpLayout layout;
  int weight_bytes;      // int8: 1 (s8) or 2 (s16); bf16: 2
  int act_bytes;         // int8: 1 (u8) or 2 (u16); bf16: 4 (bf16-rounded f32) or 2 (bf16)
  int mr;                // rows of the micro-tile (mc is a multiple of it)
  int64_t kc, mc, nc;    // cache blocks (kc a multiple of kgroup, nc of nr)
  void (*macro)(const LowpBlock& blk);
  void (*epilogue)(const LowpEpilogue& ep);
  // Activation rows [m0, m1) (one M block) into the task's scratch, row m0 first
  // (formats and formulas in lowp_pack.h); rscale and zp are written by int8 only.
  void (*convert)(const LowpGemmArgs& args, int64_t kp, int64_t m0, int64_t m1, std::byte* dst,
                  float* rscale, int32_t* zp);
  // convert() writes x given K x M (x_is_mk false) k-group-major: group g of row m at
  // dst + (g * (m1 - m0) + m - m0) * kgroup elements; row-major otherwise.
  bool kxm_group_major = false;
};

// The variants; SIMD ones exist only in x86-64 builds and are called only when
// cpu_features() reports the ISA.
const LowpArch& lowp_int8_arch_scalar();
const LowpArch& lowp_int8_arch_avx512();
const LowpArch& lowp_int8_arch_vnni();
const LowpArch& lowp_bf16_arch_scalar();
const LowpArch& lowp_bf16_arch_avx512();
const LowpArch& lowp_bf16_arch_avx512bf16();
const LowpArch& lowp_bf16_arch_amx();
// Whether the OS lets this process use the AMX tiles (asked once; x86-64 builds only).
bool lowp_amx_ready();

// The arch for an ISA; an ISA this CPU (or build) lacks gets the best one it has.
const LowpArch& lowp_int8_arch(LowpIsa isa);
const LowpArch& lowp_bf16_arch(LowpIsa isa);

}  // namespace braid::detail
