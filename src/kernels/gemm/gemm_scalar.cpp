// The portable GEMM variant: plain C++ with a 4 x 8 register tile, compiled with the
// baseline flags. Used when the CPU has neither AVX2+FMA nor AVX-512 (or when tests cap
// the ISA); the compiler may still vectorise it with SSE2.
#include "kernels/gemm/gemm_arch.h"
#include "kernels/gemm/gemm_pack.h"

namespace braid::detail {
namespace {

constexpr int kMr = 4;
constexpr int kNr = 8;
constexpr int64_t kKc = 256;
constexpr int64_t kMc = kMr * 32;

template <int M>
void tile(const GemmBlock& blk, const float* a, const float* b, float* c, int64_t row,
          int64_t col, int64_t n_valid) {
  float acc[M][kNr] = {};
  for (int64_t k = 0; k < blk.kc; ++k) {
    const float* bk = b + k * kNr;
    for (int i = 0; i < M; ++i) {
      const float av = a[k * M + i];
      for (int j = 0; j < kNr; ++j) acc[i][j] += av * bk[j];
    }
  }
  const int cols = n_valid < kNr ? static_cast<int>(n_valid) : kNr;
  for (int i = 0; i < M; ++i) {
    float* crow = c + i * blk.ldc;
    for (int j = 0; j < cols; ++j) {
      float r = blk.alpha != 1.0f ? acc[i][j] * blk.alpha : acc[i][j];
      if (blk.beta != 0.0f) r += blk.beta * crow[j];
      if (blk.bias) r += blk.bias_per_row ? blk.bias[row + i] : blk.bias[col + j];
      if (blk.residual) r += blk.residual[(row + i) * blk.ldr + col + j];
      if (blk.relu && r < 0.0f) r = 0.0f;  // NaN stays NaN
      crow[j] = r;
    }
  }
}

template <int M>
void row_block(const GemmBlock& blk, int64_t row) {
  const float* a = blk.a + row * blk.kc;
  float* c = blk.c + row * blk.ldc;
  for (int64_t j = 0; j < blk.nc; j += kNr)
    tile<M>(blk, a, blk.b + j * blk.kc, c + j, row, j, blk.nc - j);
}

void macro(const GemmBlock& blk) {
  for (int64_t ir = 0; ir < blk.mc; ir += kMr) {
    switch (blk.mc - ir < kMr ? blk.mc - ir : kMr) {
      case 1: row_block<1>(blk, ir); break;
      case 2: row_block<2>(blk, ir); break;
      case 3: row_block<3>(blk, ir); break;
      default: row_block<4>(blk, ir); break;
    }
  }
}

}  // namespace

const GemmArch& gemm_arch_scalar() {
  static const GemmArch arch{"scalar",          kMr, kNr, kKc, kMc, gemm_nc_for_l2(kKc, kNr),
                             pack_a_panels<kMr>, pack_b_panels<kNr>, macro};
  return arch;
}

}  // namespace braid::detail
