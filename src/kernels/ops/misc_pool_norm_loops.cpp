#include "kernels/cpu_features.h"
#include "kernels/ops/misc_pool_norm_loops.h"

namespace braid::detail::misc {

#if defined(BRAID_MISC_HAVE_AVX2)
namespace avx2 { const PoolNormLoops& loops_table(); }
#endif
#if defined(BRAID_MISC_HAVE_AVX512)
namespace avx512 { const PoolNormLoops& loops_table(); }
#endif
namespace portable { const PoolNormLoops& loops_table(); }

const PoolNormLoops& pool_norm_loops_portable() { return portable::loops_table(); }

const PoolNormLoops& pool_norm_loops_avx2() {
#if defined(BRAID_MISC_HAVE_AVX2)
  return avx2::loops_table();
#else
  return portable::loops_table();
#endif
}

const PoolNormLoops& pool_norm_loops_avx512() {
#if defined(BRAID_MISC_HAVE_AVX512)
  return avx512::loops_table();
#else
  return portable::loops_table();
#endif
}

const PoolNormLoops& pool_norm_loops() {
  const CpuFeatures& f = cpu_features();
  if (f.has_avx512()) return pool_norm_loops_avx512();
  if (f.has_avx2_fma()) return pool_norm_loops_avx2();
  return pool_norm_loops_portable();
}

}  // namespace braid::detail::misc
