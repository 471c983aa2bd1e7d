// The portable low-precision variants: the reference every SIMD variant is tested against
// (int8 results are bit-identical: the same s32 sums and the same epilogue; bf16 too, as
// long as no product is subnormal: a bf16 x bf16 product is exact in f32, so acc + a*b
// rounds once, like an FMA, in the same k order).
#include <cstring>

#include "kernels/lowp/lowp_arch.h"
#include "kernels/lowp/lowp_epilogue.h"
#include "kernels/lowp/lowp_pack.h"

namespace braid::detail {
namespace {

constexpr int kNr = 16;
constexpr int kMr = 4;

// Rows [r0, r0+R) of one panel: acc(r, c) += sum_k a(r, k) * w(c, k) over kgroups of 4.
template <int R>
void int8_tile(const LowpBlock& blk, int64_t r0, int64_t panel) {
  const auto* w = static_cast<const int8_t*>(blk.w) + panel * blk.wstride;
  const auto* a = static_cast<const uint8_t*>(blk.a) + r0 * blk.a_row;
  int32_t acc[R][kNr] = {};
  for (int64_t k = 0; k < blk.kc; k += 4) {
    const int8_t* wk = w + k * kNr;
    for (int r = 0; r < R; ++r) {
      const uint8_t* ak = a + r * blk.a_row + k / 4 * blk.a_group;
      for (int c = 0; c < kNr; ++c) {
        acc[r][c] += ak[0] * wk[c * 4] + ak[1] * wk[c * 4 + 1] + ak[2] * wk[c * 4 + 2] +
                     ak[3] * wk[c * 4 + 3];
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    int32_t* out = static_cast<int32_t*>(blk.acc) + (r0 + r) * blk.ldacc + panel * kNr;
    for (int c = 0; c < kNr; ++c) out[c] = blk.first ? acc[r][c] : out[c] + acc[r][c];
  }
}

void int8_macro(const LowpBlock& blk) {
  for (int64_t panel = 0; panel * kNr < blk.nc; ++panel) {
    int64_t r = 0;
    for (; r + kMr <= blk.mc; r += kMr) int8_tile<kMr>(blk, r, panel);
    for (; r < blk.mc; ++r) int8_tile<1>(blk, r, panel);
  }
}

inline float bf16_to_f32(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

template <int R>
void bf16_tile(const LowpBlock& blk, int64_t r0, int64_t panel) {
  const auto* w = static_cast<const uint16_t*>(blk.w) + panel * blk.wstride;
  const auto* a = static_cast<const std::byte*>(blk.a) + r0 * blk.a_row;
  float acc[R][kNr];
  for (int r = 0; r < R; ++r) {
    const float* prev = static_cast<const float*>(blk.acc) + (r0 + r) * blk.ldacc + panel * kNr;
    for (int c = 0; c < kNr; ++c) acc[r][c] = blk.first ? 0.0f : prev[c];
  }
  for (int64_t k = 0; k < blk.kc; ++k) {
    float wk[kNr];
    for (int c = 0; c < kNr; ++c) wk[c] = bf16_to_f32(w[k * kNr + c]);
    for (int r = 0; r < R; ++r) {
      float av;
      std::memcpy(&av, a + r * blk.a_row + k * blk.a_group, sizeof av);
      for (int c = 0; c < kNr; ++c) acc[r][c] = acc[r][c] + av * wk[c];
    }
  }
  for (int r = 0; r < R; ++r) {
    float* out = static_cast<float*>(blk.acc) + (r0 + r) * blk.ldacc + panel * kNr;
    for (int c = 0; c < kNr; ++c) out[c] = acc[r][c];
  }
}

void bf16_macro(const LowpBlock& blk) {
  for (int64_t panel = 0; panel * kNr < blk.nc; ++panel) {
    int64_t r = 0;
    for (; r + kMr <= blk.mc; r += kMr) bf16_tile<kMr>(blk, r, panel);
    for (; r < blk.mc; ++r) bf16_tile<1>(blk, r, panel);
  }
}

void int8_convert(const LowpGemmArgs& args, int64_t kp, int64_t m0, int64_t m1, std::byte* dst,
                  float* rscale, int32_t* zp) {
  lowp_quantize_rows(args, kp, m0, m1, 1, dst, rscale, zp);
}

void bf16_convert(const LowpGemmArgs& args, int64_t kp, int64_t m0, int64_t m1, std::byte* dst,
                  float*, int32_t*) {
  lowp_round_rows(args, kp, m0, m1, 4, dst);
}

}  // namespace

const LowpArch& lowp_int8_arch_scalar() {
  static const LowpArch arch{LowpIsa::kScalar, LowpLayout{kNr, 4, false}, 1, 1, kMr,
                             512, kMr * 16, kNr * 16, int8_macro, lowp_int8_epilogue, int8_convert};
  return arch;
}

const LowpArch& lowp_bf16_arch_scalar() {
  static const LowpArch arch{LowpIsa::kScalar, LowpLayout{kNr, 1, false}, 2, 4, kMr,
                             256, kMr * 16, kNr * 16, bf16_macro, lowp_bf16_epilogue, bf16_convert};
  return arch;
}

}  // namespace braid::detail
