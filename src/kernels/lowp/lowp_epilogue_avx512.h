// The epilogue of lowp_epilogue.h, 16 outputs at a time, for the AVX-512 variants: the
// same operations in the same order (s32 zero-point correction, one conversion, then
// multiply by wscale and rscale, add beta * c_old, add the bias, max with 0 keeping
// NaN), so it rounds exactly like the portable one. c given M x N walks rows (contiguous
// accumulators and c); c given N x M walks columns of 16 rows (accumulators gathered).
// Included by the AVX-512 translation units (unnamed namespace).
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/lowp/lowp_arch.h"

namespace braid::detail {
namespace {

inline __mmask16 epilogue_mask(int64_t lanes) {
  return lanes >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << lanes) - 1u);
}

// r += beta * c_old (beta != 0), r += bias, ReLU (max(0, r) returns r when r is NaN or
// -0, like r < 0 ? 0 : r), then the masked store to c.
inline void finish16(__m512 r, const LowpEpilogue& ep, float* c, __mmask16 mask, __m512 bias) {
  if (ep.beta != 0.0f) r = _mm512_add_ps(r, _mm512_mul_ps(_mm512_set1_ps(ep.beta), _mm512_maskz_loadu_ps(mask, c)));
  if (ep.bias) r = _mm512_add_ps(r, bias);
  if (ep.relu) r = _mm512_max_ps(_mm512_setzero_ps(), r);
  _mm512_mask_storeu_ps(c, mask, r);
}

// value(i, n) of 16 outputs: acc, zp and rscale per lane or broadcast, wsum/wscale likewise.
inline __m512 int8_value16(__m512i acc, __m512i zp, __m512i wsum, __m512 wscale, __m512 rscale) {
  const __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc, _mm512_mullo_epi32(zp, wsum)));
  return _mm512_mul_ps(_mm512_mul_ps(v, wscale), rscale);
}

template <bool kInt8>
void lowp_epilogue_avx512(const LowpEpilogue& args) {
  const LowpEpilogue ep = args;  // a local copy: stores to c cannot alias its fields
  if (ep.c_is_mn) {
    for (int64_t i = 0; i < ep.mc; ++i) {
      float* crow = ep.c + (ep.m0 + i) * ep.ldc + ep.n0;
      for (int64_t j = 0; j < ep.nc; j += 16) {
        const __mmask16 mask = epilogue_mask(ep.nc - j);
        const int64_t n = ep.n0 + j;
        __m512 r;
        if constexpr (kInt8) {
          const __m512i acc = _mm512_maskz_loadu_epi32(mask, static_cast<const int32_t*>(ep.acc) + i * ep.ldacc + j);
          r = int8_value16(acc, _mm512_set1_epi32(ep.zp[i]), _mm512_maskz_loadu_epi32(mask, ep.wsum + n),
                           _mm512_maskz_loadu_ps(mask, ep.wscale + n), _mm512_set1_ps(ep.rscale[i]));
        } else {
          const __m512 acc = _mm512_maskz_loadu_ps(mask, static_cast<const float*>(ep.acc) + i * ep.ldacc + j);
          r = _mm512_mul_ps(acc, _mm512_set1_ps(ep.alpha));
        }
        const __m512 bias = ep.bias ? _mm512_maskz_loadu_ps(mask, ep.bias + n) : _mm512_setzero_ps();
        finish16(r, ep, crow + j, mask, bias);
      }
    }
    return;
  }
  const __m512i rows = _mm512_mullo_epi32(
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(static_cast<int>(ep.ldacc)));
  for (int64_t j = 0; j < ep.nc; ++j) {
    const int64_t n = ep.n0 + j;
    float* ccol = ep.c + n * ep.ldc + ep.m0;
    const __m512 bias = ep.bias ? _mm512_set1_ps(ep.bias[n]) : _mm512_setzero_ps();
    for (int64_t i = 0; i < ep.mc; i += 16) {
      const __mmask16 mask = epilogue_mask(ep.mc - i);
      __m512 r;
      if constexpr (kInt8) {
        const int32_t* base = static_cast<const int32_t*>(ep.acc) + i * ep.ldacc + j;
        const __m512i acc = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mask, rows, base, 4);
        r = int8_value16(acc, _mm512_maskz_loadu_epi32(mask, ep.zp + i), _mm512_set1_epi32(ep.wsum[n]),
                         _mm512_set1_ps(ep.wscale[n]), _mm512_maskz_loadu_ps(mask, ep.rscale + i));
      } else {
        const float* base = static_cast<const float*>(ep.acc) + i * ep.ldacc + j;
        const __m512 acc = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, rows, base, 4);
        r = _mm512_mul_ps(acc, _mm512_set1_ps(ep.alpha));
      }
      finish16(r, ep, ccol + i, mask, bias);
    }
  }
}

}  // namespace
}  // namespace braid::detail
