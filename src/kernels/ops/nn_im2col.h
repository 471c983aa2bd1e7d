// Implicit im2col for Conv: a GemmBSource that packs blocks of the (C*k) x (output
// positions) patch matrix straight from the NCHW input, so the full matrix is never
// materialised. 1-D and 2-D convolutions are the 3-D case with unit leading dims.
#pragma once

#include <cstdint>

#include "kernels/gemm/gemm.h"

namespace braid::detail {

struct Im2colSource {
  const float* x = nullptr;  // channel 0 of this group in this image: [channels, id, ih, iw]
  int64_t channels = 0;
  int64_t id = 1, ih = 1, iw = 1;
  int64_t kd = 1, kh = 1, kw = 1;
  int64_t sd = 1, sh = 1, sw = 1;
  int64_t dd = 1, dh = 1, dw = 1;
  int64_t pd = 0, ph = 0, pw = 0;  // leading pads
  int64_t od = 1, oh = 1, ow = 1;

  // Rows are (c, kz, ky, kx) in W's order; columns are output positions (z, y, x).
  GemmBSource source() const;
};

}  // namespace braid::detail
