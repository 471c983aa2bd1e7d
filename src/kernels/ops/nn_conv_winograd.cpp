// Winograd F(2x2, 3x3) and F(4x4, 3x3) convolution (nn_conv_winograd.h): eligibility, the
// weight transform, the band copy, the scratch sizes and the variant table. The kernels
// themselves are AVX-512 only.
#include "kernels/ops/nn_conv_winograd.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/env_switch.h"

namespace braid::detail {

int winograd_tile(const ConvGeometry& g) {
  if (g.rank() != 2 || g.group != 1) return 0;
  const int64_t k = g.kernel[0];
  if (k != 3 && k != 5) return 0;
  for (int i = 0; i < 2; ++i)
    if (g.kernel[i] != k || g.stride[i] != 1 || g.dilation[i] != 1 || g.pad_begin[i] != (k - 1) / 2 ||
        g.pad_end[i] != (k - 1) / 2)
      return 0;
  const int64_t w = g.out[1], pairs = g.in_channels * g.out_channels;
  if (g.in_channels % 16 != 0 || g.out_channels % 16 != 0) return 0;
  static const bool four = env_switch_on("BRAID_CONV_WINOGRAD4");
  // F(2x2, 5x5): 6 x 6 patches as F(4x4, 3x3)'s, two runs of 7 or 4 tiles at stride 2 a
  // micro-tile; 36 products per 2 x 2 tile instead of 100 (docs/kernels.md, "Session 24").
  if (k == 5)
    return four && pairs >= 1024 && pairs <= kWinograd4MaxChannelPairs && g.out[0] >= 2 &&
                   (w == 14 || w == 16 || (w > 0 && (w % 28 == 0 || w % 32 == 0)))
               ? 2
               : 0;
  // F(4x4) where its micro-tiles fit the rows (two runs of 7 tiles, or of 4), from 1024
  // channel pairs, with U within ~3.5 MiB: resnet's and inception's 56 and 28 wide layers,
  // the ensemble's 64, 32 and 16 wide ones. Its 3x3 32 -> 32 at 64 (1024 pairs), 1.17-1.21x
  // slower on F(2x2) than direct, takes 0.50x the direct time on F(4x4) (docs/kernels.md,
  // "Session 24").
  if (four && pairs >= 1024 && pairs <= kWinograd4MaxChannelPairs && g.out[0] % 4 == 0 && g.out[0] >= 4 &&
      (w == 28 || w == 16 || (w > 0 && (w % 56 == 0 || w % 32 == 0))))
    return 4;
  // And on 14-wide maps, in tiles of which the last row and column are half outside the map,
  // up to 65536 channel pairs (9 MiB of U: resnet's 256 -> 256): the map is one band there,
  // so U streams once per layer. BM_ConvColdWeights resnet 3x3 256 -> 256 at 14, one
  // thread: 2.16-2.21 ms direct, 0.95 on F(4x4); inception's 14 x 14 layers 0.79-0.82 of
  // F(2x2) or direct (docs/kernels.md, "Session 24").
  if (four && pairs >= 1024 && pairs <= kWinograd4MaxChannelPairs14 && g.out[0] >= 4 && w == 14) return 4;
  // F(2x2): at least 2048 channel pairs: the ensemble's 3x3 32 -> 32 at 64 ran 1.17-1.21x
  // slower at one thread (its products are short, the transforms and the transpose
  // relatively long), its 32 -> 64 at 32 0.67x (docs/kernels.md, "Session 18"). At most
  // 57344 channel pairs (U, 16 floats a pair, within 3.5 MiB): past that U
  // streams from L3 for every band at 16/9 the direct kernel's weight bytes. In the model,
  // one thread, the layers before it having evicted U, resnet's 3x3 256 -> 256 at 14 (4 MiB
  // of U) ran 0.87-0.88x as long on the direct path (two runs of 4-6 alternating rounds);
  // inception's 160 -> 320 and 144 -> 288 at 14 (3.1, 2.5 MiB) were within the host's
  // noise either way (docs/kernels.md, "Session 20").
  if (pairs >= 2048 && pairs <= kWinogradMaxChannelPairs && g.out[0] % 2 == 0 && g.out[0] >= 2 &&
      (w == 14 || w == 8 || (w > 0 && (w % 28 == 0 || w % 16 == 0))))
    return 2;
  return 0;
}

bool winograd_enabled() {
  static const bool on = env_switch_on("BRAID_CONV_WINOGRAD");
  return on;
}

int64_t winograd_packed_floats(int64_t cout, int64_t cin, int tile, int kernel) {
  const int64_t lanes = (cout + 15) / 16 * 16;
  return winograd_xis(tile, kernel) * cin * lanes;
}

void pack_winograd_weights(const float* w, int64_t cout, int64_t cin, int tile, int kernel, float* dst) {
  static constexpr double G2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  static constexpr double G4[6][3] = {{1.0 / 4, 0, 0},
                                      {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                      {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                      {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                      {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                      {0, 0, 1}};
  // F(2x2, 5x5): the points of F(4x4, 3x3) (0, +-1, +-2, infinity) with the same row
  // scales, so B^T is the same; row i of G is c_i (1, p_i, .., p_i^4).
  static constexpr double c5[5] = {1.0 / 4, -1.0 / 6, -1.0 / 6, 1.0 / 24, 1.0 / 24}, p5[5] = {0, 1, -1, 2, -2};
  double G5[6][5] = {};
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) G5[i][j] = c5[i] * std::pow(p5[i], j);
  G5[5][4] = 1;
  const int n = tile + kernel - 1, xis = n * n, kk = kernel * kernel;
  auto gm = [&](int i, int j) { return kernel == 5 ? G5[i][j] : tile == 4 ? G4[i][j] : G2[i][j]; };
  for (int64_t co0 = 0; co0 < cout; co0 += kWinogradBlock) {
    const int64_t lanes = std::min<int64_t>(kWinogradBlock, cout - co0);
    float* block = dst + co0 * xis * cin;  // earlier blocks are all 32 wide
    for (int64_t l = 0; l < lanes; ++l)
      for (int64_t c = 0; c < cin; ++c) {
        const float* g = w + ((co0 + l) * cin + c) * kk;
        double gg[6][5] = {};  // G g
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < kernel; ++j)
            for (int t = 0; t < kernel; ++t) gg[i][j] += gm(i, t) * g[t * kernel + j];
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < n; ++j) {
            double u = 0;  // (G g G^T)[i][j]
            for (int t = 0; t < kernel; ++t) u += gg[i][t] * gm(j, t);
            block[((i * n + j) * cin + c) * lanes + l] = static_cast<float>(u);
          }
      }
  }
}

void winograd_fill_band(const WinogradConvArgs& a, int64_t ty0, int64_t tile_rows, float* band) {
  const int64_t pad = (a.kernel - 1) / 2, rows = a.tile * tile_rows + a.kernel - 1;
  const int64_t wb = winograd_band_width(a), plane = rows * wb;
  for (int64_t c = 0; c < a.c; ++c) {
    for (int64_t r = 0; r < rows; ++r) {
      float* row = band + c * plane + r * wb;
      const int64_t iy = a.tile * ty0 - pad + r;
      if (iy < 0 || iy >= a.h) {
        std::memset(row, 0, static_cast<size_t>(wb) * sizeof(float));
        continue;
      }
      std::fill(row, row + pad, 0.0f);
      std::memcpy(row + pad, a.x + (c * a.h + iy) * a.w, static_cast<size_t>(a.w) * sizeof(float));
      std::fill(row + pad + a.w, row + wb, 0.0f);
    }
  }
}

int64_t winograd_strips(const WinogradConvArgs& a, int64_t tile_rows) {
  const int64_t tw = winograd_tiles_wide(a);
  return winograd_paired(a) ? (tile_rows + 1) / 2 : tile_rows * (tw / winograd_micro_tiles(a));
}

int64_t winograd_band_tile_rows(const WinogradConvArgs& a) {
  const int64_t row_bytes = winograd_xis(a) * winograd_tiles_wide(a) * a.c * 4;  // V of one tile row
  int64_t rows = std::clamp<int64_t>((1024 * 1024) / std::max<int64_t>(1, row_bytes), 1, winograd_tile_rows(a));
  if (winograd_paired(a) && rows > 1) rows &= ~int64_t{1};  // strips of two tile rows
  return rows;
}

int64_t winograd_v_floats(const WinogradConvArgs& a, int64_t tile_rows) {
  return winograd_xis(a) * winograd_strips(a, tile_rows) * a.c * 16;  // V[xi][strip][c][16 lanes]
}

int64_t winograd_scratch_floats(const WinogradConvArgs& a, int64_t tile_rows) {
  const int64_t band = a.c * (a.tile * tile_rows + a.kernel - 1) * winograd_band_width(a);  // zero-padded input
  const int64_t v = winograd_v_floats(a, tile_rows);
  const int64_t m = winograd_xis(a) * kWinogradTiles * kWinogradBlock;  // one micro-tile's M (at most)
  return (band + 15) / 16 * 16 + v + m;
}

WinogradConvFn winograd_conv_for(const CpuFeatures& f) {
#if defined(__x86_64__) || defined(__i386__)
  if (f.has_avx512() && f.fma) return winograd_conv_avx512;
#endif
  (void)f;
  return nullptr;
}

}  // namespace braid::detail
