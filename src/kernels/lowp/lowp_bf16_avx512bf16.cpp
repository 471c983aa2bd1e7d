// The AVX512_BF16 bf16 variant (compiled with -mavx512f -mavx512bw -mavx512vl
// -mavx512bf16; runnable where cpu_features().avx512_bf16, chosen where bf16_speed()
// measures it the fastest bf16 variant): weights packed in k-pairs,
// activations rounded to bf16 and stored as bf16 pairs, VDPBF16PS into f32 accumulators
// (the shared dot micro-kernel, 14 x 32). VDPBF16PS adds the pair's two exact products in
// its own order and flushes subnormals, so it is held to the bf16 rounding bound, not to
// bitwise equality with the scalar variant. lowp_kernels_test exercises it wherever the
// CPU has the feature (first run on hardware in session 15, an Intel Xeon where it passed
// and where VDPBF16PS runs at half the f32 multiply-add rate: docs/precision.md).
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which trips false
// -W(maybe-)uninitialized warnings once inlined (as in gemm_avx512.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "kernels/lowp/lowp_arch.h"
#include "kernels/lowp/lowp_bf16_round_avx512.h"
#include "kernels/lowp/lowp_dot_tile.h"
#include "kernels/lowp/lowp_epilogue_avx512.h"
#include "kernels/lowp/lowp_pack.h"

namespace braid::detail {
namespace {

struct Bf16Dot {
  static constexpr int kGroup = 2;
  static constexpr int kActBytes = 2;
  static constexpr int kWeightBytes = 2;
  static constexpr int kMr = 14;
  // acc holds f32 bits; a and b hold bf16 pairs.
  static __m512i step(__m512i acc, __m512i a, __m512i b) {
    return _mm512_castps_si512(
        _mm512_dpbf16_ps(_mm512_castsi512_ps(acc), reinterpret_cast<__m512bh>(a), reinterpret_cast<__m512bh>(b)));
  }
};

constexpr int64_t kMc = Bf16Dot::kMr * 8;

// Row-major bf16 rows (kp even, zero padded), or (x given K x M) k-pair-major: one 32-bit
// lane per row and k-pair, pair g of row m at dst + (g * (m1 - m0) + m - m0) * 2.
void convert(const LowpGemmArgs& a, int64_t kp, int64_t m0, int64_t m1, std::byte* out, float*, int32_t*) {
  auto* dst = reinterpret_cast<uint16_t*>(out);
  if (a.x_is_mk) return bf16_rows(a, kp, m0, m1, dst);
  for (int64_t g = 0; 2 * g < kp; ++g) {
    const float* x0 = a.x + 2 * g * a.ldx;
    const float* x1 = 2 * g + 1 < a.k ? x0 + a.ldx : nullptr;  // odd k: the pad is 0
    uint16_t* row = dst + g * (m1 - m0) * 2;
    for (int64_t m = m0; m < m1; m += 16) {
      const __mmask16 mask = first_lanes(m1 - m);
      __m512i pair = bf16_bits(_mm512_maskz_loadu_ps(mask, x0 + m));
      if (x1) pair = _mm512_or_si512(pair, _mm512_slli_epi32(bf16_bits(_mm512_maskz_loadu_ps(mask, x1 + m)), 16));
      _mm512_mask_storeu_epi32(row + 2 * (m - m0), mask, pair);
    }
  }
}

}  // namespace

const LowpArch& lowp_bf16_arch_avx512bf16() {
  static const LowpArch arch{LowpIsa::kAvx512Bf16, LowpLayout{kDotNr, 2, false}, 2, 2, Bf16Dot::kMr,
                             512, kMc, kDotNr * 8, dot_macro<Bf16Dot>, lowp_epilogue_avx512<false>, convert, true};
  return arch;
}

}  // namespace braid::detail
