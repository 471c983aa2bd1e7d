// The hot f32 inner loops of pooling and normalization, compiled once per ISA
// (misc_pool_norm_loops_{portable,avx2,avx512}.cpp include misc_pool_norm_loops.inc with
// their own flags). Kernels pick a table once at load:
//
//   const PoolNormLoops& loops = pool_norm_loops();  // from cpu_features()
//   loops.max_pool_2d(x_plane, y_plane, plane);
#pragma once

#include <cstdint>

namespace braid::detail::misc {

// One (n, c) plane of a 2-D pooling: geometry already resolved (pads, output size).
struct Pool2dPlane {
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  bool count_include_pad = false;  // AveragePool: divide by taps inside the padded input
};

// The banded loops (max_pool_2d_planes / avg_pool_2d_planes) copy padded rows into a
// stack band of kPoolBandFloats floats; kPoolBandSlack of it stays for reads past the rows.
constexpr int64_t kPoolBandFloats = 4096;
constexpr int64_t kPoolBandSlack = 128;

// A padded row of the band: the input columns the windows cover, rounded up to stride_w.
inline int64_t pool_band_row(const Pool2dPlane& p) {
  const int64_t needed = (p.out_w - 1) * p.stride_w + (p.kernel_w - 1) * p.dilation_w + 1;
  return (needed + p.stride_w - 1) / p.stride_w * p.stride_w;
}

// Whether the banded loops take this geometry: stride_w 1 or 2 and room in the band for
// the rows of one output row plus a spare row.
inline bool pool_2d_banded_fits(const Pool2dPlane& p) {
  if (p.out_h <= 0 || p.out_w <= 0 || (p.stride_w != 1 && p.stride_w != 2)) return false;
  const int64_t ext_h = (p.kernel_h - 1) * p.dilation_h + 1;
  return pool_band_row(p) * (ext_h + 1) + kPoolBandSlack <= kPoolBandFloats;
}

// Whether max_pool_2d_same takes this geometry: stride 1, dilation 1, an odd window of at
// most 5 x 5 padded by half its size on every side, so the output is the input's size, and
// a plane whose lane masks repeat within 256 vectors (plane / gcd(plane, 16) <= 256: every
// map up to 56 x 56, and 112 x 112 not).
inline bool pool_2d_same_fits(const Pool2dPlane& p) {
  const auto half = [](int64_t k, int64_t pad_a, int64_t pad_b) {
    return k % 2 == 1 && k <= 5 && pad_a == k / 2 && pad_b == k / 2;
  };
  const int64_t plane = p.in_h * p.in_w;
  int64_t g = 16;
  while (plane % g != 0) g /= 2;
  return plane > 0 && plane / g <= 256 && p.stride_h == 1 && p.stride_w == 1 && p.dilation_h == 1 && p.dilation_w == 1 && p.in_h > 0 && p.in_w > 0 &&
         half(p.kernel_h, p.pad_top, p.pad_bottom) && half(p.kernel_w, p.pad_left, p.pad_right);
}

// Whether max_pool_2d_s2 takes this geometry: stride 2, dilation 1, a 3 x 3 window with one
// row and column of padding before or a 2 x 2 one with none (any after, ceil_mode or not),
// every window touching the input.
inline bool pool_2d_s2_fits(const Pool2dPlane& p) {
  const int64_t k = p.kernel_w, before = k == 3 ? 1 : 0;
  return (k == 2 || k == 3) && p.kernel_h == k && p.stride_h == 2 && p.stride_w == 2 && p.dilation_h == 1 &&
         p.dilation_w == 1 && p.pad_top == before && p.pad_left == before && p.in_h > 0 && p.in_w > 0 &&
         p.out_h > 0 && p.out_w > 0 && 2 * (p.out_h - 1) - before < p.in_h && 2 * (p.out_w - 1) - before < p.in_w;
}

struct PoolNormLoops {
  const char* isa;  // "portable", "avx2" or "avx512"
  // y[out_h][out_w] = max over each window of x[in_h][in_w] (pads ignored).
  void (*max_pool_2d)(const float* x, float* y, const Pool2dPlane& p);
  // y = window mean (pads excluded, or counted as zeros with count_include_pad).
  void (*avg_pool_2d)(const float* x, float* y, const Pool2dPlane& p);
  // The same over `planes` consecutive planes, padding written into a band so every pass is
  // vector work (small planes several to a band). Only where pool_2d_banded_fits(p).
  void (*max_pool_2d_planes)(const float* x, float* y, int64_t planes, const Pool2dPlane& p);
  void (*avg_pool_2d_planes)(const float* x, float* y, int64_t planes, const Pool2dPlane& p);
  // MaxPool over `planes` consecutive planes where pool_2d_same_fits(p), the planes taken as
  // one flat array: one pass, each vector of outputs from the rows above and below (lane
  // masks from each lane's row) and its neighbours along the row by lane rotation. nullptr
  // where the ISA has no such variant (AVX-512 only).
  void (*max_pool_2d_same)(const float* x, float* y, int64_t planes, const Pool2dPlane& p);
  // MaxPool over `planes` consecutive planes where pool_2d_s2_fits(p): per output row the
  // vertical max of its two or three input rows, then even / odd lanes (and for 3 x 3 the
  // odd lanes shifted by one) of 32 columns give 16 outputs. nullptr where the ISA has none
  // (AVX-512 only).
  void (*max_pool_2d_s2)(const float* x, float* y, int64_t planes, const Pool2dPlane& p);
  float (*sum)(const float* x, int64_t n);
  float (*max)(const float* x, int64_t n);  // n >= 1
  // y = x * scale + shift.
  void (*scale_shift)(const float* x, float* y, int64_t n, float scale, float shift);
  // Mean and biased variance of x[0..n) (two passes, so no cancellation), n >= 1.
  void (*mean_variance)(const float* x, int64_t n, float* mean, float* variance);
  // y = (x - mean) * inv_std * gamma + beta, gamma and beta per element (beta may be null).
  void (*normalize_affine)(const float* x, float* y, int64_t n, float mean, float inv_std, const float* gamma,
                           const float* beta);
};

// The best table for cpu_features() (which honours the BRAID_ISA cap). Thread-safe.
const PoolNormLoops& pool_norm_loops();
// Each variant, for tests; avx2/avx512 return the portable table when not compiled in.
const PoolNormLoops& pool_norm_loops_portable();
const PoolNormLoops& pool_norm_loops_avx2();
const PoolNormLoops& pool_norm_loops_avx512();

}  // namespace braid::detail::misc
