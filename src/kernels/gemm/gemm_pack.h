// Packing routines shared by the GEMM variants (layouts in gemm_arch.h). Each variant's
// translation unit instantiates them with its own tile sizes and compile flags; the
// unnamed namespace gives every instantiation internal linkage, so an AVX-512 copy can
// never be picked by the linker for the scalar variant.
#pragma once

#include <cstdint>

namespace braid::detail {
namespace {

// Local helpers instead of std::min: no inline function from a shared header may be
// compiled with ISA flags (the linker could keep that copy for every caller).
inline int64_t gemm_min(int64_t a, int64_t b) { return a < b ? a : b; }

template <int MR>
void pack_a_panels(bool trans, const float* a, int64_t lda, int64_t mc, int64_t kc, float* dst) {
  for (int64_t i0 = 0; i0 < mc; i0 += MR) {
    const int rows = static_cast<int>(gemm_min(MR, mc - i0));
    float* p = dst + i0 * kc;
    if (!trans) {
      // A is M x K: each row is contiguous in k; scatter it with stride `rows`.
      for (int r = 0; r < rows; ++r) {
        const float* src = a + (i0 + r) * lda;
        for (int64_t k = 0; k < kc; ++k) p[k * rows + r] = src[k];
      }
    } else {
      // A is K x M: the rows of a panel are contiguous for each k.
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = a + k * lda + i0;
        for (int r = 0; r < rows; ++r) p[k * rows + r] = src[r];
      }
    }
  }
}

template <int NR>
void pack_b_panels(bool trans, const float* b, int64_t ldb, int64_t kc, int64_t nc, float* dst) {
  for (int64_t j0 = 0; j0 < nc; j0 += NR) {
    const int cols = static_cast<int>(gemm_min(NR, nc - j0));
    float* p = dst + j0 * kc;
    if (!trans) {
      // B is K x N: NR contiguous columns per k.
      if (cols == NR) {
        for (int64_t k = 0; k < kc; ++k) {
          const float* src = b + k * ldb + j0;
          float* out = p + k * NR;
          for (int c = 0; c < NR; ++c) out[c] = src[c];
        }
      } else {
        for (int64_t k = 0; k < kc; ++k) {
          const float* src = b + k * ldb + j0;
          float* out = p + k * NR;
          int c = 0;
          for (; c < cols; ++c) out[c] = src[c];
          for (; c < NR; ++c) out[c] = 0.0f;
        }
      }
    } else {
      // B is N x K: column j of op(B) is row j of B, contiguous in k.
      for (int c = 0; c < cols; ++c) {
        const float* src = b + (j0 + c) * ldb;
        for (int64_t k = 0; k < kc; ++k) p[k * NR + c] = src[k];
      }
      for (int c = cols; c < NR; ++c)
        for (int64_t k = 0; k < kc; ++k) p[k * NR + c] = 0.0f;
    }
  }
}

}  // namespace
}  // namespace braid::detail
