// Convolutions with few input channels: the RGB stems of CNNs (3 -> 64, 7x7, stride 2 in
// resnet and inception; 3 -> 32..48 in the ensemble). As a GEMM their K is only C_in * kh *
// kw (147 for the stems) while the output has ~10^4 positions, so the usual layout (weights
// as A, positions in vector lanes) pays per-tap lane masks, a parity-plane copy at stride
// 2 and a short K for every tile. Here the output channels fill the vector lanes instead:
// a tile is 14 output positions of one row x 32 channels (28 accumulators), each input
// value is broadcast once per tap from a zero-padded band of input rows and each tap's 32
// weights are two aligned loads from weights packed at load. The tile is transposed to
// NCHW in registers on the way out, with the bias and the fused ReLU. Single precision,
// 2-D, group 1, dilation 1, stride 1 or 2 along x (any along y); AVX-512 only (elsewhere
// Conv keeps its other paths).
#pragma once

#include <cstdint>

#include "kernels/cpu_features.h"

namespace braid::detail {

struct NarrowConvArgs {
  const float* x = nullptr;     // [c, ih, iw] of one image
  const float* w = nullptr;     // packed by pack_narrow_conv_weights
  const float* bias = nullptr;  // [cout] or nullptr
  float* y = nullptr;           // [cout, oh, ow] of the same image
  int64_t c = 0, ih = 0, iw = 0, cout = 0, oh = 0, ow = 0, kh = 0, kw = 0;
  int64_t sh = 1, sw = 1, ph = 0, pw = 0;  // ph / pw: leading pads
  bool relu = false;
};

constexpr int kNarrowConvPositions = 14;  // output positions per tile
constexpr int kNarrowConvBlock = 32;      // output channels per weight block

// Few enough input channels, and a geometry the kernel handles (the caller has checked
// group 1, dilation 1 and a 2-D convolution).
bool narrow_conv_applies(int64_t cin, int64_t cout, int64_t kh, int64_t kw, int64_t sw);

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

// Output rows [oy0, oy1) of one image; `band` has narrow_conv_band_floats(a, oy1 - oy0)
// floats, 64-byte aligned.
using NarrowConvFn = void (*)(const NarrowConvArgs& a, int64_t oy0, int64_t oy1, float* band);

// The variant for these CPU features (chosen once, at kernel creation); nullptr where there
// is none.
NarrowConvFn narrow_conv_for(const CpuFeatures& features);

void narrow_conv_avx512(const NarrowConvArgs& a, int64_t oy0, int64_t oy1, float* band);

}  // namespace braid::detail
