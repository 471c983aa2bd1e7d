// The low-precision side of MatMul, Gemm and Conv: a layer's constant f32 weights,
// converted to bf16 / int8 (kernels/lowp) the first time a run asks for that precision and
// then shared by every later call. Kernels that hold one report bf16 and int8 in
// OpKernel::precisions().
//
//   auto w = std::make_unique<LowpWeights>(b->data<float>(), n, k, /*ldw=*/n, /*w_is_nk=*/false);
//   if (ctx.precision != Precision::kF32) lowp_gemm(ctx.precision, args, *w, ctx.max_threads);
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "braid/precision.h"
#include "kernels/lowp/lowp_gemm.h"

namespace braid::detail {

class LowpWeights {
 public:
  // w(n, k) = w_is_nk ? w[n * ldw + k] : w[k * ldw + n]; `w` must outlive this object
  // (a graph constant does). Converts nothing yet.
  LowpWeights(const float* w, int64_t n, int64_t k, int64_t ldw, bool w_is_nk);
  LowpWeights(const LowpWeights&) = delete;
  LowpWeights& operator=(const LowpWeights&) = delete;

  int64_t rows() const noexcept { return n_; }
  int64_t depth() const noexcept { return k_; }
  // The converted weights, converted on first use. Thread-safe.
  const Bf16Weights& bf16() const;
  const Int8Weights& int8() const;

 private:
  const float* w_;
  int64_t n_, k_, ldw_;
  bool w_is_nk_;
  mutable std::once_flag bf16_once_, int8_once_;
  mutable Bf16Weights bf16_;
  mutable Int8Weights int8_;
};

// c = gemm(x, w) at precision p (kBF16 or kInt8; kF32 is the caller's own path).
void lowp_gemm(Precision p, const LowpGemmArgs& args, const LowpWeights& w, int max_threads);

// Conv patches for the low-precision path, 1-D/2-D. The input of one (image, group) is
// first copied zero-padded (pad_input: `channels` planes of hp x wp, the input at row
// ph, column pw, sized so every patch read lies inside); patches() then writes the patch
// matrix of output positions [m0, m0 + mc) as K x mc, row k = (c, ky, kx) in W's order:
// dst[k * mc + j]. No bounds checks; a stride-1 row segment is one memcpy.
struct LowpPatchGeometry {
  int64_t channels = 0;
  int64_t ih = 1, iw = 1, kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, ph = 0, pw = 0, oh = 1, ow = 1;
  int64_t hp() const { return (oh - 1) * sh + (kh - 1) * dh + 1; }
  int64_t wp() const { return (ow - 1) * sw + (kw - 1) * dw + 1; }
};
void lowp_pad_input(const LowpPatchGeometry& g, const float* x, float* xp);
void lowp_patches(const LowpPatchGeometry& g, const float* xp, int64_t m0, int64_t mc, float* dst);

// Bytes of converted weights held by every LowpWeights of the process. Thread-safe.
size_t lowp_weight_bytes();

}  // namespace braid::detail
