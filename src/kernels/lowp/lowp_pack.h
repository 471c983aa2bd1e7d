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

// Activation rows [m0, m1) of x (one M block) into dst, row m0 first: row m at
// dst + (m - m0) * kp elements of act_bytes, zero past k. int8 quantizes as above and
// writes rscale[m - m0] = alpha * sa and zp[m - m0] (the portable LowpArch::convert);
// bf16 rounds (rscale, zp unused).
void lowp_quantize_rows(const LowpGemmArgs& args, int64_t kp, int64_t m0, int64_t m1, int act_bytes,
                        std::byte* dst, float* rscale, int32_t* zp);
void lowp_round_rows(const LowpGemmArgs& args, int64_t kp, int64_t m0, int64_t m1, int act_bytes,
                     std::byte* dst);

}  // namespace braid::detail
