// bf16 rounding of activations, 16 at a time, for the AVX-512 bf16 variants: the same
// bits as the portable lowp_f32_to_bf16 (round to nearest even; NaN kept, made quiet; no
// flushing of subnormals, unlike VCVTNEPS2BF16). Unnamed namespace: one copy per TU.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/lowp/lowp_gemm.h"

namespace braid::detail {
namespace {

// lowp_f32_to_bf16 then back to f32, 16 at a time: round to nearest even by adding
// 0x7FFF plus the lowest kept bit; a NaN keeps its top bits and is made quiet.
inline __m512 round_bf16(__m512 v) {
  const __m512i b = _mm512_castps_si512(v);
  const __m512i high = _mm512_set1_epi32(static_cast<int>(0xFFFF0000u));
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
  __m512i r = _mm512_add_epi32(b, _mm512_add_epi32(_mm512_set1_epi32(0x7FFF), lsb));
  r = _mm512_and_si512(r, high);
  const __m512i quiet = _mm512_or_si512(_mm512_and_si512(b, high), _mm512_set1_epi32(0x00400000));
  r = _mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), quiet);
  return _mm512_castsi512_ps(r);
}

// The first n of 16 lanes (none for n <= 0).
inline __mmask16 first_lanes(int64_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n > 0 ? n : 0)) - 1u);
}

// 16 activations rounded to bf16, in the low 16 bits of each 32-bit lane.
inline __m512i bf16_bits(__m512 v) { return _mm512_srli_epi32(_mm512_castps_si512(round_bf16(v)), 16); }

// Rows [m0, m1) of x given M x K rounded to bf16, as row-major rows of kp values (zero past
// k), row m0 at dst: T = uint16_t stores the bf16 bits, T = float the rounded f32.
template <class T>
inline void bf16_rows(const LowpGemmArgs& a, int64_t kp, int64_t m0, int64_t m1, T* dst) {
  for (int64_t m = m0; m < m1; ++m) {
    const float* x = a.x + m * a.ldx;
    T* row = dst + (m - m0) * kp;
    for (int64_t k = 0; k < a.k; k += 16) {
      const __mmask16 mask = first_lanes(a.k - k);
      const __m512 v = _mm512_maskz_loadu_ps(mask, x + k);
      if constexpr (sizeof(T) == 2) _mm512_mask_cvtepi32_storeu_epi16(row + k, mask, bf16_bits(v));
      else _mm512_mask_storeu_ps(row + k, mask, round_bf16(v));
    }
    for (int64_t k = a.k; k < kp; ++k) row[k] = T{0};
  }
}

}  // namespace
}  // namespace braid::detail
