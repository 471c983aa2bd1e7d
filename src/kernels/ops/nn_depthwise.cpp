// The depthwise variant table and the portable variant.
#include "kernels/ops/nn_depthwise.h"

#include "kernels/ops/nn_depthwise_plane.h"

namespace braid::detail {

int64_t depthwise_scratch_floats(const DepthwiseArgs& args) {
  const Plane p = plane_of(args);
  return p.rows * p.cols + kPlaneSlack;
}

void depthwise_scalar(const DepthwiseArgs& args, int64_t c0, int64_t c1, float* scratch) {
  const Plane p = plane_of(args);
  for (int64_t c = c0; c < c1; ++c) {
    fill_plane(args, p, c, scratch);
    depthwise_channel_loop(args, p, c, scratch);
  }
}

DepthwiseFn depthwise_for(const CpuFeatures& f) {
#if defined(__x86_64__) || defined(__i386__)
  if (f.has_avx512() && f.fma) return depthwise_avx512;
  if (f.has_avx2_fma()) return depthwise_avx2;
#endif
  (void)f;
  return depthwise_scalar;
}

}  // namespace braid::detail
