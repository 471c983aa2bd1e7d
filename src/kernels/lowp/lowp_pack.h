// Conversions shared by every low-precision variant, compiled once without ISA flags:
// weight packing (bf16 rounding, per-channel int8 quantization) into a LowpArch's layout,
// and per-call activation conversion into the scratch the micro-kernels read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "kernels/lowp/lowp_arch.h"
#include "kernels/lowp/lowp_gemm.h"

namespace braid::detail {

// 64-byte aligned bytes (packed weights).
class LowpBuffer {
 public:
  LowpBuffer() = default;
  explicit LowpBuffer(size_t bytes);
  std::byte* data() { return data_.get(); }
  const std::byte* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  std::unique_ptr<std::byte, Free> data_;
  size_t size_ = 0;
};

struct Bf16Weights::Impl {
  const LowpArch* arch = nullptr;
  int64_t n = 0, k = 0, kp = 0;  // kp: k padded to the layout's kgroup
  LowpBuffer data;               // bf16 panels (lowp_arch.h)
};

struct Int8Weights::Impl {
  const LowpArch* arch = nullptr;
  int64_t n = 0, k = 0, kp = 0;
  LowpBuffer data;               // s8 or s16 panels
  std::unique_ptr<float[]> scale;   // per channel: max|w(n,:)| / 127 (1 for a zero row)
  std::unique_ptr<int32_t[]> wsum;  // per channel: sum_k q(n, k), for the zero point
};

// Round-to-nearest-even f32 -> bf16; NaN stays a (quiet) NaN of the same sign.
uint16_t lowp_f32_to_bf16(float f) noexcept;
float lowp_bf16_to_f32(uint16_t h) noexcept;

inline int64_t lowp_round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

namespace {  // internal linkage: also compiled into the ISA translation units

// Element index of k-group g of row m in k-group-major scratch (x given K x M): blocks of
// mc rows (the last one shorter), each holding its rows' group 0, then group 1, ..., so
// a micro-kernel walks one block with a small stride. `rows` is args.m.
inline int64_t lowp_group_major_index(int64_t m, int64_t g, int64_t rows, int64_t kp, int64_t mc,
                                      int kgroup) {
  const int64_t b0 = m / mc * mc;
  const int64_t cur = rows - b0 < mc ? rows - b0 : mc;
  return b0 * kp + (g * cur + (m - b0)) * kgroup;
}

// The end of the run of rows from m that stays inside one block of mc rows, capped at end.
inline int64_t lowp_block_run_end(int64_t m, int64_t end, int64_t mc) {
  const int64_t block_end = (m / mc + 1) * mc;
  return block_end < end ? block_end : end;
}

}  // namespace

// Packed-weight element index of w(n, k) in a layout (lowp_arch.h).
int64_t lowp_packed_index(const LowpLayout& layout, int64_t kp, int64_t n, int64_t k);

// One activation row's quantization: q = clamp(rne(x * inv) + zp, 0, 255) with
// sa = (hi - lo) / 255 over lo = min(0, min x), hi = max(0, max x) (sa = 1, zp = 0 for an
// all-zero row), inv = 1 / sa, zp = rne(-lo / sa). Compiled once, so every variant's
// quantizer uses the very same scale and zero point.
struct LowpRowQuant {
  float inv = 1.0f;
  float zp = 0.0f;  // an integer in [0, 255], as a float to clamp before rounding
  float sa = 1.0f;
};
LowpRowQuant lowp_row_quant(float lo, float hi) noexcept;

// Activation rows [m0, m1) of x into the arch's scratch (row m at dst + m * kp elements of
// act_bytes, zero past k): int8 quantized as above, also writing rscale[m] = alpha * sa
// and zp[m] (the portable LowpArch::convert); bf16 rounded (rscale, zp unused).
void lowp_quantize_rows(const LowpGemmArgs& args, int64_t kp, int64_t m0, int64_t m1, int act_bytes,
                        std::byte* dst, float* rscale, int32_t* zp);
void lowp_round_rows(const LowpGemmArgs& args, int64_t kp, int64_t m0, int64_t m1, int act_bytes,
                     std::byte* dst);

}  // namespace braid::detail
