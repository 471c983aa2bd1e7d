// Eigen's own f32 GEMM as a reference point (compiled with the AVX-512 flags, single
// thread: the library defines EIGEN_DONT_PARALLELIZE). Not used by Braid's kernels.
#include <Eigen/Core>

#include "eigen_ref.h"

namespace braid::bench {

void eigen_gemm(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c) {
  using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<const Mat> ma(a, m, k), mb(b, k, n);
  Eigen::Map<Mat> mc(c, m, n);
  mc.noalias() = ma * mb;
}

}  // namespace braid::bench
