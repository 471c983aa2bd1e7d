// The AVX512_VNNI int8 variant (compiled with -mavx512f -mavx512bw -mavx512vl
// -mavx512vnni; used only when cpu_features() reports them): VPDPBUSD over u8 activations
// and s8 weights packed in k-groups of 4, 14 x 32 micro-tile (28 accumulators).
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

struct VnniDot {
  static constexpr int kGroup = 4;
  static constexpr int kActBytes = 1;
  static constexpr int kWeightBytes = 1;
  static constexpr int kMr = 14;
  static __m512i step(__m512i acc, __m512i a, __m512i b) { return _mm512_dpbusd_epi32(acc, a, b); }
};

}  // namespace

const LowpArch& lowp_int8_arch_vnni() {
  static const LowpArch arch{LowpIsa::kAvx512Vnni, LowpLayout{kDotNr, 4, false}, 1, 1, VnniDot::kMr,
                             1024, VnniDot::kMr * 8, kDotNr * 8, dot_macro<VnniDot>,
                             lowp_epilogue_avx512<true>, quantize_rows_avx512<uint8_t>, true};
  return arch;
}

}  // namespace braid::detail
