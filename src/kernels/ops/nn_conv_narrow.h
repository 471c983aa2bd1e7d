// Convolutions with the output channels in the vector lanes, first written for few input
// channels: the RGB stems of CNNs (3 -> 64, 7x7, stride 2 in resnet and inception). As a
// GEMM their K is only C_in * kh * kw (147 for the stems) while the output has ~10^4
// positions, so the usual layout (weights as A, positions in vector lanes) pays per-tap
// lane masks, a parity-plane copy at stride 2 and a short K for every tile. Here a tile is
// 14 output positions of one row x 32 channels (28 accumulators), each input value is
// broadcast once per tap from a zero-padded band of input rows (copied per 8 or 16 output rows;
// without padding, when every tile reads inside its rows, the input itself) and each tap's
// 32 weights are two aligned loads from weights packed at load; groups of 8 tiles take
// turns over 16 KB chunks of the weights (read from L1 by all of them), the next block is
// prefetched into L2 on its predecessor's first pass. The tile is transposed to
// NCHW in registers on the way out, with the bias, a fused residual and the fused ReLU.
// Single precision, 2-D, group 1, dilation 1, stride 1 or 2 along x (any along y); AVX-512
// only (elsewhere Conv keeps its other paths).
//
// The same tile beats the GEMM paths on wider layers whose output rows are whole tiles (14
// to 56 positions, or any multiple of 14 at stride 2, where the GEMM paths pack patches or
// split parity planes): e.g. resnet's 3x3 stride-2 layers, its 3x3 layers at 56 and
// inception's 14 x 14 ones.
//
// A MaxPool after the convolution (k x k at stride 2, k = 2 or 3; graph fusion sets it on
// the Conv: the stems, and wider layers the kernel takes with it, e.g. inception's 3x3
// 64 -> 192 at 56) runs on the convolution's rows while they are in L2: groups of pooled
// rows, each from the convolution rows it reads (the rows a group shares with the next are
// kept, not recomputed), so the convolution's full output is never written.
#pragma once

#include <cstdint>

#include "kernels/cpu_features.h"
#include "kernels/ops/nn_conv_attrs.h"

namespace braid::detail {

struct NarrowConvArgs {
  const float* x = nullptr;     // [c, ih, iw] of one image
  const float* w = nullptr;     // packed by pack_narrow_conv_weights
  const float* bias = nullptr;  // [cout] or nullptr
  float* y = nullptr;           // [cout, oh, ow] of the same image
  // Added before the ReLU, [cout, oh, ow] like y (a fused residual), or nullptr. Not with
  // y_row0 / y_plane set (the fused pool's scratch).
  const float* residual = nullptr;
  int64_t c = 0, ih = 0, iw = 0, cout = 0, oh = 0, ow = 0, kh = 0, kw = 0;
  int64_t sh = 1, sw = 1, ph = 0, pw = 0;  // ph / pw: leading pads
  bool relu = false;
  // Where output row oy of channel co goes: y + co * y_plane + (oy - y_row0) * ow
  // (y_plane 0: oh * ow, the whole map).
  int64_t y_row0 = 0, y_plane = 0;
};

// The fused MaxPool: k x k windows at stride s (2) with `pad` leading (and trailing)
// padding, giving a pooled map of ph x pw; floor rounding. `group`: pooled rows per group
// of convolution rows (narrow_conv_pool_group).
struct NarrowPool {
  int64_t k = 0, s = 2, pad = 0;
  int64_t ph = 0, pw = 0;
  int64_t group = 1;
};
constexpr int64_t kNarrowConvRows = 8;      // convolution rows per input band
// ... and where the weights pass kNarrowWeightsInL2 (they are then read from L3 once per
// band: a 14 x 14 map in one band instead of two; narrow_conv_band_rows).
constexpr int64_t kNarrowConvRowsWeightsOuter = 16;
constexpr int64_t kNarrowPoolMaxGroup = 8;  // at most this many pooled rows per group
// Packed weights past this many bytes are walked block by block over a band's rows instead
// of row by row over all blocks (they would not stay in L2 from one row to the next).
constexpr int64_t kNarrowWeightsInL2 = int64_t{1} << 20;
// A group's convolution rows (all output channels) in at most this many bytes: they stay
// in L2 until pooled.
constexpr int64_t kNarrowPoolRowsBytes = 512 * 1024;

constexpr int kNarrowConvPositions = 14;  // output positions per tile
constexpr int kNarrowConvBlock = 32;      // output channels per weight block

// Whether the kernel takes (and beats the GEMM paths on) this layer: 1-4 input channels
// with 100+ taps (the stems), or more channels over output rows of whole 14-position tiles
// at stride 2, or at stride 1 up to 56 wide (any width with a fused MaxPool), 1x1 windows
// only unpadded and on rows of one tile (measured in nn_conv_narrow.cpp). `ow` 0: not known yet (only the stems
// qualify); `padded`: any pad; `pooled`: with a fused MaxPool. The caller has checked
// group 1, dilation 1 and a 2-D convolution.
bool narrow_conv_applies(int64_t cin, int64_t cout, int64_t kh, int64_t kw, int64_t sw, int64_t ow, bool padded,
                         bool pooled = false);

// The same for a resolved geometry (any rank, group and dilation: only 2-D, group 1,
// dilation 1 qualify); what Conv decides at load and per call, and graph fusion asks
// before it fuses a MaxPool (`pooled`).
bool narrow_geometry(const ConvGeometry& g, bool pooled);

// Floats of the packed weights: blocks of 32 output channels (the last one 16 or 32 wide,
// zero-filled), each [c][kh][kw][lanes].
int64_t narrow_conv_packed_floats(int64_t cout, int64_t cin, int64_t kh, int64_t kw);
void pack_narrow_conv_weights(const float* w, int64_t cout, int64_t cin, int64_t kh, int64_t kw, float* dst);

// The band's row width: every tile reads columns up to (tiles * 14 - 1) * sw + kw - 1,
// past the last output where ow is not a multiple of 14 (those lanes are computed and
// dropped); and the padded input row must fit.
int64_t narrow_conv_band_width(const NarrowConvArgs& a);

// Floats of the scratch band that narrow_conv needs for output rows [oy0, oy1).
int64_t narrow_conv_band_floats(const NarrowConvArgs& a, int64_t rows);
// Output rows per band for an unpooled call: kNarrowConvRowsWeightsOuter where the packed
// weights pass kNarrowWeightsInL2, else kNarrowConvRows.
int64_t narrow_conv_band_rows(const NarrowConvArgs& a);

// Output rows [oy0, oy1) of one image; `band` has narrow_conv_band_floats(a, oy1 - oy0)
// floats, 64-byte aligned.
using NarrowConvFn = void (*)(const NarrowConvArgs& a, int64_t oy0, int64_t oy1, float* band);

// Pooled rows [py0, py1) of one image (a.y: the pooled map, [cout, ph, pw]); `band` as for
// narrow_conv with kNarrowConvRows rows, `rows` has narrow_conv_pool_rows_floats floats.
using NarrowConvPoolFn = void (*)(const NarrowConvArgs& a, const NarrowPool& pool, int64_t py0, int64_t py1,
                                  float* band, float* rows);
int64_t narrow_conv_pool_rows_floats(const NarrowConvArgs& a, const NarrowPool& pool);

// Pooled rows per group for this layer (pool.group): up to kNarrowPoolMaxGroup, fewer
// where a group's convolution rows would not fit in kNarrowPoolRowsBytes.
int64_t narrow_conv_pool_group(const NarrowConvArgs& a, const NarrowPool& pool);

// The variants for these CPU features (chosen once, at kernel creation); nullptr where there
// is none.
NarrowConvFn narrow_conv_for(const CpuFeatures& features);
NarrowConvPoolFn narrow_conv_pool_for(const CpuFeatures& features);

void narrow_conv_avx512(const NarrowConvArgs& a, int64_t oy0, int64_t oy1, float* band);
void narrow_conv_pool_avx512(const NarrowConvArgs& a, const NarrowPool& pool, int64_t py0, int64_t py1, float* band,
                             float* rows);

}  // namespace braid::detail
