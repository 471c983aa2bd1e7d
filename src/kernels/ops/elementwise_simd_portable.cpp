// The float32 elementwise loops compiled for the baseline ISA of the build (SSE2 on x86-64); see elementwise_simd.h.
#include "kernels/ops/elementwise_simd_loops.inc"

namespace braid::detail::ew {

const F32SimdTable& f32_simd_portable() {
  static constexpr F32SimdTable kTable = make_table("portable");
  return kTable;
}

}  // namespace braid::detail::ew
