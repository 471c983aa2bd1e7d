// bf16 rounding of activations, 16 at a time, for the AVX-512 bf16 variants: the same
// bits as the portable lowp_f32_to_bf16 (round to nearest even; NaN kept, made quiet; no
// flushing of subnormals, unlike VCVTNEPS2BF16). Unnamed namespace: one copy per TU.
#pragma once

#include <immintrin.h>

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

}  // namespace
}  // namespace braid::detail
