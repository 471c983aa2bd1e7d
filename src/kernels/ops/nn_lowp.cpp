#include "kernels/ops/nn_lowp.h"

#include <algorithm>
#include <cstring>

namespace braid::detail {
namespace {

std::atomic<size_t> g_converted_bytes{0};

}  // namespace

LowpWeights::LowpWeights(const float* w, int64_t n, int64_t k, int64_t ldw, bool w_is_nk)
    : w_(w), n_(n), k_(k), ldw_(ldw), w_is_nk_(w_is_nk) {}

const Bf16Weights& LowpWeights::bf16() const {
  std::call_once(bf16_once_, [this] {
    bf16_ = Bf16Weights::pack(w_, n_, k_, ldw_, w_is_nk_, best_bf16_isa());
    g_converted_bytes.fetch_add(bf16_.bytes(), std::memory_order_relaxed);
  });
  return bf16_;
}

const Int8Weights& LowpWeights::int8() const {
  std::call_once(int8_once_, [this] {
    int8_ = Int8Weights::pack(w_, n_, k_, ldw_, w_is_nk_, best_int8_isa());
    g_converted_bytes.fetch_add(int8_.bytes(), std::memory_order_relaxed);
  });
  return int8_;
}

void lowp_gemm(Precision p, const LowpGemmArgs& args, const LowpWeights& w, int max_threads) {
  if (p == Precision::kInt8) gemm_int8(args, w.int8(), max_threads);
  else gemm_bf16(args, w.bf16(), max_threads);
}

void lowp_pad_input(const LowpPatchGeometry& g, const float* x, float* xp) {
  const int64_t hp = g.hp(), wp = g.wp();
  // Input columns [x0, x1) land at padded columns [x0 + pw, x1 + pw); the rest is zero.
  const int64_t x0 = std::max<int64_t>(0, -g.pw), x1 = std::min<int64_t>(g.iw, wp - g.pw);
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t r = 0; r < hp; ++r) {
      float* row = xp + (c * hp + r) * wp;
      const int64_t iy = r - g.ph;
      if (iy < 0 || iy >= g.ih || x1 <= x0) {
        std::memset(row, 0, static_cast<size_t>(wp) * sizeof(float));
        continue;
      }
      const int64_t left = x0 + g.pw, right = x1 + g.pw;
      std::memset(row, 0, static_cast<size_t>(left) * sizeof(float));
      std::memcpy(row + left, x + (c * g.ih + iy) * g.iw + x0, static_cast<size_t>(x1 - x0) * sizeof(float));
      std::memset(row + right, 0, static_cast<size_t>(wp - right) * sizeof(float));
    }
}

void lowp_patches(const LowpPatchGeometry& g, const float* xp, int64_t m0, int64_t mc, float* dst) {
  const int64_t hp = g.hp(), wp = g.wp();
  int64_t k = 0;
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t ky = 0; ky < g.kh; ++ky)
      for (int64_t kx = 0; kx < g.kw; ++kx, ++k) {
        const float* plane = xp + c * hp * wp + ky * g.dh * wp + kx * g.dw;
        float* out = dst + k * mc;
        // Walk the block one output row segment at a time.
        int64_t oy = m0 / g.ow, ox = m0 % g.ow;
        for (int64_t j = 0; j < mc;) {
          const int64_t len = std::min(g.ow - ox, mc - j);
          const float* src = plane + oy * g.sh * wp + ox * g.sw;
          if (g.sw == 1) {
            std::memcpy(out + j, src, static_cast<size_t>(len) * sizeof(float));
          } else {
            for (int64_t t = 0; t < len; ++t) out[j + t] = src[t * g.sw];
          }
          j += len;
          ox = 0;
          ++oy;
        }
      }
}

size_t lowp_weight_bytes() { return g_converted_bytes.load(std::memory_order_relaxed); }

}  // namespace braid::detail
