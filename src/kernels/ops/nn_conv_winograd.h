// 3x3 (and 5x5) stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3),
// F(4x4, 3x3) or F(2x2, 5x5):
// each T x T block of outputs (a tile, T = 2 or 4) from the (T + 2) x (T + 2) input patch
// around it, in (T + 2)^2 products per channel pair instead of 9 T^2. Per tile and input
// channel the patch d becomes V = B^T d B, per channel pair the 3 x 3 weights g become
// U = G g G^T (once, at load), the (T + 2)^2 GEMMs M[xi] = sum_c V[xi][t][c] U[xi][c][co] run
// over all tiles, and each tile's outputs are A^T M A, plus the bias, a fused residual and
// the fused ReLU. F(2x2, 3x3):
//
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
//
// 2.25x fewer multiply-adds than the direct convolution, for two transforms (adds only,
// vectorised) and weights 16/9 the size. F(4x4, 3x3) (points 0, +-1, +-2):
//
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
//
// 4x fewer multiply-adds, transforms of 6 x 6 (with a few multiplies by 2-8) per 16
// outputs, weights 4x the size. F(2x2, 5x5) (5x5 windows, pads 2) on the same points and
// row scales, so with the same B^T:
//
//   G   = [1/4 0 0 0 0; -1/6 (1 1 1 1 1); -1/6 (1 -1 1 -1 1); 1/24 (1 2 4 8 16);
//          1/24 (1 -2 4 -8 16); 0 0 0 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 1]
//
// 36 products per 2 x 2 tile instead of 100. The rounding differs from the direct sum (the transforms
// add and subtract values before the products): the worst-case bound grows by a constant
// factor (larger for F(4x4)), while against a double reference the errors measured stay
// well within the direct paths' bound (docs/kernels.md, path 7); the result does not
// depend on the thread count.
//
// The GEMM's micro-tile is the narrow kernel's: 14 tiles x 32 output channels, the tiles'
// V values broadcast, the weights two aligned loads per input channel. AVX-512 only.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/cpu_features.h"
#include "kernels/ops/nn_conv_attrs.h"

namespace braid::detail {

struct WinogradConvArgs {
  const float* x = nullptr;         // [c, h, w] of one image
  const float* u = nullptr;         // packed by pack_winograd_weights
  const float* bias = nullptr;      // [cout] or nullptr
  const float* residual = nullptr;  // [cout, h, w], added before the ReLU, or nullptr
  float* y = nullptr;               // [cout, h, w]
  int64_t c = 0, cout = 0, h = 0, w = 0;  // input and output are h x w (pads 1)
  bool relu = false;
  // The output channels to compute: [co_begin, co_end), block-aligned (multiples of 32),
  // co_end -1: to cout. Every call transforms the whole input band for them...
  int64_t co_begin = 0, co_end = -1;
  // ... unless the transform is shared: then a call covers [ty0, ty1) as one band, and with
  // `v_out` set (winograd_v_floats(a, ty1 - ty0) of them) it only transforms the input
  // into it; with `v_in` set it only computes its output channels from that V, so that
  // calls for different channel blocks (run on different threads) transform the input
  // once between them. The bits are the same.
  float* v_out = nullptr;
  const float* v_in = nullptr;
  int tile = 2;    // T: F(2x2, 3x3) or F(4x4, 3x3) (winograd_tile); U packed for it
  int kernel = 3;  // K: 3, or 5 for F(2x2, 5x5) (pads 2)
};

constexpr int kWinogradTiles = 14;  // tiles per micro-tile (the GEMM's N block)
constexpr int kWinogradTilesNarrow = 8;  // ... on maps 8 or a multiple of 16 wide
constexpr int kWinogradBlock = 32;  // output channels per weight block
constexpr int64_t kWinogradMaxChannelPairs = 57344;  // F(2x2): U within 3.5 MiB (winograd_tile)

// 2-D, group 1, 3x3, stride 1, dilation 1, pads 1 on every side; input and output channels
// multiples of 16 (whole vectors, no masks). F(2x2): an even number of output rows, each 14
// wide (a micro-tile: the 7 tiles of two tile rows) or a multiple of 28 (micro-tiles of 14
// tiles of one tile row), or 8 wide or a multiple of 16 (micro-tiles of 8 tiles: 4 of two
// tile rows, or 8 of one): resnet's and inception's 56, 28 and 14 wide 3x3 layers, the
// ensemble's 64, 32, 16 and 8 wide ones. F(4x4): a multiple of 4 output rows, each 28 wide
// (two tile rows of 7 tiles a micro-tile), a multiple of 56 (14 tiles of one row), 16 wide
// (two tile rows of 4 tiles) or a multiple of 32 (8 tiles of one row): resnet's and
// inception's 56 and 28 wide ones, the ensemble's 64, 32 and 16 wide ones; 1024 channel
// pairs at least (F(2x2): 2048), U within kWinograd4MaxChannelPairs. And 14 wide, any
// number of rows from 4 (two tile rows of 4 tiles, the last tile row and column half
// outside the map), up to kWinograd4MaxChannelPairs14: resnet's and inception's 14 x 14
// layers.
// Returns the tile, 4 where both apply, or 0 where neither does.
int winograd_tile(const ConvGeometry& g);
// BRAID_CONV_WINOGRAD=0 keeps these layers on the other paths; BRAID_CONV_WINOGRAD4=0 keeps
// them on F(2x2) (read once; switches for A/B runs of one binary).
bool winograd_enabled();
constexpr int64_t kWinograd4MaxChannelPairs = 25600;  // U (36 floats a pair) within ~3.5 MiB
constexpr int64_t kWinograd4MaxChannelPairs14 = 65536;  // on 14-wide maps (one band: U read once)

// (T + K - 1)^2: the GEMMs per tile, the floats of U per channel pair.
constexpr int winograd_xis(int tile, int kernel) { return (tile + kernel - 1) * (tile + kernel - 1); }
inline int winograd_xis(const WinogradConvArgs& a) { return winograd_xis(a.tile, a.kernel); }
// Whether the patches are 6 x 6 (F(4x4, 3x3) and F(2x2, 5x5): the same B^T, the runs of
// transform_band4), not F(2x2, 3x3)'s 4 x 4.
inline bool winograd_six(const WinogradConvArgs& a) { return a.tile + a.kernel - 1 == 6; }
// Floats of the packed weights: blocks of 32 output channels (the last one 16 or 32 wide),
// each [xis][cin][lanes] (xi-major: the GEMMs' B operands one after the other).
int64_t winograd_packed_floats(int64_t cout, int64_t cin, int tile, int kernel);
// W [cout][cin][K][K] -> U = G g G^T per channel pair, in double, rounded once.
void pack_winograd_weights(const float* w, int64_t cout, int64_t cin, int tile, int kernel, float* dst);

// Tile rows (T output rows each) per band: its transformed input stays within ~1 MB of L2
// (even where a micro-tile takes two tile rows).
int64_t winograd_band_tile_rows(const WinogradConvArgs& a);
// Micro-tiles of 14 tiles in `tile_rows` tile rows.
int64_t winograd_strips(const WinogradConvArgs& a, int64_t tile_rows);
// Tiles per row and tile rows: F(4x4) on a 14 x 14 map has 4 x 4 tiles, the last row and
// column of them half outside the map (computed on zero padding, not stored).
inline int64_t winograd_tiles_wide(const WinogradConvArgs& a) { return (a.w + a.tile - 1) / a.tile; }
inline int64_t winograd_tile_rows(const WinogradConvArgs& a) { return (a.h + a.tile - 1) / a.tile; }
// Tiles per micro-tile for this map: 14 where the tile rows are 7 or a multiple of 14
// tiles, else 8.
inline int winograd_micro_tiles(const WinogradConvArgs& a) {
  return winograd_tiles_wide(a) % 7 == 0 ? kWinogradTiles : kWinogradTilesNarrow;
}
// Whether a micro-tile takes two tile rows of half its tiles each (F(2x2): maps 14 or 8
// wide; F(4x4): 28, 16 or 14 wide).
inline bool winograd_paired(const WinogradConvArgs& a) { return winograd_tiles_wide(a) * 2 == winograd_micro_tiles(a); }
// The band's row width: the tiles' columns + the pads, + room for the last micro-tile's
// 32-float loads (6 x 6 patches: each run of kt / 2 tiles is one 32-float window from its
// first tile's column).
inline int64_t winograd_band_width(const WinogradConvArgs& a) {
  const int64_t tw = winograd_tiles_wide(a);
  const int kt = winograd_micro_tiles(a);
  if (!winograd_six(a)) return a.tile * tw + (kt == kWinogradTiles ? 4 : 16);
  const int64_t last_run = winograd_paired(a) ? 0 : tw - kt / 2;
  return std::max<int64_t>(a.tile * tw + a.kernel - 1, a.tile * last_run + 32);
}
// The zero-padded input rows of tile rows [ty0, ty0 + tile_rows) of one image into `band`
// (c planes of T tile_rows + K - 1 rows of winograd_band_width): band row r is input row
// T ty0 - P + r, band column j input column j - P (P = (K - 1) / 2, the pads); zero
// outside the image.
void winograd_fill_band(const WinogradConvArgs& a, int64_t ty0, int64_t tile_rows, float* band);
// Floats of the scratch that tile rows [ty0, ty1) need (a band at most).
int64_t winograd_scratch_floats(const WinogradConvArgs& a, int64_t tile_rows);
// Floats of the transformed input V of `tile_rows` tile rows (WinogradConvArgs::v_out).
int64_t winograd_v_floats(const WinogradConvArgs& a, int64_t tile_rows);

// Tile rows [ty0, ty1) of one image (output rows T ty0 .. T ty1 - 1), in bands;
// `scratch`: winograd_scratch_floats(a, min(band, ty1 - ty0)) floats, 64-byte aligned.
using WinogradConvFn = void (*)(const WinogradConvArgs& a, int64_t ty0, int64_t ty1, float* scratch);

// The variant for these CPU features (chosen once, at kernel creation); nullptr if none.
WinogradConvFn winograd_conv_for(const CpuFeatures& features);

void winograd_conv_avx512(const WinogradConvArgs& a, int64_t ty0, int64_t ty1, float* scratch);

}  // namespace braid::detail
