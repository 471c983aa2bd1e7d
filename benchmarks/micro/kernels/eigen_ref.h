// Eigen's f32 GEMM (row-major C = A * B), for comparison in benchmarks only.
#pragma once

#include <cstdint>

namespace braid::bench {
void eigen_gemm(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c);
}  // namespace braid::bench
