#include "kernels/ops/nn_im2col.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace braid::detail {
namespace {

// Writes `count` values of patch row `kk` starting at block column `col` into the panel
// layout: from src with `stride` (src == nullptr: zeros).
inline void emit(float* dst, int64_t kc, int nr, int64_t kk, int64_t col, int64_t count, const float* src,
                 int64_t stride) {
  while (count > 0) {
    const int64_t lane = col % nr;
    const int64_t len = std::min<int64_t>(count, nr - lane);
    float* out = dst + (col / nr) * kc * nr + kk * nr + lane;
    if (src == nullptr) {
      std::memset(out, 0, static_cast<size_t>(len) * sizeof(float));
    } else if (stride == 1) {
      std::memcpy(out, src, static_cast<size_t>(len) * sizeof(float));
      src += len;
    } else {
      for (int64_t i = 0; i < len; ++i) out[i] = src[i * stride];
      src += len * stride;
    }
    col += len;
    count -= len;
  }
}

// ceil(a / b) for b > 0 and any a.
inline int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

}  // namespace

void im2col_pack_scalar(const void* ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr, float* dst) {
  const Im2colSource& s = *static_cast<const Im2colSource*>(ctx);
  const int64_t panels = (nc + nr - 1) / nr;
  const int64_t padded = panels * nr;
  if (padded > nc) {
    float* last = dst + (panels - 1) * kc * nr;
    for (int64_t kk = 0; kk < kc; ++kk)
      std::memset(last + kk * nr + (nc - (panels - 1) * nr), 0, static_cast<size_t>(padded - nc) * sizeof(float));
  }
  const int64_t plane = s.id * s.ih * s.iw;
  const int64_t ox0 = n0 % s.ow, oy0 = (n0 / s.ow) % s.oh, oz0 = n0 / (s.ow * s.oh);
  for (int64_t kk = 0; kk < kc; ++kk) {
    const int64_t k = k0 + kk;
    const int64_t kx = k % s.kw, ky = (k / s.kw) % s.kh, kz = (k / (s.kw * s.kh)) % s.kd;
    const int64_t c = k / (s.kw * s.kh * s.kd);
    const float* xc = s.x + c * plane;
    int64_t j = 0, ox = ox0, oy = oy0, oz = oz0;
    while (j < nc) {
      // One output row: consecutive x positions.
      const int64_t run = std::min(s.ow - ox, nc - j);
      const int64_t iz = oz * s.sd - s.pd + kz * s.dd;
      const int64_t iy = oy * s.sh - s.ph + ky * s.dh;
      if (iz < 0 || iz >= s.id || iy < 0 || iy >= s.ih) {
        emit(dst, kc, nr, kk, j, run, nullptr, 0);
      } else {
        const float* xrow = xc + (iz * s.ih + iy) * s.iw;
        const int64_t ix0 = ox * s.sw - s.pw + kx * s.dw;
        // Positions t of the run with 0 <= ix0 + t * sw < iw.
        const int64_t lo = std::clamp<int64_t>(ceil_div(-ix0, s.sw), 0, run);
        const int64_t hi = std::clamp<int64_t>(ceil_div(s.iw - ix0, s.sw), lo, run);
        if (lo > 0) emit(dst, kc, nr, kk, j, lo, nullptr, 0);
        if (hi > lo) emit(dst, kc, nr, kk, j + lo, hi - lo, xrow + ix0 + lo * s.sw, s.sw);
        if (run > hi) emit(dst, kc, nr, kk, j + hi, run - hi, nullptr, 0);
      }
      j += run;
      ox = 0;
      if (++oy == s.oh) {
        oy = 0;
        ++oz;
      }
    }
  }
}

void im2col_t_pack_scalar(const void* ctx, int64_t m0, int64_t mc, int64_t k0, int64_t kc, int mr, float* dst) {
  const Im2colSource& s = *static_cast<const Im2colSource*>(ctx);
  const int64_t plane = s.id * s.ih * s.iw;
  std::vector<int64_t> iz0(static_cast<size_t>(mr)), iy0(static_cast<size_t>(mr)), ix0(static_cast<size_t>(mr));
  for (int64_t i0 = 0; i0 < mc; i0 += mr) {
    const int64_t rows = std::min<int64_t>(mr, mc - i0);
    float* out = dst + i0 * kc;
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t p = m0 + i0 + r;
      iz0[static_cast<size_t>(r)] = p / (s.ow * s.oh) * s.sd - s.pd;
      iy0[static_cast<size_t>(r)] = (p / s.ow) % s.oh * s.sh - s.ph;
      ix0[static_cast<size_t>(r)] = p % s.ow * s.sw - s.pw;
    }
    for (int64_t kk = 0; kk < kc; ++kk) {
      const int64_t k = k0 + kk;
      const int64_t kx = k % s.kw, ky = (k / s.kw) % s.kh, kz = (k / (s.kw * s.kh)) % s.kd;
      const float* xc = s.x + k / (s.kw * s.kh * s.kd) * plane;
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t iz = iz0[static_cast<size_t>(r)] + kz * s.dd, iy = iy0[static_cast<size_t>(r)] + ky * s.dh;
        const int64_t ix = ix0[static_cast<size_t>(r)] + kx * s.dw;
        const bool inside = iz >= 0 && iz < s.id && iy >= 0 && iy < s.ih && ix >= 0 && ix < s.iw;
        out[kk * rows + r] = inside ? xc[(iz * s.ih + iy) * s.iw + ix] : 0.0f;
      }
    }
  }
}

int64_t im2col_padded_size(Im2colSource& s) {
  if (s.id != 1 || s.kd != 1 || s.od != 1 || s.sw != 1 || s.kh * s.kw < 3) return 0;
  // Last input row / column read (may lie in the end padding), in input coordinates.
  const int64_t ymax = (s.oh - 1) * s.sh + (s.kh - 1) * s.dh - s.ph;
  const int64_t xmax = (s.ow - 1) + (s.kw - 1) * s.dw - s.pw;
  s.hp = ymax + s.ph + 1;
  s.wp = xmax + s.pw + 1;
  return s.channels * s.hp * s.wp;
}

Im2colPackFn im2col_padded_pack_for(const CpuFeatures& f) {
#if defined(__x86_64__) || defined(__i386__)
  if (f.has_avx512()) return im2col_padded_pack_avx512;
#endif
  (void)f;
  return nullptr;
}

Im2colTPackFn im2col_t_pack_for(const CpuFeatures& f) {
#if defined(__x86_64__) || defined(__i386__)
  if (f.has_avx512()) return im2col_t_pack_avx512;
#endif
  (void)f;
  return im2col_t_pack_scalar;
}

Im2colPackFn im2col_pack_for(const CpuFeatures& f) {
#if defined(__x86_64__) || defined(__i386__)
  if (f.has_avx512()) return im2col_pack_avx512;
#endif
  (void)f;
  return im2col_pack_scalar;
}

}  // namespace braid::detail
