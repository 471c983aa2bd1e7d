// Picks the float32 loop table for this CPU (or the ISA cap set for testing).
#include "kernels/cpu_features.h"
#include "kernels/ops/elementwise_simd.h"

namespace braid::detail::ew {

const F32SimdTable& select_f32_simd() {
#if defined(BRAID_ELEMENTWISE_X86_SIMD)
  const CpuFeatures& cpu = cpu_features();
  if (cpu.has_avx512() && cpu.fma) return f32_simd_avx512();
  if (cpu.has_avx2_fma()) return f32_simd_avx2();
#endif
  return f32_simd_portable();
}

}  // namespace braid::detail::ew
