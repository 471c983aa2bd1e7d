// The AVX2+FMA GEMM variant (compiled with -mavx2 -mfma; used only when cpu_features()
// reports both). Micro-tile 6 x 16: 12 ymm accumulators, two B loads and six broadcasts
// of A per k; short row blocks walk several 16-column panels at once.
#include <immintrin.h>

#include "kernels/gemm/gemm_arch.h"
#include "kernels/gemm/gemm_pack.h"

namespace braid::detail {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;
constexpr int64_t kKc = 256;
constexpr int64_t kMc = kMr * 24;

constexpr int panels_for_rows(int m) { return m == 1 ? 4 : m <= 3 ? 2 : 1; }

inline __m256i lane_mask(int64_t lanes) {
  const int n = lanes < 0 ? 0 : lanes > 8 ? 8 : static_cast<int>(lanes);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

template <int M, int NP, bool kHalf = false>
inline void tile(const GemmBlock& blk, const float* __restrict a, const float* __restrict b,
                 float* c, int64_t row, int64_t col, int64_t n_valid) {
  constexpr int V = kHalf ? 1 : 2 * NP;  // kHalf: only the first vector of one panel
  const int64_t kc = blk.kc;
  const int64_t pstride = kc * kNr;
  __m256 acc[M][V];
#pragma GCC unroll 6
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[i][v] = _mm256_setzero_ps();

  for (int64_t k = 0; k < kc; ++k) {
    __m256 bv[V];
#pragma GCC unroll 4
    for (int p = 0; p < NP; ++p) {
      bv[2 * p] = _mm256_load_ps(b + p * pstride + k * kNr);
      if constexpr (!kHalf) bv[2 * p + 1] = _mm256_load_ps(b + p * pstride + k * kNr + 8);
    }
    const float* ak = a + k * M;
#pragma GCC unroll 6
    for (int i = 0; i < M; ++i) {
      const __m256 av = _mm256_broadcast_ss(ak + i);
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);
    }
  }

  const __m256 valpha = _mm256_set1_ps(blk.alpha);
  const __m256 vbeta = _mm256_set1_ps(blk.beta);
  const __m256 zero = _mm256_setzero_ps();
  const bool scale = blk.alpha != 1.0f;
  const bool accumulate = blk.beta != 0.0f;
  const float* bias = blk.bias;
#pragma GCC unroll 6
  for (int i = 0; i < M; ++i) {
    float* crow = c + i * blk.ldc;
    const __m256 row_bias = bias && blk.bias_per_row ? _mm256_set1_ps(bias[row + i]) : zero;
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      const int64_t lanes = n_valid - 8 * v;
      if (lanes <= 0) break;
      const bool full = lanes >= 8;
      const __m256i mask = lane_mask(lanes);
      __m256 r = scale ? _mm256_mul_ps(acc[i][v], valpha) : acc[i][v];
      if (accumulate) {
        const __m256 old = full ? _mm256_loadu_ps(crow + 8 * v) : _mm256_maskload_ps(crow + 8 * v, mask);
        r = _mm256_fmadd_ps(vbeta, old, r);
      }
      if (bias) {
        const __m256 bv = blk.bias_per_row ? row_bias
                          : full          ? _mm256_loadu_ps(bias + col + 8 * v)
                                          : _mm256_maskload_ps(bias + col + 8 * v, mask);
        r = _mm256_add_ps(r, bv);
      }
      if (blk.residual) {
        const float* rp = blk.residual + (row + i) * blk.ldr + col + 8 * v;
        r = _mm256_add_ps(r, full ? _mm256_loadu_ps(rp) : _mm256_maskload_ps(rp, mask));
      }
      if (blk.relu) r = _mm256_max_ps(zero, r);  // NaN stays NaN
      if (full)
        _mm256_storeu_ps(crow + 8 * v, r);
      else
        _mm256_maskstore_ps(crow + 8 * v, mask, r);
    }
  }
}

template <int M>
inline void row_block(const GemmBlock& blk, int64_t row) {
  constexpr int NP = panels_for_rows(M);
  const int64_t kc = blk.kc;
  const float* a = blk.a + row * kc;
  float* c = blk.c + row * blk.ldc;
  const int64_t panels = (blk.nc + kNr - 1) / kNr;
  // A last panel with at most 8 valid columns computes one vector per row, not two.
  const bool half_last = blk.nc - (panels - 1) * kNr <= 8;
  const int64_t full = half_last ? panels - 1 : panels;
  int64_t j = 0;
  for (; j + NP <= full; j += NP)
    tile<M, NP>(blk, a, blk.b + j * kc * kNr, c + j * kNr, row, j * kNr, blk.nc - j * kNr);
  const int64_t left = full - j;
  const float* b = blk.b + j * kc * kNr;
  if constexpr (NP >= 4) {
    if (left == 3) tile<M, 3>(blk, a, b, c + j * kNr, row, j * kNr, blk.nc - j * kNr);
  }
  if constexpr (NP >= 3) {
    if (left == 2) tile<M, 2>(blk, a, b, c + j * kNr, row, j * kNr, blk.nc - j * kNr);
  }
  if constexpr (NP >= 2) {
    if (left == 1) tile<M, 1>(blk, a, b, c + j * kNr, row, j * kNr, blk.nc - j * kNr);
  }
  if (half_last) {
    const int64_t p = panels - 1;
    tile<M, 1, true>(blk, a, blk.b + p * kc * kNr, c + p * kNr, row, p * kNr, blk.nc - p * kNr);
  }
}

void macro(const GemmBlock& blk) {
  for (int64_t ir = 0; ir < blk.mc; ir += kMr) {
    const int64_t m = blk.mc - ir < kMr ? blk.mc - ir : kMr;
    switch (m) {
      case 1: row_block<1>(blk, ir); break;
      case 2: row_block<2>(blk, ir); break;
      case 3: row_block<3>(blk, ir); break;
      case 4: row_block<4>(blk, ir); break;
      case 5: row_block<5>(blk, ir); break;
      default: row_block<6>(blk, ir); break;
    }
  }
}

}  // namespace

const GemmArch& gemm_arch_avx2() {
  static const GemmArch arch{"avx2",            kMr, kNr, kKc, kMc, gemm_nc_for_l2(kKc, kNr),
                             pack_a_panels<kMr>, pack_b_panels<kNr>, macro};
  return arch;
}

}  // namespace braid::detail
