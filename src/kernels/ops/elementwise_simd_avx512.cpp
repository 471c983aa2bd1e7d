// The float32 elementwise loops compiled with AVX-512 F/BW/VL and FMA; see elementwise_simd.h.
#include "kernels/ops/elementwise_simd_loops.inc"

namespace braid::detail::ew {

const F32SimdTable& f32_simd_avx512() {
  static constexpr F32SimdTable kTable = make_table("avx512");
  return kTable;
}

}  // namespace braid::detail::ew
