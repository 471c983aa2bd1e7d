// Narrow-input convolution (nn_conv_narrow.h), AVX-512 variant (compiled with -mavx512f
// -mavx512bw -mavx512vl -mfma). Tiles of 14 positions of a row x a block of 32 channels:
// per tap two weight loads, 14 broadcasts and 28 FMAs, like the GEMM's 14 x 32 micro-tile,
// with no packing of the input beyond one zero-padded band of rows per call; 8 tiles at a
// time over 16 KB chunks of the block's weights, which stay in L1 for them.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/env_switch.h"
#include "kernels/gemm/transpose16_avx512.h"
#include "kernels/ops/nn_conv_narrow.h"

// GCC 12's _mm512_max_ps uses _mm512_undefined_ps(), which trips a false
// -Wmaybe-uninitialized once inlined.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace braid::detail {
namespace {

constexpr int kPos = kNarrowConvPositions;
constexpr int kBlock = kNarrowConvBlock;

// Where one tile reads and writes.
struct TileAt {
  const float* band;  // band row of tap row 0, column of the tile's first output
  int64_t band_plane;  // floats per input channel in the band
  int64_t wb;          // band row width
  const float* w;      // the weight block
  int64_t co0;         // first output channel of the block
  int64_t channels;    // valid channels in the block (<= 16 * NV)
  int64_t positions;   // valid positions in the tile (<= 14)
  float* y;            // y + co0 * ohw + oy * ow + ox0
  const float* res;    // the residual at the same place, or nullptr
  int64_t ohw;
  // Lines of the next weight block to bring into L2 while this tile computes (from pf,
  // spread over its input channels), or pf_lines 0.
  const char* pf;
  int64_t pf_lines;
};

// 14 positions x 16 * NV channels over the taps of input channels [ci0, ci1); S: the
// stride along x. The sums start at 0 for ci0 == 0, else from `part` ([kPos][NV][16]);
// before the last channel they go back to `part`, after it out to Y. One FMA chain per
// output whatever the channel ranges: the same bits as one range of all channels. K: the
// window, K x K with K = 1 (the taps are the channels: one flat loop), 3 (all nine taps of
// a channel unrolled), 5 or 7 (each row's taps unrolled), or 0 (any kh x kw, loops). The
// loop control per tap of the loops cost a 1 x 1 layer a third of its time and a 3 x 3 one
// 5-20% (docs/kernels.md, "Session 17").
template <int S, int NV, int K>
void tile(const NarrowConvArgs& a, const TileAt& t, int64_t ci0, int64_t ci1, float* part) {
  __m512 acc[kPos][NV];
#pragma GCC unroll 14
  for (int p = 0; p < kPos; ++p)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v)
      acc[p][v] = ci0 == 0 ? _mm512_setzero_ps() : _mm512_load_ps(part + (p * NV + v) * 16);
  const int64_t kh = K > 0 ? K : a.kh, kw = K > 0 ? K : a.kw;
  const float* wk = t.w + ci0 * kh * kw * 16 * NV;
  // One tap: its 16 * NV weights times the 14 input values from `rk` (every S-th).
  auto tap = [&](const float* rk) {
    // Opaque to the compiler: otherwise it keeps the broadcasts that the next tap shares
    // (column p * S + kx + 1) in registers it does not have, and spills.
    asm("" : "+r"(rk));
    __m512 wv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) wv[v] = _mm512_load_ps(wk + 16 * v);
    wk += 16 * NV;
#pragma GCC unroll 14
    for (int p = 0; p < kPos; ++p) {
      const __m512 xv = _mm512_set1_ps(rk[p * S]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[p][v] = _mm512_fmadd_ps(xv, wv[v], acc[p][v]);
    }
  };
  const char* pf = t.pf;
  int64_t pf_left = t.pf_lines;
  const int64_t pf_step = (t.pf_lines + (ci1 - ci0) - 1) / (ci1 - ci0);  // lines per channel
  const float* plane = t.band + ci0 * t.band_plane;
  for (int64_t ci = ci0; ci < ci1; ++ci, plane += t.band_plane) {
    for (int64_t i = 0; i < pf_step && pf_left > 0; ++i, --pf_left, pf += 64) _mm_prefetch(pf, _MM_HINT_T1);
    if constexpr (K == 1) {
      tap(plane);
    } else if constexpr (K == 3) {
#pragma GCC unroll 3
      for (int ky = 0; ky < 3; ++ky)
#pragma GCC unroll 3
        for (int kx = 0; kx < 3; ++kx) tap(plane + ky * t.wb + kx);
    } else {
      for (int64_t ky = 0; ky < kh; ++ky)
#pragma GCC unroll 7
        for (int64_t kx = 0; kx < kw; ++kx) tap(plane + ky * t.wb + kx);
    }
  }
  if (ci1 < a.c) {
#pragma GCC unroll 14
    for (int p = 0; p < kPos; ++p)
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) _mm512_store_ps(part + (p * NV + v) * 16, acc[p][v]);
    return;
  }
  const __mmask16 pos_mask = static_cast<__mmask16>((1u << t.positions) - 1u);
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) {
    const int64_t ch = std::min<int64_t>(16, t.channels - 16 * v);
    if (ch <= 0) break;
    const __mmask16 ch_mask = static_cast<__mmask16>((1u << ch) - 1u);
    const __m512 b = a.bias ? _mm512_maskz_loadu_ps(ch_mask, a.bias + t.co0 + 16 * v) : _mm512_setzero_ps();
    __m512 r[16];
#pragma GCC unroll 14
    for (int p = 0; p < kPos; ++p) r[p] = _mm512_add_ps(acc[p][v], b);
    r[14] = r[15] = _mm512_setzero_ps();
    transpose16(r);  // r[j]: channel co0 + 16 v + j at the tile's positions
    float* yv = t.y + 16 * v * t.ohw;
    const float* rv = t.res ? t.res + 16 * v * t.ohw : nullptr;
    for (int64_t j = 0; j < ch; ++j) {
      __m512 o = r[j];
      if (rv) o = _mm512_add_ps(o, _mm512_maskz_loadu_ps(pos_mask, rv + j * t.ohw));
      if (a.relu) o = _mm512_max_ps(o, _mm512_setzero_ps());
      _mm512_mask_storeu_ps(yv + j * t.ohw, pos_mask, o);
    }
  }
}

// The zero-padded input rows that output rows [oy0, oy1) read: `rows` per channel, each
// wb wide with the input row at column pw.
void fill_band(const NarrowConvArgs& a, int64_t oy0, int64_t rows, int64_t wb, float* band) {
  const int64_t iy0 = oy0 * a.sh - a.ph;
  const int64_t cols = std::min(a.iw, wb - a.pw);
  for (int64_t ci = 0; ci < a.c; ++ci) {
    for (int64_t r = 0; r < rows; ++r) {
      float* d = band + (ci * rows + r) * wb;
      const int64_t iy = iy0 + r;
      if (iy < 0 || iy >= a.ih || cols <= 0) {
        std::memset(d, 0, static_cast<size_t>(wb) * sizeof(float));
        continue;
      }
      std::memset(d, 0, static_cast<size_t>(a.pw) * sizeof(float));
      std::memcpy(d + a.pw, a.x + (ci * a.ih + iy) * a.iw, static_cast<size_t>(cols) * sizeof(float));
      std::memset(d + a.pw + cols, 0, static_cast<size_t>(wb - a.pw - cols) * sizeof(float));
    }
  }
}

// A/B switches, read once (NAME=0 turns the behaviour off), for measurements with one binary.
struct Switches {
  bool weights_outer = env_switch_on("BRAID_NARROW_WEIGHTS_OUTER");  // blocks outermost past 1 MiB
  bool prefetch = env_switch_on("BRAID_NARROW_PREFETCH");            // the next weight block into L2
  bool chunks = env_switch_on("BRAID_NARROW_CHUNKS");                // tiles in groups over chunks
  bool fixed_window = env_switch_on("BRAID_NARROW_FIXED_WINDOW");    // tap loops per window
};

const Switches& switches() {
  static const Switches s;
  return s;
}

// The tile for 16 or 32 channels.
template <int S, int K>
void tile_for(const NarrowConvArgs& a, const TileAt& t, int64_t ci0, int64_t ci1, float* part) {
  if (t.channels > 16) tile<S, 2, K>(a, t, ci0, ci1, part);
  else tile<S, 1, K>(a, t, ci0, ci1, part);
}

// Tiles that take turns over one chunk of a weight block, and the chunk's size: the chunk
// stays in L1 over the group's tiles, whose sums wait in `part` (8 x 1.8 KB) between
// chunks. Without chunks every tile streamed its whole block (73 KB for 64 input channels
// of 3 x 3, past L1) from L2: a 56-wide row of 4 tiles read its weights 4 times, 4x what
// a direct convolution over whole rows (ORT's NCHWc kernels) reads.
constexpr int64_t kGroupTiles = 8;
constexpr int64_t kChunkBytes = 16 * 1024;

template <int S>
void rows_for_stride(const NarrowConvArgs& a, int64_t oy0, int64_t oy1, const float* band, int64_t plane,
                     int64_t wb) {
  const int64_t ohw = a.y_plane > 0 ? a.y_plane : a.oh * a.ow;
  const int64_t block_floats = a.c * a.kh * a.kw * kBlock;
  // Every group of tiles streams its whole weight block. Group by group, all blocks per
  // group, the layer's weights pass through L2 once per group; past kNarrowWeightsInL2
  // they no longer stay there, and each group reads them again from L3. Then the blocks
  // go outermost: each block stays in L2 over the band's groups, and the weights pass once
  // per band.
  const int64_t blocks = (a.cout + kBlock - 1) / kBlock;
  const bool weights_outer =
      switches().weights_outer && blocks * block_floats * static_cast<int64_t>(sizeof(float)) > kNarrowWeightsInL2;
  const int64_t tiles = (a.ow + kPos - 1) / kPos;  // per row
  const int64_t band_tiles = (oy1 - oy0) * tiles;
  const bool chunked = switches().chunks;
  const int64_t group = chunked ? kGroupTiles : 1;
  const int64_t chunk_c =
      chunked ? std::clamp<int64_t>(kChunkBytes / (a.kh * a.kw * kBlock * static_cast<int64_t>(sizeof(float))), 1, a.c)
              : a.c;
  const int64_t chunks = (a.c + chunk_c - 1) / chunk_c;
  alignas(64) float part[kGroupTiles][kPos * 2 * 16];
  // A block's first pass in the band reads it from L3 or memory (where L3 is slow, ~20
  // GB/s, 2.4 MB of weights cost a 14 x 14 layer ~6% of its time), so the tile calls of
  // that pass bring the next block into L2 meanwhile, a share each, spread over their
  // input channels: over all the band's groups where the blocks go outermost,
  // over the first group where every group walks every block (the others find the
  // weights in L2).
  const int64_t block_lines = (block_floats * static_cast<int64_t>(sizeof(float)) + 63) / 64;
  const int64_t first_pass_calls = (weights_outer ? band_tiles : std::min(group, band_tiles)) * chunks;
  const int64_t pf_share = (block_lines + first_pass_calls - 1) / first_pass_calls;
  const bool prefetch = switches().prefetch;
  // The tile compiled for this square window, or the generic one.
  const int64_t fixed_k = switches().fixed_window && a.kh == a.kw ? a.kw : 0;
  // Tiles [g0, g1) of the band (row-major) over block co0, chunk by chunk.
  auto run_group = [&](int64_t g0, int64_t g1, int64_t co0) {
    TileAt t;
    t.band_plane = plane;
    t.wb = wb;
    t.w = a.w + co0 / kBlock * block_floats;
    t.co0 = co0;
    t.channels = std::min<int64_t>(kBlock, a.cout - co0);
    t.ohw = ohw;
    const bool first_pass = prefetch && co0 + kBlock < a.cout && (weights_outer || g0 == 0);
    const char* next = reinterpret_cast<const char*>(t.w + block_floats);
    int64_t call = (weights_outer ? g0 : 0) * chunks;  // index of this call in the block's first pass
    for (int64_t ci0 = 0; ci0 < a.c; ci0 += chunk_c) {
      const int64_t ci1 = std::min(a.c, ci0 + chunk_c);
      for (int64_t i = g0; i < g1; ++i, ++call) {
        const int64_t oy = oy0 + i / tiles, ox0 = i % tiles * kPos;
        t.band = band + (oy - oy0) * a.sh * wb + ox0 * S;
        t.positions = std::min<int64_t>(kPos, a.ow - ox0);
        t.y = a.y + co0 * ohw + (oy - a.y_row0) * a.ow + ox0;
        t.res = a.residual ? a.residual + co0 * ohw + (oy - a.y_row0) * a.ow + ox0 : nullptr;
        const int64_t from = std::min(block_lines, call * pf_share);
        t.pf = next + from * 64;
        t.pf_lines = first_pass ? std::min(block_lines, from + pf_share) - from : 0;
        float* p = part[i - g0];
        switch (fixed_k) {
          case 1: tile_for<S, 1>(a, t, ci0, ci1, p); break;
          case 3: tile_for<S, 3>(a, t, ci0, ci1, p); break;
          case 5: tile_for<S, 5>(a, t, ci0, ci1, p); break;
          case 7: tile_for<S, 7>(a, t, ci0, ci1, p); break;
          default: tile_for<S, 0>(a, t, ci0, ci1, p); break;
        }
      }
    }
  };
  if (weights_outer) {
    for (int64_t co0 = 0; co0 < a.cout; co0 += kBlock)
      for (int64_t g0 = 0; g0 < band_tiles; g0 += group) run_group(g0, std::min(band_tiles, g0 + group), co0);
  } else {
    for (int64_t g0 = 0; g0 < band_tiles; g0 += group)
      for (int64_t co0 = 0; co0 < a.cout; co0 += kBlock) run_group(g0, std::min(band_tiles, g0 + group), co0);
  }
}

inline __mmask16 lanes(int64_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n > 0 ? n : 0)) - 1u);
}

// One pooled row of one channel from the k convolution rows at `rows` (ow floats each):
// per 32 columns their vertical max, whose even and odd lanes are columns 2 x and 2 x + 1
// of 16 outputs; a 3 x 3 window (pad 1) adds column 2 x - 1, the odd lanes shifted by one
// with the previous 32 columns' last. Columns past the row read the lowest float. All in
// registers: a round trip through memory at another alignment stalls store forwarding.
template <int K>
void pool_row(const float* rows, int64_t ow, int64_t pw, float* out) {
  const __m512 lowest = _mm512_set1_ps(-std::numeric_limits<float>::max());
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  __m512 odd_prev = lowest;
  for (int64_t x = 0; x < pw; x += 16) {
    const int64_t ix = 2 * x;
    const __mmask16 m_lo = lanes(ow - ix), m_hi = lanes(ow - ix - 16);
    __m512 lo = lowest, hi = lowest;
#pragma GCC unroll 3
    for (int j = 0; j < K; ++j) {
      lo = _mm512_max_ps(lo, _mm512_mask_loadu_ps(lowest, m_lo, rows + j * ow + ix));
      hi = _mm512_max_ps(hi, _mm512_mask_loadu_ps(lowest, m_hi, rows + j * ow + ix + 16));
    }
    const __m512 e = _mm512_permutex2var_ps(lo, even, hi), o = _mm512_permutex2var_ps(lo, odd, hi);
    __m512 r = _mm512_max_ps(e, o);
    if constexpr (K == 3) {
      const __m512 left = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(o), _mm512_castps_si512(odd_prev), 15));
      r = _mm512_max_ps(r, left);
      odd_prev = o;
    }
    _mm512_mask_storeu_ps(out + x, lanes(pw - x), r);
  }
}

}  // namespace

void narrow_conv_pool_avx512(const NarrowConvArgs& a, const NarrowPool& pool, int64_t py0, int64_t py1, float* band,
                             float* rows) {
  const int64_t k = pool.k, s = pool.s, ow = a.ow;
  const int64_t cap = (pool.group - 1) * s + k;  // convolution rows of a full group
  const int64_t plane = cap * ow;
  const int64_t ov = k > s ? k - s : 0;  // rows a group shares with the next
  const float lowest = -std::numeric_limits<float>::max();
  NarrowConvArgs conv = a;
  conv.y = rows;
  conv.y_plane = plane;
  for (int64_t p0 = py0; p0 < py1; p0 += pool.group) {
    const int64_t p1 = std::min(py1, p0 + pool.group);
    const int64_t r_lo = p0 * s - pool.pad, r_hi = (p1 - 1) * s - pool.pad + k;
    int64_t first = r_lo;
    if (p0 > py0 && ov > 0) {  // the previous (full) group ended with rows [r_lo, r_lo + ov)
      for (int64_t c = 0; c < a.cout; ++c)
        std::memmove(rows + c * plane, rows + c * plane + (cap - ov) * ow, static_cast<size_t>(ov * ow) * sizeof(float));
      first = r_lo + ov;
    }
    conv.y_row0 = r_lo;
    for (int64_t r = first; r < r_hi; ++r) {  // rows outside the map: the lowest float
      if (r >= 0 && r < a.oh) continue;
      for (int64_t c = 0; c < a.cout; ++c) std::fill_n(rows + c * plane + (r - r_lo) * ow, ow, lowest);
    }
    for (int64_t r = std::max<int64_t>(first, 0), end = std::min(r_hi, a.oh); r < end; r += kNarrowConvRows)
      narrow_conv_avx512(conv, r, std::min(end, r + kNarrowConvRows), band);
    for (int64_t c = 0; c < a.cout; ++c) {
      for (int64_t p = p0; p < p1; ++p) {
        float* out = a.y + (c * pool.ph + p) * pool.pw;
        const float* top = rows + c * plane + (p * s - pool.pad - r_lo) * ow;
        if (k == 3) pool_row<3>(top, ow, pool.pw, out);
        else pool_row<2>(top, ow, pool.pw, out);
      }
    }
  }
}

void narrow_conv_avx512(const NarrowConvArgs& a, int64_t oy0, int64_t oy1, float* band) {
  if (oy1 <= oy0) return;
  const int64_t rows = (oy1 - oy0 - 1) * a.sh + a.kh;
  const int64_t wb = narrow_conv_band_width(a);
  // No padding and every tile's reads inside its input rows (whole 14-position tiles): the
  // input itself is the band, no copy.
  const int64_t tiles = (a.ow + kPos - 1) / kPos;
  if (a.ph == 0 && a.pw == 0 && a.ow % kPos == 0 && (tiles * kPos - 1) * a.sw + a.kw <= a.iw &&
      (oy1 - 1) * a.sh + a.kh <= a.ih) {
    const float* x0 = a.x + oy0 * a.sh * a.iw;
    if (a.sw == 1) rows_for_stride<1>(a, oy0, oy1, x0, a.ih * a.iw, a.iw);
    else rows_for_stride<2>(a, oy0, oy1, x0, a.ih * a.iw, a.iw);
    return;
  }
  fill_band(a, oy0, rows, wb, band);
  if (a.sw == 1) rows_for_stride<1>(a, oy0, oy1, band, rows * wb, wb);
  else rows_for_stride<2>(a, oy0, oy1, band, rows * wb, wb);
}

}  // namespace braid::detail
