// Implicit im2col for Conv: a GemmBSource that packs blocks of the (C*k) x (output
// positions) patch matrix straight from the NCHW input, so the full matrix is never
// materialised. 1-D and 2-D convolutions are the 3-D case with unit leading dims. The
// packing routine has an AVX-512 variant (masked vector copies) chosen once per kernel.
#pragma once

#include <cstdint>

#include "kernels/cpu_features.h"
#include "kernels/gemm/gemm.h"

namespace braid::detail {

// Same contract as GemmBSource::pack; ctx is an Im2colSource. nr must be a power of two.
using Im2colPackFn = void (*)(const void* ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr, float* dst);
// Same contract as GemmASource::pack, for the transposed matrix (positions x patch rows).
using Im2colTPackFn = void (*)(const void* ctx, int64_t m0, int64_t mc, int64_t k0, int64_t kc, int mr, float* dst);

struct Im2colSource {
  const float* x = nullptr;  // channel 0 of this group in this image: [channels, id, ih, iw]
  int64_t channels = 0;
  int64_t id = 1, ih = 1, iw = 1;
  int64_t kd = 1, kh = 1, kw = 1;
  int64_t sd = 1, sh = 1, sw = 1;
  int64_t dd = 1, dh = 1, dw = 1;
  int64_t pd = 0, ph = 0, pw = 0;  // leading pads
  int64_t od = 1, oh = 1, ow = 1;
  // A zero-padded copy of x (2-D, stride 1 along x only; see im2col_padded_size): element
  // (c, iy, ix) at xp[(c * hp + iy + ph) * wp + ix + pw]; every read of the patch matrix
  // is then inside it, so packing needs no bounds checks. nullptr: not used.
  const float* xp = nullptr;
  int64_t hp = 0, wp = 0;
  Im2colPackFn pack = nullptr;      // from im2col_pack_for() or im2col_padded_pack_for()
  Im2colTPackFn pack_t = nullptr;   // from im2col_t_pack_for()

  // Rows are (c, kz, ky, kx) in W's order; columns are output positions (z, y, x).
  GemmBSource source() const { return GemmBSource{pack, this}; }
  // The transpose: rows are output positions, columns (c, kz, ky, kx). For convolutions
  // with few output positions, where Y^T = patches^T * W^T fills the vector lanes better.
  GemmASource transposed_source() const { return GemmASource{pack_t, this}; }
};

// The packing variant for these CPU features (chosen once, at kernel creation).
Im2colPackFn im2col_pack_for(const CpuFeatures& features);

void im2col_pack_scalar(const void* ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr, float* dst);
void im2col_pack_avx512(const void* ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr, float* dst);

// The padded-input variant (stride 1 along x, 2-D): packs from Im2colSource::xp with one
// or two unchecked loads per 16 lanes. nullptr where the CPU has no such variant.
Im2colPackFn im2col_padded_pack_for(const CpuFeatures& features);
void im2col_padded_pack_avx512(const void* ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr, float* dst);

// Floats of the padded copy for this geometry, or 0 when the padded variant does not apply
// (not 2-D, stride along x != 1, or a 1-2 tap kernel, whose copy would cost about as much
// as the packing it saves). Sets s.hp / s.wp.
int64_t im2col_padded_size(Im2colSource& s);
// Writes the padded copy of s.x (hp x wp per channel) into xp and points s.xp at it. Only
// where im2col_padded_pack_for() returned a variant (it is compiled with the same ISA).
void im2col_pad_input_avx512(Im2colSource& s, float* xp);

// The parity planes of a stride-2 convolution's input (GemmDirectB with planes > 1): of
// channel c, the kept plane `slot` (parity (py, px) = kept[slot]) holds
//   x[c, y * sy + py, x * sx + px]   at out[((c * kept_count + slot) * hs + y) * ws + x],
// 0 where that pixel lies outside the ih x iw image; sy, sx in {1, 2}. AVX-512 only, like
// the direct GEMM that reads it.
struct ParityPlanes {
  int64_t channels = 0, ih = 0, iw = 0;
  int sy = 1, sx = 1;
  int64_t hs = 0, ws = 0;  // ceil(ih / sy), ceil(iw / sx)
  int kept_count = 0;
  int kept_py[4] = {}, kept_px[4] = {};
};
void split_parity_planes_avx512(const ParityPlanes& p, const float* x, float* out);

Im2colTPackFn im2col_t_pack_for(const CpuFeatures& features);
void im2col_t_pack_scalar(const void* ctx, int64_t m0, int64_t mc, int64_t k0, int64_t kc, int mr, float* dst);
void im2col_t_pack_avx512(const void* ctx, int64_t m0, int64_t mc, int64_t k0, int64_t kc, int mr, float* dst);

}  // namespace braid::detail
