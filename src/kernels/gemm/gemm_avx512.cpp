// The AVX-512 GEMM variant (compiled with -mavx512f -mavx512bw -mavx512vl -mfma; used only
// when cpu_features() reports them). Micro-tile 14 x 32: 28 zmm accumulators, two B loads
// and 14 broadcasts of A per k. Short row blocks (M < 7, batch-1 inference) walk several
// 32-column panels at once so there are always >= 8 independent FMA chains.
// A direct B (GemmDirectB, a stride-1 convolution's input read in place) is loaded per k
// from the image under per-tap lane masks that macro() computes once per block.
#include <immintrin.h>

#include <vector>

// GCC 12's _mm512_max_ps uses _mm512_undefined_ps(), which trips a false
// -Wmaybe-uninitialized once inlined.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "core/env_switch.h"
#include "kernels/gemm/gemm.h"
#include "kernels/gemm/gemm_arch.h"
#include "kernels/gemm/gemm_pack.h"
#include "kernels/gemm/transpose16_avx512.h"

namespace braid::detail {
namespace {

constexpr int kMr = 14;
constexpr int kNr = 32;
constexpr int64_t kKc = 256;
constexpr int64_t kMc = kMr * 12;

// Panels walked at once by a row block of M rows (accumulators = M * 2 * NP <= 28).
constexpr int panels_for_rows(int m) { return m <= 2 ? 4 : m == 3 ? 3 : m <= 6 ? 2 : 1; }

inline __mmask16 lane_mask(int64_t lanes) {
  return lanes >= 16 ? static_cast<__mmask16>(0xFFFF)
                     : static_cast<__mmask16>((1u << (lanes > 0 ? lanes : 0)) - 1u);
}

// A direct B block as the micro-kernel walks it: patch row k = k0 + kk is tap t of channel
// c; its 16-lane vector v (of the block's columns) loads x + c * plane + col + shift[t]
// (shift: the tap's plane in its channel, dy and dx) under masks[v * taps + t].
struct DirectState {
  const float* x;  // the image at the block's column 0
  int64_t plane;   // floats per channel (all its planes)
  int taps;
  int t0;          // tap of the block's first patch row
  int64_t c0;      // channel offset (floats) of the block's first patch row
  const __mmask16* masks;
  int64_t shift[GemmDirectB::kMaxTaps];
};

// BRAID_GEMM_DIRECT9=0: 3 x 3 direct-B tiles through the generic tap loop (A/B runs).
bool direct9_allowed() {
  static const bool on = env_switch_on("BRAID_GEMM_DIRECT9");
  return on;
}

// C[M x (NP*32)] (+)= A panel (stride M per k) * NP B panels, then the epilogue. Every
// element is one FMA chain over k followed by the same epilogue in every instantiation,
// so the result does not depend on which tile shape computed it.
//
// Prefetch (into L2, never changing a result): `pf_a` (nullable) - `pf_a_lines` cache lines
// of the A panel that runs after this row block, one per k; `pf_b` (nullable) - the
// NP panels after this tile's, 2 * NP lines per k (kc * 32 floats = 2 * kc lines each).
//
// kDirect (NP == 1): B comes from `ds` instead of `b`, at block column `col`. kPlain: a
// direct B of one tap (1x1), whose lane masks and shift are the same for every k.
template <int M, int NP, bool kHalf = false, bool kDirect = false, bool kPlain = false>
inline void tile(const GemmBlock& blk, const float* __restrict a, const float* __restrict b,
                 float* c, int64_t row, int64_t col, int64_t n_valid,
                 const float* pf_a = nullptr, int64_t pf_a_lines = 0, const float* pf_b = nullptr,
                 const DirectState* ds = nullptr) {
  static_assert(!kDirect || NP == 1);
  static_assert(!kPlain || kDirect);
  constexpr int V = kHalf ? 1 : 2 * NP;  // kHalf: only the first vector of one panel
  const int64_t kc = blk.kc;
  const int64_t pstride = kc * kNr;
  __m512 acc[M][V];
#pragma GCC unroll 14
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[i][v] = _mm512_setzero_ps();

  const int64_t pf_a_k = pf_a ? (pf_a_lines < kc ? pf_a_lines : kc) : 0;
  // Direct B: the image at this tile's columns, the tap and channel of patch row k.
  const float* dx = nullptr;
  const __mmask16* dm = nullptr;
  int dt = 0, dtaps = 0;
  __mmask16 plain0 = 0, plain1 = 0;
  if constexpr (kDirect) {
    dx = ds->x + col + ds->c0;
    dm = ds->masks + (col / 16) * ds->taps;
    dt = ds->t0;
    dtaps = ds->taps;
    if constexpr (kPlain) {
      dx += ds->shift[0];
      plain0 = dm[0];
      plain1 = kHalf ? 0 : dm[1];
    }
  }
  int64_t k0 = 0;  // where the k loop below starts
  if constexpr (kDirect && !kPlain) {
    // A 3 x 3 window's block of whole channels: the nine taps of a channel unrolled, so the
    // tap bookkeeping per k (counter, compare, branch, index extension) goes.
    if (dtaps == 9 && dt == 0 && kc % 9 == 0 && direct9_allowed()) {
      for (; k0 < kc; k0 += 9, dx += ds->plane) {
        if (k0 < pf_a_k) {  // up to 8 lines past pf_a_k: a prefetch never faults
#pragma GCC unroll 9
          for (int t = 0; t < 9; ++t) _mm_prefetch(reinterpret_cast<const char*>(pf_a + (k0 + t) * 16), _MM_HINT_T1);
        }
#pragma GCC unroll 9
        for (int t = 0; t < 9; ++t) {
          const float* src = dx + ds->shift[t];
          __m512 bv[V];
          bv[0] = _mm512_maskz_loadu_ps(dm[t], src);
          if constexpr (!kHalf) bv[1] = _mm512_maskz_loadu_ps(dm[9 + t], src + 16);
          const float* ak = a + (k0 + t) * M;
#pragma GCC unroll 14
          for (int i = 0; i < M; ++i) {
            const __m512 av = _mm512_set1_ps(ak[i]);
#pragma GCC unroll 8
            for (int v = 0; v < V; ++v) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
          }
        }
      }
    }
  }
  for (int64_t k = k0; k < kc; ++k) {
    if (k < pf_a_k) _mm_prefetch(reinterpret_cast<const char*>(pf_a + k * 16), _MM_HINT_T1);
    if (pf_b) {
#pragma GCC unroll 8
      for (int l = 0; l < 2 * NP; ++l)
        _mm_prefetch(reinterpret_cast<const char*>(pf_b + (2 * NP * k + l) * 16), _MM_HINT_T1);
    }
    __m512 bv[V];
    if constexpr (kPlain) {
      bv[0] = _mm512_maskz_loadu_ps(plain0, dx);
      if constexpr (!kHalf) bv[1] = _mm512_maskz_loadu_ps(plain1, dx + 16);
      dx += ds->plane;
    } else if constexpr (kDirect) {
      const float* src = dx + ds->shift[dt];
      bv[0] = _mm512_maskz_loadu_ps(dm[dt], src);
      if constexpr (!kHalf) bv[1] = _mm512_maskz_loadu_ps(dm[dtaps + dt], src + 16);
      if (++dt == dtaps) {
        dt = 0;
        dx += ds->plane;
      }
    } else {
#pragma GCC unroll 4
      for (int p = 0; p < NP; ++p) {
        bv[2 * p] = _mm512_load_ps(b + p * pstride + k * kNr);
        if constexpr (!kHalf) bv[2 * p + 1] = _mm512_load_ps(b + p * pstride + k * kNr + 16);
      }
    }
    const float* ak = a + k * M;
#pragma GCC unroll 14
    for (int i = 0; i < M; ++i) {
      const __m512 av = _mm512_set1_ps(ak[i]);
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
    }
  }

  const __m512 valpha = _mm512_set1_ps(blk.alpha);
  const __m512 vbeta = _mm512_set1_ps(blk.beta);
  const __m512 zero = _mm512_setzero_ps();
  const bool scale = blk.alpha != 1.0f;
  const bool accumulate = blk.beta != 0.0f;
  const float* bias = blk.bias;
#pragma GCC unroll 14
  for (int i = 0; i < M; ++i) {
    float* crow = c + i * blk.ldc;
    const __m512 row_bias = bias && blk.bias_per_row ? _mm512_set1_ps(bias[row + i]) : zero;
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      const __mmask16 mask = lane_mask(n_valid - 16 * v);
      if (mask == 0) break;
      __m512 r = scale ? _mm512_mul_ps(acc[i][v], valpha) : acc[i][v];
      if (accumulate) r = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(mask, crow + 16 * v), r);
      if (bias) {
        r = _mm512_add_ps(r, blk.bias_per_row ? row_bias
                                              : _mm512_maskz_loadu_ps(mask, bias + col + 16 * v));
      }
      if (blk.residual)
        r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(mask, blk.residual + (row + i) * blk.ldr + col + 16 * v));
      if (blk.relu) r = _mm512_max_ps(zero, r);  // NaN stays NaN
      _mm512_mask_storeu_ps(crow + 16 * v, mask, r);
    }
  }
}

// Where the A panel after the row block ending at `next_row` starts (nullptr: no prefetch)
// and its length in cache lines.
inline const float* a_prefetch(const GemmBlock& blk, int64_t next_row, int64_t* lines) {
  if (!blk.a_prepacked) return nullptr;
  const int64_t kc = blk.kc;
  if (next_row < blk.mc) {
    *lines = ((blk.mc - next_row < kMr ? blk.mc - next_row : kMr) * kc + 15) / 16;
    return blk.a + next_row * kc;
  }
  if (blk.a_next == nullptr) return nullptr;
  *lines = (kMr * kc + 15) / 16;
  return blk.a_next;
}

// One row block (M rows of the packed A block) against every 32-column tile of a direct B
// block, one tile at a time. Only full row blocks have a one-vector last tile: a tail row
// block computes its last tile whole (the dead lanes load nothing and are not stored),
// which halves the tail instantiations (this file's compile time, in every CI build).
template <int M, bool kPlain>
inline void row_block_direct(const GemmBlock& blk, int64_t row, const DirectState& ds) {
  const float* a = blk.a + row * blk.kc;
  float* c = blk.c + row * blk.ldc;
  const int64_t tiles = (blk.nc + kNr - 1) / kNr;
  const bool half_last = M == kMr && blk.nc - (tiles - 1) * kNr <= 16;
  const int64_t full = half_last ? tiles - 1 : tiles;
  int64_t pf_a_lines = 0;
  const float* pf_a = a_prefetch(blk, row + M, &pf_a_lines);
  for (int64_t j = 0; j < full; ++j)
    tile<M, 1, false, true, kPlain>(blk, a, nullptr, c + j * kNr, row, j * kNr, blk.nc - j * kNr,
                                    j == 0 ? pf_a : nullptr, pf_a_lines, nullptr, &ds);
  if constexpr (M == kMr) {
    if (half_last) {
      const int64_t j = tiles - 1;
      tile<M, 1, true, true, kPlain>(blk, a, nullptr, c + j * kNr, row, j * kNr, blk.nc - j * kNr,
                                     full == 0 ? pf_a : nullptr, pf_a_lines, nullptr, &ds);
    }
  }
}

// One row block (M rows of the packed A block) against every panel of the B block.
template <int M>
inline void row_block(const GemmBlock& blk, int64_t row) {
  constexpr int NP = panels_for_rows(M);
  const int64_t kc = blk.kc;
  const float* a = blk.a + row * kc;
  float* c = blk.c + row * blk.ldc;
  const int64_t panels = (blk.nc + kNr - 1) / kNr;
  // A last panel with at most 16 valid columns computes one vector per row, not two.
  const bool half_last = blk.nc - (panels - 1) * kNr <= 16;
  const int64_t full = half_last ? panels - 1 : panels;
  // Prepacked A: the next row panel (or the next block's first) is fetched during this
  // row block's first tile. Prepacked B: the first row block fetches each next panel
  // during the current one; the later row blocks find the block in L2. Not for 1-2 rows
  // (a GEMV streaming B once): the hardware prefetcher keeps up with its four streams and
  // the prefetches only cost (BM_GemmSkinny M=1, BRAID_GEMM_PREFETCH=1 / 0: N=K=2048
  // 178-203 / 160-165 us, N=1000 K=512 21.6-21.9 / 19.1-19.3).
  int64_t pf_a_lines = 0;
  const float* pf_a = a_prefetch(blk, row + M, &pf_a_lines);
  const bool pf_b = M > 2 && blk.b_prepacked && row == 0;
  int64_t j = 0;
  for (; j + NP <= full; j += NP) {
    const float* bj = blk.b + j * kc * kNr;
    tile<M, NP>(blk, a, bj, c + j * kNr, row, j * kNr, blk.nc - j * kNr, j == 0 ? pf_a : nullptr,
                pf_a_lines, pf_b && j + 2 * NP <= panels ? bj + NP * kc * kNr : nullptr);
  }
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

// pack_a_panels<kMr> with the same layout; a row-major A's full 14-row panels go 16
// columns at a time through a register transpose (rows 14 and 15 zero) instead of one
// scalar store per element: run-time A (activations times constant weights) is packed per
// call.
void pack_a(bool trans, const float* a, int64_t lda, int64_t mc, int64_t kc, float* dst) {
  if (trans) return pack_a_panels<kMr>(trans, a, lda, mc, kc, dst);
  const int64_t full = mc / kMr * kMr;
  for (int64_t i0 = 0; i0 < full; i0 += kMr) {
    const float* src = a + i0 * lda;
    float* p = dst + i0 * kc;
    for (int64_t k0 = 0; k0 < kc; k0 += 16) {
      const int64_t nk = kc - k0 < 16 ? kc - k0 : 16;
      const __mmask16 lanes = lane_mask(nk);
      __m512 r[16];
#pragma GCC unroll 14
      for (int i = 0; i < kMr; ++i) r[i] = _mm512_maskz_loadu_ps(lanes, src + i * lda + k0);
      r[14] = r[15] = _mm512_setzero_ps();
      transpose16(r);
      for (int64_t c = 0; c < nk; ++c)
        _mm512_mask_storeu_ps(p + (k0 + c) * kMr, static_cast<__mmask16>((1u << kMr) - 1u), r[c]);
    }
  }
  if (full < mc) pack_a_panels<kMr>(false, a + full * lda, lda, mc - full, kc, dst + full * kc);
}

template <bool kPlain>
void row_blocks_direct(const GemmBlock& blk, const DirectState& ds) {
  for (int64_t ir = 0; ir < blk.mc; ir += kMr) {
    const int64_t m = blk.mc - ir < kMr ? blk.mc - ir : kMr;
    switch (m) {
      case 2: row_block_direct<2, kPlain>(blk, ir, ds); break;
      case 4: row_block_direct<4, kPlain>(blk, ir, ds); break;
      case 6: row_block_direct<6, kPlain>(blk, ir, ds); break;
      case 8: row_block_direct<8, kPlain>(blk, ir, ds); break;
      case 10: row_block_direct<10, kPlain>(blk, ir, ds); break;
      case 12: row_block_direct<12, kPlain>(blk, ir, ds); break;
      default: row_block_direct<14, kPlain>(blk, ir, ds); break;  // odd tails: excluded by Gemm::direct_b(m)
    }
  }
}

thread_local std::vector<__mmask16> t_direct_masks;

// The lane masks of a direct B block: for its 16-column vector v and tap t, the lanes whose
// input pixel lies inside the image (lanes past the block's columns load nothing). The
// table covers whole 32-column tiles: a tail row block computes its last tile whole, and
// that tile's second vector may lie past the block (all its masks are zero).
void direct_masks(const GemmBlock& blk, std::vector<__mmask16>& out) {
  const GemmDirectB& d = *blk.direct;
  const int64_t vectors = (blk.nc + kNr - 1) / kNr * (kNr / 16);
  out.resize(static_cast<size_t>(vectors * d.taps));
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i w = _mm512_set1_epi32(static_cast<int>(d.w));
  const __m512i h = _mm512_set1_epi32(static_cast<int>(d.h));
  const __m512i zero = _mm512_setzero_si512();
  for (int64_t v = 0; v < vectors; ++v) {
    const int64_t j0 = blk.col0 + 16 * v;
    // (oy, ox) of every lane: from the first lane's, wrapping rows as often as needed.
    __m512i ox = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(j0 % d.w)), iota);
    __m512i oy = _mm512_set1_epi32(static_cast<int>(j0 / d.w));
    for (__mmask16 wrap = _mm512_cmpge_epi32_mask(ox, w); wrap != 0; wrap = _mm512_cmpge_epi32_mask(ox, w)) {
      ox = _mm512_mask_sub_epi32(ox, wrap, ox, w);
      oy = _mm512_mask_add_epi32(oy, wrap, oy, _mm512_set1_epi32(1));
    }
    const __mmask16 live = lane_mask(blk.nc - 16 * v);
    for (int t = 0; t < d.taps; ++t) {
      const __m512i iy = _mm512_add_epi32(oy, _mm512_set1_epi32(d.dy[t]));
      const __m512i ix = _mm512_add_epi32(ox, _mm512_set1_epi32(d.dx[t]));
      out[static_cast<size_t>(v * d.taps + t)] =
          live & _mm512_cmpge_epi32_mask(iy, zero) & _mm512_cmplt_epi32_mask(iy, h) &
          _mm512_cmpge_epi32_mask(ix, zero) & _mm512_cmplt_epi32_mask(ix, w);
    }
  }
}

void macro_direct(const GemmBlock& blk) {
  const GemmDirectB& d = *blk.direct;
  direct_masks(blk, t_direct_masks);
  DirectState ds;
  ds.x = d.x + blk.col0;
  ds.plane = d.planes * d.plane;
  ds.taps = d.taps;
  ds.t0 = static_cast<int>(blk.k0 % d.taps);
  ds.c0 = blk.k0 / d.taps * ds.plane;
  ds.masks = t_direct_masks.data();
  for (int t = 0; t < d.taps; ++t) ds.shift[t] = int64_t{d.dp[t]} * d.plane + int64_t{d.dy[t]} * d.w + d.dx[t];
  // One tap (1x1 layers): every k of a tile loads under the same two masks.
  if (d.taps == 1) return row_blocks_direct<true>(blk, ds);
  row_blocks_direct<false>(blk, ds);
}

void macro(const GemmBlock& blk) {
  if (blk.direct) return macro_direct(blk);
  for (int64_t ir = 0; ir < blk.mc; ir += kMr) {
    const int64_t m = blk.mc - ir < kMr ? blk.mc - ir : kMr;
    switch (m) {
      case 1: row_block<1>(blk, ir); break;
      case 2: row_block<2>(blk, ir); break;
      case 3: row_block<3>(blk, ir); break;
      case 4: row_block<4>(blk, ir); break;
      case 5: row_block<5>(blk, ir); break;
      case 6: row_block<6>(blk, ir); break;
      case 7: row_block<7>(blk, ir); break;
      case 8: row_block<8>(blk, ir); break;
      case 9: row_block<9>(blk, ir); break;
      case 10: row_block<10>(blk, ir); break;
      case 11: row_block<11>(blk, ir); break;
      case 12: row_block<12>(blk, ir); break;
      case 13: row_block<13>(blk, ir); break;
      default: row_block<14>(blk, ir); break;
    }
  }
}

}  // namespace

const GemmArch& gemm_arch_avx512() {
  static const GemmArch arch{"avx512",          kMr, kNr, kKc, kMc, gemm_nc_for_l2(kKc, kNr),
                             pack_a, pack_b_panels<kNr>, macro, true};
  return arch;
}

}  // namespace braid::detail
