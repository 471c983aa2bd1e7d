// Narrow-input convolution (nn_conv_narrow.h): eligibility, the weight layout, the band's
// size and the variant table. The kernel itself is AVX-512 only.
#include "kernels/ops/nn_conv_narrow.h"

#include <algorithm>

namespace braid::detail {

// Up to 4 input channels (RGB, RGBA) with at least 100 taps (C_in * kh * kw): a tile's
// transpose and stores cost as much as ~25 taps, so short ones lose to the GEMM paths
// (BM_Conv, 1 thread: 7x7 3->64 at 224, 147 taps, 951-1000 against 1084-1134 us; the
// ensemble's 5x5 3->48, 75 taps, 43 against 39; its 3x3 3->32, 27 taps, 71 against 42).
// More input channels: every tile full (ow a multiple of 14: 7 x 7 maps run half-empty
// tiles, 2x slower), and either stride 2 (the GEMM paths pack patches or split parity
// planes: resnet 3x3 s2 64->128 at 56 and 128->256 at 28 529-542 -> 467-469 us, 2 threads
// 278-310 -> 236) or rows of 14-28 (3x3 256->256 at 14 976-995 -> 906-920, inception's
// 14 x 14 3x3 and 5x5 layers 8-11% faster, its 28 x 28 ones 1-2%) or rows of 42-56 with
// windows past 1x1 (at 56, sessions 11-14's machine: as fast as the GEMM path for 64 -> 64,
// 6% slower for 64 -> 192; session 16's, where L3 is slow: resnet's 3x3 64 -> 64 13-15%
// faster in BM_Conv and 12-17% per node in the model at 1 and 2 threads, 64 -> 192 5-11%
// faster; docs/kernels.md, "Session 16"; wider rows are not measured). With a fused MaxPool
// any width of whole tiles: the GEMM path would write the whole convolution to a scratch
// and pool it there, while this kernel pools it from L2 (inception's 3x3 64 -> 192 at 56
// with its 3x3 stride-2 pool, per node in the model: 3.3-3.7 ms -> 3.0 ms in a noisy
// spell of the host, 3.0-3.1 -> 2.91-2.96 in a quieter one). A 1x1 layer only without
// padding, where the tile reads the input in place (copied into a padded band, 1x1 layers
// lost 10-25% to the GEMM, which reads them in place too; in place, inception's 1x1 layers
// at 14 x 14 are 7-10% faster), and only on rows of one tile: at 28 x 28 they were 0-3%
// faster on the machine of sessions 11-14 but 28-48% slower in the model on session 15's
// (an Intel Xeon whose L3 reads at a quarter of that machine's rate: a tile broadcasts from
// one row of every input channel, hundreds of streams no prefetcher follows, and a 28 x 28
// input no longer stays close), and resnet's 1x1 stride-2 projection at 56 -> 28 13%
// slower (docs/kernels.md, "Session 15"). Up to 2304 taps (256 channels x 3 x 3):
// a weight block of 32 channels then stays within 300 KB of L2 beside the input band.
// Output channels: at least one vector.
bool narrow_conv_applies(int64_t cin, int64_t cout, int64_t kh, int64_t kw, int64_t sw, int64_t ow, bool padded,
                         bool pooled) {
  if (cin < 1 || cout < 16 || kh * kw > 64 || (sw != 1 && sw != 2)) return false;
  const int64_t taps = cin * kh * kw;
  if (cin <= 4) return taps >= 100;
  if ((kh * kw == 1 && (padded || ow > kNarrowConvPositions)) || taps > 2304 || ow <= 0 ||
      ow % kNarrowConvPositions != 0)
    return false;
  return sw == 2 || ow <= 4 * kNarrowConvPositions || pooled;
}

bool narrow_geometry(const ConvGeometry& g, bool pooled) {
  const bool padded = g.pad_begin[0] != 0 || g.pad_begin[1] != 0 || g.pad_end[0] != 0 || g.pad_end[1] != 0;
  return g.group == 1 && g.rank() == 2 && g.dilation[0] == 1 && g.dilation[1] == 1 &&
         narrow_conv_applies(g.in_channels, g.out_channels, g.kernel[0], g.kernel[1], g.stride[1], g.out[1], padded,
                             pooled);
}

int64_t narrow_conv_packed_floats(int64_t cout, int64_t cin, int64_t kh, int64_t kw) {
  const int64_t blocks = (cout + kNarrowConvBlock - 1) / kNarrowConvBlock;
  return blocks * cin * kh * kw * kNarrowConvBlock;
}

void pack_narrow_conv_weights(const float* w, int64_t cout, int64_t cin, int64_t kh, int64_t kw, float* dst) {
  const int64_t taps = cin * kh * kw;  // W is [cout][cin][kh][kw]: tap t of channel co at co * taps + t
  for (int64_t co0 = 0; co0 < cout; co0 += kNarrowConvBlock) {
    const int64_t lanes = cout - co0 > 16 ? kNarrowConvBlock : 16;
    float* block = dst + co0 / kNarrowConvBlock * taps * kNarrowConvBlock;
    for (int64_t t = 0; t < taps; ++t)
      for (int64_t l = 0; l < lanes; ++l)
        block[t * lanes + l] = co0 + l < cout ? w[(co0 + l) * taps + t] : 0.0f;
  }
}

int64_t narrow_conv_band_width(const NarrowConvArgs& a) {
  const int64_t tiles = (a.ow + kNarrowConvPositions - 1) / kNarrowConvPositions;
  const int64_t need = std::max(tiles * kNarrowConvPositions * a.sw + a.kw, a.pw + a.iw);
  return (need + 15) / 16 * 16;
}

int64_t narrow_conv_band_floats(const NarrowConvArgs& a, int64_t rows) {
  const int64_t band_rows = (rows - 1) * a.sh + a.kh;
  return a.c * band_rows * narrow_conv_band_width(a);
}

// Resnet's 3x3 256 -> 256 at 14 (2.4 MB of packed weights), per node in the model, one
// thread, 16 rows against 8, alternating: 3-9% faster; its 28 x 28 layers (590 KB) 4%
// slower with 16, so the rest keep 8 (docs/kernels.md, "Session 16").
int64_t narrow_conv_band_rows(const NarrowConvArgs& a) {
  const int64_t bytes = narrow_conv_packed_floats(a.cout, a.c, a.kh, a.kw) * static_cast<int64_t>(sizeof(float));
  return bytes > kNarrowWeightsInL2 ? kNarrowConvRowsWeightsOuter : kNarrowConvRows;
}

// The convolution rows of one full group, channel-major.
int64_t narrow_conv_pool_rows_floats(const NarrowConvArgs& a, const NarrowPool& pool) {
  const int64_t rows = (pool.group - 1) * pool.s + pool.k;
  return a.cout * rows * a.ow;
}

int64_t narrow_conv_pool_group(const NarrowConvArgs& a, const NarrowPool& pool) {
  const int64_t row_bytes = std::max<int64_t>(1, a.cout * a.ow * static_cast<int64_t>(sizeof(float)));
  const int64_t rows = kNarrowPoolRowsBytes / row_bytes;
  const int64_t group = rows >= pool.k ? (rows - pool.k) / std::max<int64_t>(1, pool.s) + 1 : 1;
  return std::clamp<int64_t>(group, 1, kNarrowPoolMaxGroup);
}

NarrowConvPoolFn narrow_conv_pool_for(const CpuFeatures& f) {
#if defined(__x86_64__) || defined(__i386__)
  if (f.has_avx512() && f.fma) return narrow_conv_pool_avx512;
#endif
  (void)f;
  return nullptr;
}

NarrowConvFn narrow_conv_for(const CpuFeatures& f) {
#if defined(__x86_64__) || defined(__i386__)
  if (f.has_avx512() && f.fma) return narrow_conv_avx512;
#endif
  (void)f;
  return nullptr;
}

}  // namespace braid::detail
