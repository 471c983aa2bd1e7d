// AVX-512 activation quantization for the int8 variants (the formulas of lowp_pack.h,
// 16 values at a time). Bit-identical to the portable quantizer: min/max are exact, the
// scale and zero point come from the same compiled lowp_row_quant(), x * inv is one
// rounding either way, and VCVTPS2DQ rounds to nearest even like the portable magic-number
// rounding. Included by the int8 AVX-512 translation units (unnamed namespace).
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/lowp/lowp_gemm.h"
#include "kernels/lowp/lowp_pack.h"

namespace braid::detail {
namespace {

inline __mmask16 quant_mask(int64_t lanes) {
  return lanes >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << lanes) - 1u);
}

// 16 quantized values (as s32) of x * inv with per-lane (or broadcast) zp, clamped to
// [-zp, 255 - zp] before rounding; NaN -> 255.
inline __m512i quantize16(__m512 x, __m512 inv, __m512 lo, __m512 hi, __m512i zp) {
  __m512 t = _mm512_mul_ps(x, inv);
  const __mmask16 nan = _mm512_cmp_ps_mask(t, t, _CMP_UNORD_Q);
  t = _mm512_max_ps(t, lo);
  t = _mm512_min_ps(t, hi);
  t = _mm512_mask_mov_ps(t, nan, hi);
  return _mm512_add_epi32(_mm512_cvtps_epi32(t), zp);
}

template <class T>
inline void store_quantized(T* dst, __mmask16 mask, __m512i q) {
  if constexpr (sizeof(T) == 1)
    _mm512_mask_cvtepi32_storeu_epi8(dst, mask, q);
  else
    _mm512_mask_cvtepi32_storeu_epi16(dst, mask, q);
}

template <class T>
void quantize_rows_avx512(const LowpGemmArgs& a, int64_t kp, int64_t m0, int64_t m1, std::byte* out,
                          float* rscale, int32_t* zp) {
  T* dst = reinterpret_cast<T*>(out);
  const __m512 zero = _mm512_setzero_ps();
  if (a.x_is_mk) {
    for (int64_t m = m0; m < m1; ++m) {
      const float* x = a.x + m * a.ldx;
      __m512 vlo = zero, vhi = zero;
      for (int64_t k = 0; k < a.k; k += 16) {
        const __m512 v = _mm512_maskz_loadu_ps(quant_mask(a.k - k), x + k);  // 0: neutral
        vlo = _mm512_min_ps(v, vlo);  // a NaN in v yields vlo: NaN is ignored, as portably
        vhi = _mm512_max_ps(v, vhi);
      }
      const LowpRowQuant q = lowp_row_quant(_mm512_reduce_min_ps(vlo), _mm512_reduce_max_ps(vhi));
      rscale[m - m0] = a.alpha * q.sa;
      zp[m - m0] = static_cast<int32_t>(q.zp);
      const __m512 inv = _mm512_set1_ps(q.inv), lo = _mm512_set1_ps(-q.zp),
                   hi = _mm512_set1_ps(255.0f - q.zp);
      const __m512i vz = _mm512_set1_epi32(zp[m - m0]);
      T* row = dst + (m - m0) * kp;
      for (int64_t k = 0; k < a.k; k += 16) {
        const __mmask16 mask = quant_mask(a.k - k);
        store_quantized(row + k, mask, quantize16(_mm512_maskz_loadu_ps(mask, x + k), inv, lo, hi, vz));
      }
      for (int64_t k = a.k; k < kp; ++k) row[k] = 0;
    }
    return;
  }
  // x is K x M: up to kWide rows side by side (1 KiB of each x row per k, so strided
  // walks over k touch few pages), written k-group-major (lowp_arch.h): the kgroup
  // quantized values of one row and group become one 32-bit lane, so 16 rows of a group
  // are one 64-byte store.
  constexpr int kGroup = 4 / sizeof(T);
  constexpr int64_t kWide = 256;
  constexpr int64_t kAhead = 8;
  alignas(64) float los[kWide], his[kWide], invs[kWide], zlo[kWide], zhi[kWide];
  alignas(64) int32_t zps[kWide];
  for (int64_t b0 = m0, b1; b0 < m1; b0 = b1) {
    b1 = b0 + kWide < m1 ? b0 + kWide : m1;
    const int64_t rows = b1 - b0;
    for (int64_t r = 0; r < kWide; r += 16) {
      _mm512_store_ps(los + r, zero);
      _mm512_store_ps(his + r, zero);
    }
    for (int64_t k = 0; k < a.k; ++k) {
      const float* x = a.x + k * a.ldx + b0;
      if (k + kAhead < a.k) {  // each k row's piece is on its own page: prefetch ahead
        const char* next = reinterpret_cast<const char*>(x + kAhead * a.ldx);
        for (int64_t off = 0; off < rows * 4; off += 64) _mm_prefetch(next + off, _MM_HINT_T0);
      }
      for (int64_t r = 0; r < rows; r += 16) {
        const __m512 v = _mm512_maskz_loadu_ps(quant_mask(rows - r), x + r);
        _mm512_store_ps(los + r, _mm512_min_ps(v, _mm512_load_ps(los + r)));
        _mm512_store_ps(his + r, _mm512_max_ps(v, _mm512_load_ps(his + r)));
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      const LowpRowQuant q = lowp_row_quant(los[r], his[r]);
      invs[r] = q.inv;
      zlo[r] = -q.zp;
      zhi[r] = 255.0f - q.zp;
      zps[r] = static_cast<int32_t>(q.zp);
      rscale[b0 - m0 + r] = a.alpha * q.sa;
      zp[b0 - m0 + r] = zps[r];
    }
    for (int64_t g = 0; g * kGroup < kp; ++g) {
      for (int64_t r = 0; r < rows; r += 16) {
        const __mmask16 rmask = quant_mask(rows - r);
        const __m512 inv = _mm512_load_ps(invs + r), lo = _mm512_load_ps(zlo + r),
                     hi = _mm512_load_ps(zhi + r);
        const __m512i vz = _mm512_load_si512(zps + r);
        __m512i lanes = _mm512_setzero_si512();
        for (int t = 0; t < kGroup; ++t) {
          const int64_t k = g * kGroup + t;
          if (k >= a.k) break;  // padding stays 0
          const __m512 v = _mm512_maskz_loadu_ps(rmask, a.x + k * a.ldx + b0 + r);
          const __m512i q = quantize16(v, inv, lo, hi, vz);
          lanes = _mm512_or_si512(lanes, _mm512_slli_epi32(q, static_cast<unsigned>(8 * sizeof(T) * t)));
        }
        _mm512_mask_storeu_epi32(dst + (g * (m1 - m0) + b0 - m0 + r) * kGroup, rmask, lanes);
      }
    }
  }
}

}  // namespace
}  // namespace braid::detail
