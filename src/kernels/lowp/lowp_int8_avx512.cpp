// The AVX-512 int8 variant for CPUs without VNNI (compiled with -mavx512f -mavx512bw
// -mavx512vl; used only when cpu_features() reports them): activations and weights
// widened to 16 bits (u16 x s16, packed in k-pairs), VPMADDWD + VPADDD, 12 x 32 tile (24
// accumulators, leaving registers for the products).
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which trips false
// -W(maybe-)uninitialized warnings once inlined (as in gemm_avx512.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "kernels/lowp/lowp_arch.h"
#include "kernels/lowp/lowp_epilogue_avx512.h"
#include "kernels/lowp/lowp_dot_tile.h"
#include "kernels/lowp/lowp_quantize_avx512.h"

namespace braid::detail {
namespace {

struct MaddDot {
  static constexpr int kGroup = 2;
  static constexpr int kActBytes = 2;
  static constexpr int kWeightBytes = 2;
  static constexpr int kMr = 12;
  static __m512i step(__m512i acc, __m512i a, __m512i b) {
    return _mm512_add_epi32(acc, _mm512_madd_epi16(a, b));
  }
};

}  // namespace

const LowpArch& lowp_int8_arch_avx512() {
  static const LowpArch arch{LowpIsa::kAvx512, LowpLayout{kDotNr, 2, false}, 2, 2, MaddDot::kMr,
                             512, MaddDot::kMr * 8, kDotNr * 8, dot_macro<MaddDot>,
                             lowp_epilogue_avx512<true>, quantize_rows_avx512<uint16_t>, true};
  return arch;
}

}  // namespace braid::detail
