// Winograd F(2x2, 3x3) and F(4x4, 3x3) convolution (nn_conv_winograd.h), AVX-512 variant
// (compiled with -mavx512f -mavx512bw -mavx512vl -mfma). Per band of tile rows: the input
// rows copied zero-padded; V for every micro-tile (14 or 8 tiles in the lanes; F(2x2): from
// two 16-float loads and four lane permutes per patch row and channel, F(4x4): two runs of
// 7 or 4 tiles from a 32-float window each, six permutes and blends per patch row); then per
// block of 32 output channels and micro-tile the 16 or 36 products M[xi] (the narrow
// kernel's 14 x 32 register tile, or 8 x 32; K = the input channels) and at once their
// output transform, transposed to rows of the NCHW output with the bias, the residual and
// the ReLU.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/gemm/transpose16_avx512.h"
#include "kernels/ops/nn_conv_winograd.h"

// GCC 12's _mm512_max_ps uses _mm512_undefined_ps(), which trips a false
// -Wmaybe-uninitialized (and, in transpose16, -Wuninitialized) once inlined.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace braid::detail {
namespace {

constexpr int kT = kWinogradTiles;

// Where micro-tile s of a band puts its lanes: tiles p < split from tile row `row0` starting
// at tile column tx0, tiles p >= split from row0 + 1 starting at column 0 (maps of half a
// micro-tile per tile row, 14 or 8 wide: 7 + 7 or 4 + 4); split == kt: one run.
struct Strip {
  int64_t row0, tx0;
  int split;
};

Strip strip_at(int64_t tw, int kt, int64_t s) {
  if (2 * tw == kt) return {2 * s, 0, kt / 2};
  const int64_t per_row = tw / kt;
  return {s / per_row, (s % per_row) * kt, kt};
}

// V[xi] for the tiles of a micro-tile, one channel: `p0` / `p1` point at the patch's top
// band row of the first / second run (p1 may be null: those lanes are zero; one_run: all
// lanes from the 32 floats at p0).
inline void input_transform(const float* p0, const float* p1, int64_t wb, bool one_run, const __m512i idx[4],
                            float* v, int64_t xi_stride) {
  __m512 d[4][4];
  for (int i = 0; i < 4; ++i) {
    __m512 lo, hi;
    if (one_run) {
      lo = _mm512_loadu_ps(p0 + i * wb);
      hi = _mm512_loadu_ps(p0 + i * wb + 16);
    } else {
      lo = _mm512_loadu_ps(p0 + i * wb);
      hi = p1 ? _mm512_loadu_ps(p1 + i * wb) : _mm512_setzero_ps();
    }
    for (int j = 0; j < 4; ++j) d[i][j] = _mm512_permutex2var_ps(lo, idx[j], hi);
  }
  __m512 r[4][4];  // B^T d
  for (int j = 0; j < 4; ++j) {
    r[0][j] = _mm512_sub_ps(d[0][j], d[2][j]);
    r[1][j] = _mm512_add_ps(d[1][j], d[2][j]);
    r[2][j] = _mm512_sub_ps(d[2][j], d[1][j]);
    r[3][j] = _mm512_sub_ps(d[1][j], d[3][j]);
  }
  for (int i = 0; i < 4; ++i) {  // (B^T d) B
    _mm512_store_ps(v + (4 * i + 0) * xi_stride, _mm512_sub_ps(r[i][0], r[i][2]));
    _mm512_store_ps(v + (4 * i + 1) * xi_stride, _mm512_add_ps(r[i][1], r[i][2]));
    _mm512_store_ps(v + (4 * i + 2) * xi_stride, _mm512_sub_ps(r[i][2], r[i][1]));
    _mm512_store_ps(v + (4 * i + 3) * xi_stride, _mm512_sub_ps(r[i][1], r[i][3]));
  }
}

// M[p][16 NV] = sum over c of V[c][p] * U[c][16 NV]: KT tiles (14 or 8) x 16 NV channels,
// K = c.
template <int NV, int KT>
void product(const float* v, const float* u, int64_t c, float* m) {
  __m512 acc[KT][NV];
#pragma GCC unroll 14
  for (int p = 0; p < KT; ++p)
#pragma GCC unroll 2
    for (int q = 0; q < NV; ++q) acc[p][q] = _mm512_setzero_ps();
  for (int64_t k = 0; k < c; ++k, v += 16, u += 16 * NV) {
    __m512 w[NV];
#pragma GCC unroll 2
    for (int q = 0; q < NV; ++q) w[q] = _mm512_load_ps(u + 16 * q);
#pragma GCC unroll 14
    for (int p = 0; p < KT; ++p) {
      const __m512 x = _mm512_set1_ps(v[p]);
#pragma GCC unroll 2
      for (int q = 0; q < NV; ++q) acc[p][q] = _mm512_fmadd_ps(x, w[q], acc[p][q]);
    }
  }
#pragma GCC unroll 14
  for (int p = 0; p < KT; ++p)
#pragma GCC unroll 2
    for (int q = 0; q < NV; ++q) _mm512_store_ps(m + (p * NV + q) * 16, acc[p][q]);
}

// Where a band's data goes: the zero-padded input rows first, then V (or a shared one:
// v_in already transformed, v_out to fill), then one micro-tile's M.
struct BandScratch {
  float* in;
  float* v_fill;   // where the transform writes V
  const float* v;  // where the products read it
  float* m;
};

BandScratch band_scratch(const WinogradConvArgs& a, int64_t plane, int64_t strips, float* scratch) {
  float* local_v = scratch + (a.c * plane + 15) / 16 * 16;
  float* fill = a.v_out ? a.v_out : local_v;
  return {scratch, fill, a.v_in ? a.v_in : fill, local_v + winograd_xis(a) * strips * a.c * 16};
}

// M[xi] = V[xi] U[xi] of micro-tile s (kt tiles) for one block of 16 nv output channels
// (`u`: the block's U), every xi.
void products(const WinogradConvArgs& a, const float* v, const float* u, int64_t strips, int64_t s, int kt, int nv,
              float* m) {
  const int64_t xi_stride = strips * a.c * 16;  // V[xi][strip][c][16]
  for (int xi = 0; xi < winograd_xis(a); ++xi) {
    const float* vx = v + xi * xi_stride + s * a.c * 16;
    const float* ux = u + xi * a.c * 16 * nv;
    float* mx = m + xi * kt * nv * 16;
    if (kt == kT) {
      if (nv == 2) product<2, kT>(vx, ux, a.c, mx);
      else product<1, kT>(vx, ux, a.c, mx);
    } else {
      if (nv == 2) product<2, kWinogradTilesNarrow>(vx, ux, a.c, mx);
      else product<1, kWinogradTilesNarrow>(vx, ux, a.c, mx);
    }
  }
}

// Output rows 2 ty and 2 ty + 1, columns 2 tx0 .. 2 tx0 + 2 n - 1 (n <= 8 tiles, lanes
// p0 ..), channels co .. co + 15 (vector q of the block), from M ([xi][p][16 NV], kt tiles).
void output_run(const WinogradConvArgs& a, const float* m, int nv, int kt, int q, int p0, int n, int64_t ty,
                int64_t tx0, int64_t co) {
  __m512 top[16], bottom[16];  // [k]: Y(0,0) / Y(1,0) of tile k, [8 + k]: Y(0,1) / Y(1,1)
  for (int k = 0; k < 8; ++k) {
    if (k >= n) {
      top[k] = top[8 + k] = bottom[k] = bottom[8 + k] = _mm512_setzero_ps();
      continue;
    }
    const float* mp = m + ((p0 + k) * nv + q) * 16;
    const int64_t xi_stride = kt * nv * 16;
    __m512 s0[4], s1[4];  // A^T M
    for (int j = 0; j < 4; ++j) {
      const __m512 m0 = _mm512_load_ps(mp + (0 + j) * xi_stride), m1 = _mm512_load_ps(mp + (4 + j) * xi_stride);
      const __m512 m2 = _mm512_load_ps(mp + (8 + j) * xi_stride), m3 = _mm512_load_ps(mp + (12 + j) * xi_stride);
      s0[j] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
      s1[j] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
    }
    top[k] = _mm512_add_ps(_mm512_add_ps(s0[0], s0[1]), s0[2]);  // (A^T M) A
    top[8 + k] = _mm512_sub_ps(_mm512_sub_ps(s0[1], s0[2]), s0[3]);
    bottom[k] = _mm512_add_ps(_mm512_add_ps(s1[0], s1[1]), s1[2]);
    bottom[8 + k] = _mm512_sub_ps(_mm512_sub_ps(s1[1], s1[2]), s1[3]);
  }
  transpose16(top);  // [j]: channel co + j, lanes k (column 2 k) and 8 + k (column 2 k + 1)
  transpose16(bottom);
  const __m512i interleave = _mm512_set_epi32(15, 7, 14, 6, 13, 5, 12, 4, 11, 3, 10, 2, 9, 1, 8, 0);
  const __mmask16 mask = static_cast<__mmask16>((1u << (2 * n)) - 1u);
  const int64_t hw = a.h * a.w;
  for (int dy = 0; dy < 2; ++dy) {
    const __m512* r = dy == 0 ? top : bottom;
    const int64_t at = (2 * ty + dy) * a.w + 2 * tx0;
    for (int j = 0; j < 16; ++j) {
      __m512 o = _mm512_permutexvar_ps(interleave, r[j]);
      if (a.bias) o = _mm512_add_ps(o, _mm512_set1_ps(a.bias[co + j]));
      if (a.residual) o = _mm512_add_ps(o, _mm512_maskz_loadu_ps(mask, a.residual + (co + j) * hw + at));
      if (a.relu) o = _mm512_max_ps(o, _mm512_setzero_ps());
      _mm512_mask_storeu_ps(a.y + (co + j) * hw + at, mask, o);
    }
  }
}

// The zero-padded input rows of tile rows [ty0, ty0 + rows) into `in`, then their V.
void transform_band(const WinogradConvArgs& a, int64_t ty0, int64_t rows, float* in, float* v) {
  const int64_t tw = a.w / 2, wb = winograd_band_width(a);
  const int kt = winograd_micro_tiles(a);
  const int64_t band_rows = 2 * rows + 2, plane = band_rows * wb;
  const int64_t strips = winograd_strips(a, rows);
  winograd_fill_band(a, ty0, rows, in);

  // Lane p of column j of a patch row: element 2 p + j of the run's first 32 (one run), or
  // of the first run's 16 (p < split) and the second's (p >= split).
  alignas(64) int32_t lanes[4][16];
  const int split = strip_at(tw, kt, 0).split;
  for (int j = 0; j < 4; ++j)
    for (int p = 0; p < 16; ++p)
      lanes[j][p] = split == kt          ? (2 * p + j) & 31
                    : p < split          ? 2 * p + j
                    : p < 2 * split      ? 16 + 2 * (p - split) + j
                                         : 0;
  __m512i idx[4];
  for (int j = 0; j < 4; ++j) idx[j] = _mm512_load_si512(lanes[j]);

  const int64_t xi_stride = strips * a.c * 16;  // V[xi][strip][c][16]
  for (int64_t s = 0; s < strips; ++s) {
    const Strip st = strip_at(tw, kt, s);
    const bool second = st.split < kt && st.row0 + 1 < rows;
    for (int64_t c = 0; c < a.c; ++c) {
      const float* p0 = in + c * plane + 2 * st.row0 * wb + 2 * st.tx0;
      const float* p1 = second ? in + c * plane + 2 * (st.row0 + 1) * wb : nullptr;
      input_transform(p0, p1, wb, st.split == kt, idx, v + (s * a.c + c) * 16, xi_stride);
    }
  }
}

// The outputs of F(2x2) micro-tile s of a band (tile rows from ty0, `rows` of them), one
// block of 16 nv output channels from co, from its M.
void outputs2(const WinogradConvArgs& a, const float* m, int64_t ty0, int64_t rows, int64_t s, int kt, int nv,
              int64_t co) {
  const Strip st = strip_at(a.w / 2, kt, s);
  for (int q = 0; q < nv; ++q) {
    if (st.split == kt) {  // runs of at most 8 tiles
      for (int p = 0; p < kt; p += 8)
        output_run(a, m, nv, kt, q, p, std::min(8, kt - p), ty0 + st.row0, st.tx0 + p, co + 16 * q);
    } else {
      output_run(a, m, nv, kt, q, 0, st.split, ty0 + st.row0, 0, co + 16 * q);
      if (st.row0 + 1 < rows) output_run(a, m, nv, kt, q, st.split, st.split, ty0 + st.row0 + 1, 0, co + 16 * q);
    }
  }
}

// ---------------------------------------------------------------- 6 x 6 patches
// F(4x4, 3x3) and F(2x2, 5x5) (T = 4 or 2). A micro-tile is two runs of L tiles (L = 7 of
// 14 lanes, or 4 of 8): a run's patches span T (L - 1) + 6 <= 30 columns, one 32-float
// window. Lanes 0 .. L - 1 take the first run, L .. 2 L - 1 the second. Where a tile row
// is one run (7 tiles: F(4x4) 28 wide, F(2x2) 14; 4: F(4x4) 16 and 14 wide) the runs are
// two tile rows (paired); else they are consecutive tiles of one tile row.
struct Strip4 {
  int64_t row_a, tx_a, row_b, tx_b;  // tile row and first tile column of each run
  bool has_b;                        // false: the paired map's last, odd tile row
};

Strip4 strip4_at(const WinogradConvArgs& a, int64_t rows, int64_t s) {
  const int64_t tw = winograd_tiles_wide(a);
  const int kt = winograd_micro_tiles(a);
  if (winograd_paired(a)) return {2 * s, 0, 2 * s + 1, 0, 2 * s + 1 < rows};
  const int64_t per_row = tw / kt;
  const int64_t row = s / per_row, tx = (s % per_row) * kt;
  return {row, tx, row, tx + kt / 2, true};
}

// One 6-point B^T transform (nn_conv_winograd.h) of d[0..5] into r[0..5].
inline void bt6(const __m512 d[6], __m512 r[6]) {
  const __m512 four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f), two = _mm512_set1_ps(2.0f);
  r[0] = _mm512_fmadd_ps(four, d[0], _mm512_fnmadd_ps(five, d[2], d[4]));
  const __m512 p = _mm512_fnmadd_ps(four, d[1], d[3]);  // d3 - 4 d1
  const __m512 q = _mm512_fnmadd_ps(four, d[2], d[4]);  // d4 - 4 d2
  r[1] = _mm512_add_ps(p, q);
  r[2] = _mm512_sub_ps(q, p);
  const __m512 e = _mm512_mul_ps(two, _mm512_sub_ps(d[3], d[1]));
  const __m512 f = _mm512_sub_ps(d[4], d[2]);
  r[3] = _mm512_add_ps(f, e);
  r[4] = _mm512_sub_ps(f, e);
  r[5] = _mm512_fmadd_ps(four, d[1], _mm512_fnmadd_ps(five, d[3], d[5]));
}

// V[xi] of one micro-tile, one channel: `pa` / `pb` the runs' patch tops (pb null: zero),
// `run_b` the second run's lanes.
inline void input_transform4(const float* pa, const float* pb, int64_t wb, const __m512i ia[6], const __m512i ib[6],
                             __mmask16 run_b, float* v, int64_t xi_stride) {
  __m512 d[6][6];
  for (int i = 0; i < 6; ++i) {
    const __m512 lo_a = _mm512_loadu_ps(pa + i * wb), hi_a = _mm512_loadu_ps(pa + i * wb + 16);
    const __m512 lo_b = pb ? _mm512_loadu_ps(pb + i * wb) : _mm512_setzero_ps();
    const __m512 hi_b = pb ? _mm512_loadu_ps(pb + i * wb + 16) : _mm512_setzero_ps();
    for (int j = 0; j < 6; ++j)
      d[i][j] = _mm512_mask_blend_ps(run_b, _mm512_permutex2var_ps(lo_a, ia[j], hi_a),
                                     _mm512_permutex2var_ps(lo_b, ib[j], hi_b));
  }
  __m512 r[6][6];  // B^T d, column by column
  for (int j = 0; j < 6; ++j) {
    __m512 col[6], out[6];
    for (int i = 0; i < 6; ++i) col[i] = d[i][j];
    bt6(col, out);
    for (int i = 0; i < 6; ++i) r[i][j] = out[i];
  }
  for (int i = 0; i < 6; ++i) {  // (B^T d) B, row by row
    __m512 out[6];
    bt6(r[i], out);
    for (int j = 0; j < 6; ++j) _mm512_store_ps(v + (6 * i + j) * xi_stride, out[j]);
  }
}

void transform_band4(const WinogradConvArgs& a, int64_t ty0, int64_t rows, float* in, float* v) {
  const int64_t wb = winograd_band_width(a), plane = (a.tile * rows + a.kernel - 1) * wb;
  const int t = a.tile;  // the patches' column stride: 4 (F(4x4, 3x3)) or 2 (F(2x2, 5x5))
  const int64_t strips = winograd_strips(a, rows);
  winograd_fill_band(a, ty0, rows, in);
  // Lane p, patch column j: element T p + j of run a's window (p < L), T (p - L) + j of
  // run b's (L <= p < 2 L).
  const int run = winograd_micro_tiles(a) / 2;
  const __mmask16 run_b = static_cast<__mmask16>(((1u << (2 * run)) - 1u) & ~((1u << run) - 1u));
  alignas(64) int32_t la[6][16], lb[6][16];
  for (int j = 0; j < 6; ++j)
    for (int p = 0; p < 16; ++p) {
      la[j][p] = p < run ? t * p + j : 0;
      lb[j][p] = p >= run && p < 2 * run ? t * (p - run) + j : 0;
    }
  __m512i ia[6], ib[6];
  for (int j = 0; j < 6; ++j) {
    ia[j] = _mm512_load_si512(la[j]);
    ib[j] = _mm512_load_si512(lb[j]);
  }
  const int64_t xi_stride = strips * a.c * 16;  // V[xi][strip][c][16]
  for (int64_t s = 0; s < strips; ++s) {
    const Strip4 st = strip4_at(a, rows, s);
    for (int64_t c = 0; c < a.c; ++c) {
      const float* pa = in + c * plane + t * (st.row_a * wb + st.tx_a);
      const float* pb = st.has_b ? in + c * plane + t * (st.row_b * wb + st.tx_b) : nullptr;
      input_transform4(pa, pb, wb, ia, ib, run_b, v + (s * a.c + c) * 16, xi_stride);
    }
  }
}

// One 6-point A^T transform of m[0..5] into y[0..T-1]: F(4x4, 3x3)'s 4 x 6 A^T, or
// F(2x2, 5x5)'s 2 x 6 (its first row, and 1 -1 2 -2 at the finite points, 1 at infinity).
template <int T>
inline void at6(const __m512 m[6], __m512 y[T]) {
  const __m512 s12 = _mm512_add_ps(m[1], m[2]), d12 = _mm512_sub_ps(m[1], m[2]);
  const __m512 s34 = _mm512_add_ps(m[3], m[4]), d34 = _mm512_sub_ps(m[3], m[4]);
  y[0] = _mm512_add_ps(_mm512_add_ps(m[0], s12), s34);
  if constexpr (T == 2) {
    y[1] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(2.0f), d34, d12), m[5]);
  } else {
    y[1] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), d34, d12);
    y[2] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), s34, s12);
    y[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.0f), d34, d12), m[5]);
  }
}

// Output rows T ty .. T ty + T - 1, columns T tx0 .. T tx0 + T n - 1 (n <= 16 / T tiles,
// lanes p0 ..), channels co .. co + 15 (vector q of the block), from M ([xi][p][16 NV], kt
// tiles), 6 x 6 patches.
template <int T>
void output_run6(const WinogradConvArgs& a, const float* m, int nv, int kt, int q, int p0, int n, int64_t ty,
                 int64_t tx0, int64_t co) {
  constexpr int kPer = 16 / T;  // tiles per 16 lanes
  __m512 y[T][16];              // [dy][T k + dx]: Y(dy, dx) of tile k, 16 channels
  const int64_t xi_stride = kt * nv * 16;
  for (int k = 0; k < kPer; ++k) {
    if (k >= n) {
      for (int dy = 0; dy < T; ++dy)
        for (int dx = 0; dx < T; ++dx) y[dy][T * k + dx] = _mm512_setzero_ps();
      continue;
    }
    const float* mp = m + ((p0 + k) * nv + q) * 16;
    __m512 t[T][6];  // A^T M
    for (int j = 0; j < 6; ++j) {
      __m512 col[6], out[T];
      for (int i = 0; i < 6; ++i) col[i] = _mm512_load_ps(mp + (6 * i + j) * xi_stride);
      at6<T>(col, out);
      for (int dy = 0; dy < T; ++dy) t[dy][j] = out[dy];
    }
    for (int dy = 0; dy < T; ++dy) {  // (A^T M) A
      __m512 out[T];
      at6<T>(t[dy], out);
      for (int dx = 0; dx < T; ++dx) y[dy][T * k + dx] = out[dx];
    }
  }
  // The columns and rows inside the map (a 14-wide map's last 4 x 4 tile has 2 of 4).
  const int64_t cols = std::min<int64_t>(T * n, a.w - T * tx0);
  const __mmask16 mask = static_cast<__mmask16>((1u << cols) - 1u);
  const int64_t hw = a.h * a.w;
  for (int dy = 0; dy < T && T * ty + dy < a.h; ++dy) {
    transpose16(y[dy]);  // [j]: channel co + j, lane T k + dx: column T (tx0 + k) + dx
    const int64_t at = (T * ty + dy) * a.w + T * tx0;
    for (int j = 0; j < 16; ++j) {
      __m512 o = y[dy][j];
      if (a.bias) o = _mm512_add_ps(o, _mm512_set1_ps(a.bias[co + j]));
      if (a.residual) o = _mm512_add_ps(o, _mm512_maskz_loadu_ps(mask, a.residual + (co + j) * hw + at));
      if (a.relu) o = _mm512_max_ps(o, _mm512_setzero_ps());
      _mm512_mask_storeu_ps(a.y + (co + j) * hw + at, mask, o);
    }
  }
}

// The outputs of a 6 x 6-patch micro-tile s, as outputs2.
template <int T>
void outputs6(const WinogradConvArgs& a, const float* m, int64_t ty0, int64_t rows, int64_t s, int kt, int nv,
              int64_t co) {
  constexpr int kPer = 16 / T;  // T x T tiles of 16 / T a group: T columns each fill the 16 lanes
  const int run = kt / 2;
  const Strip4 st = strip4_at(a, rows, s);
  for (int q = 0; q < nv; ++q) {
    for (int r = 0; r < (st.has_b ? 2 : 1); ++r) {
      const int64_t row = r == 0 ? st.row_a : st.row_b, tx = r == 0 ? st.tx_a : st.tx_b;
      for (int p = 0; p < run; p += kPer)
        output_run6<T>(a, m, nv, kt, q, run * r + p, std::min(kPer, run - p), ty0 + row, tx + p, co + 16 * q);
    }
  }
}

// Tile rows [ty0, ty1) of one image, one band.
void band(const WinogradConvArgs& a, int64_t ty0, int64_t ty1, float* scratch) {
  const bool six = winograd_six(a);
  const int64_t rows = ty1 - ty0, wb = winograd_band_width(a);
  const int kt = winograd_micro_tiles(a);
  const int64_t strips = winograd_strips(a, rows);
  const BandScratch b = band_scratch(a, (a.tile * rows + a.kernel - 1) * wb, strips, scratch);
  if (!a.v_in) (six ? transform_band4 : transform_band)(a, ty0, rows, b.in, b.v_fill);
  auto outputs = !six ? outputs2 : a.tile == 4 ? outputs6<4> : outputs6<2>;
  if (a.v_out) return;

  const int64_t co_end = a.co_end < 0 ? a.cout : std::min(a.co_end, a.cout);
  for (int64_t co = a.co_begin; co < co_end; co += kWinogradBlock) {
    const int nv = a.cout - co >= kWinogradBlock ? 2 : 1;
    const float* u = a.u + co * winograd_xis(a) * a.c;
    for (int64_t s = 0; s < strips; ++s) {
      products(a, b.v, u, strips, s, kt, nv, b.m);
      outputs(a, b.m, ty0, rows, s, kt, nv, co);
    }
  }
}

}  // namespace

void winograd_conv_avx512(const WinogradConvArgs& a, int64_t ty0, int64_t ty1, float* scratch) {
  if (a.v_out || a.v_in) return band(a, ty0, ty1, scratch);  // a shared V: one band
  const int64_t step = winograd_band_tile_rows(a);
  for (int64_t t = ty0; t < ty1; t += step) band(a, t, std::min(ty1, t + step), scratch);
}

}  // namespace braid::detail
