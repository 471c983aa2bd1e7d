// The AVX-512 micro-kernel of every variant whose instruction takes a 32-bit lane of
// several k at once; the variants differ only in that one step (`Dot`):
//   int8 VNNI:    u8 activations x s8 weights, 4 k per lane, VPDPBUSD;
//   int8 AVX-512: the same values widened to 16 bits (u16 x s16), 2 k per lane, VPMADDWD
//                 then VPADDD (exact: |255 * 127 * 2| fits in s32; VPMADDUBSW would
//                 saturate);
//   AVX512_BF16:  bf16 pairs, VDPBF16PS into f32 accumulators (kept as their bits here).
// A k-group is 4 bytes of one activation row (broadcast) against 128 bytes of a
// 32-channel weight panel (two zmm); the int8 s32 sums are exactly the scalar variant's.
// Included by one translation unit per variant, compiled with its flags; the unnamed
// namespace keeps the instantiations apart.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/lowp/lowp_arch.h"

namespace braid::detail {
namespace {

constexpr int kDotNr = 32;
constexpr int64_t kDotGroupBytes = 128;  // one k-group of one panel

// Panels walked at once by a row block of M rows (accumulators = M * 2 * NP <= 28), so
// short blocks (batch-1 inference) still have >= 8 independent chains.
constexpr int dot_panels_for_rows(int m) { return m <= 2 ? 4 : m == 3 ? 3 : m <= 6 ? 2 : 1; }

inline __m512i broadcast_group(const std::byte* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return _mm512_set1_epi32(v);
}

// acc[M x NP*32] (+)= activation rows * NP panels over blk.kc / Dot::kGroup k-groups.
template <class Dot, int M, int NP>
inline void dot_tile(const LowpBlock& blk, const std::byte* a, const std::byte* w,
                      int64_t wstride_bytes, int32_t* acc) {
  constexpr int V = 2 * NP;
  const int64_t groups = blk.kc / Dot::kGroup;
  __m512i c[M][V];
#pragma GCC unroll 14
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v)
      c[i][v] = blk.first ? _mm512_setzero_si512() : _mm512_loadu_si512(acc + i * blk.ldacc + 16 * v);  // 0 = +0.0f

  for (int64_t g = 0; g < groups; ++g) {
    __m512i b[V];
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v)
      b[v] = _mm512_load_si512(w + (v / 2) * wstride_bytes + g * kDotGroupBytes + (v % 2) * 64);
#pragma GCC unroll 14
    for (int i = 0; i < M; ++i) {
      const __m512i av = broadcast_group(a + i * blk.a_row + g * blk.a_group);
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) c[i][v] = Dot::step(c[i][v], av, b[v]);
    }
  }
#pragma GCC unroll 14
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) _mm512_storeu_si512(acc + i * blk.ldacc + 16 * v, c[i][v]);
}

template <class Dot, int M>
inline void dot_row_block(const LowpBlock& blk, int64_t row) {
  constexpr int NP = dot_panels_for_rows(M);
  const int64_t wstride_bytes = blk.wstride * Dot::kWeightBytes;
  const auto* a = static_cast<const std::byte*>(blk.a) + row * blk.a_row;
  const auto* w = static_cast<const std::byte*>(blk.w);
  int32_t* acc = static_cast<int32_t*>(blk.acc) + row * blk.ldacc;
  const int64_t panels = blk.nc / kDotNr;
  int64_t j = 0;
  for (; j + NP <= panels; j += NP)
    dot_tile<Dot, M, NP>(blk, a, w + j * wstride_bytes, wstride_bytes, acc + j * kDotNr);
  const int64_t left = panels - j;
  w += j * wstride_bytes;
  acc += j * kDotNr;
  if constexpr (NP >= 4) {
    if (left == 3) dot_tile<Dot, M, 3>(blk, a, w, wstride_bytes, acc);
  }
  if constexpr (NP >= 3) {
    if (left == 2) dot_tile<Dot, M, 2>(blk, a, w, wstride_bytes, acc);
  }
  if constexpr (NP >= 2) {
    if (left == 1) dot_tile<Dot, M, 1>(blk, a, w, wstride_bytes, acc);
  }
}

template <class Dot>
void dot_macro(const LowpBlock& blk) {
  constexpr int64_t kMr = Dot::kMr;
  for (int64_t ir = 0; ir < blk.mc; ir += kMr) {
    const int64_t m = blk.mc - ir < kMr ? blk.mc - ir : kMr;
    switch (m) {
      case 1: dot_row_block<Dot, 1>(blk, ir); break;
      case 2: dot_row_block<Dot, 2>(blk, ir); break;
      case 3: dot_row_block<Dot, 3>(blk, ir); break;
      case 4: dot_row_block<Dot, 4>(blk, ir); break;
      case 5: dot_row_block<Dot, 5>(blk, ir); break;
      case 6: dot_row_block<Dot, 6>(blk, ir); break;
      case 7: dot_row_block<Dot, 7>(blk, ir); break;
      case 8: dot_row_block<Dot, 8>(blk, ir); break;
      case 9: dot_row_block<Dot, 9>(blk, ir); break;
      case 10: dot_row_block<Dot, 10>(blk, ir); break;
      case 11: dot_row_block<Dot, 11>(blk, ir); break;
      case 12: dot_row_block<Dot, 12>(blk, ir); break;
      case 13: if constexpr (kMr >= 13) dot_row_block<Dot, 13>(blk, ir); break;
      default: if constexpr (kMr >= 14) dot_row_block<Dot, 14>(blk, ir); break;
    }
  }
}

}  // namespace
}  // namespace braid::detail
