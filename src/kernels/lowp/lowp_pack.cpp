// Weight packing and activation conversion for the low-precision GEMM (see lowp_pack.h).
#include "kernels/lowp/lowp_pack.h"

#include <cmath>
#include <cstring>
#include <new>

namespace braid::detail {
namespace {

// Round to nearest even for |v| < 2^22 without a libm call: adding 1.5 * 2^23 leaves no
// fraction bits, so the addition itself rounds (default MXCSR mode, no fast-math).
inline float rne_small(float v) {
  constexpr float kMagic = 12582912.0f;
  return (v + kMagic) - kMagic;
}

inline float weight_at(const float* w, int64_t ldw, bool w_is_nk, int64_t n, int64_t k) {
  return w_is_nk ? w[n * ldw + k] : w[k * ldw + n];
}

inline float x_at(const LowpGemmArgs& a, int64_t m, int64_t k) {
  return a.x_is_mk ? a.x[m * a.ldx + k] : a.x[k * a.ldx + m];
}

// Rows per block when x is K x M: min/max and conversion walk k outside, m inside.
constexpr int64_t kColumnRows = 64;

using RowQuant = LowpRowQuant;

// q(x) as an integer in [0, 255]: clamped to [-zp, 255 - zp] first (integers, so the
// clamp commutes with rounding), which also keeps rne_small in range.
inline int32_t quantize(float x, const RowQuant& q) {
  float t = x * q.inv;
  const float lo = -q.zp, hi = 255.0f - q.zp;
  t = t < lo ? lo : t;
  t = t > hi ? hi : t;
  t = t == t ? t : hi;  // NaN -> 255
  return static_cast<int32_t>(rne_small(t) + q.zp);
}

template <class T>
void quantize_rows_as(const LowpGemmArgs& a, int64_t kp, int64_t m0, int64_t m1, T* dst,
                      float* rscale, int32_t* zp) {
  if (a.x_is_mk) {
    for (int64_t m = m0; m < m1; ++m) {
      const float* x = a.x + m * a.ldx;
      float lo = 0.0f, hi = 0.0f;
      for (int64_t k = 0; k < a.k; ++k) {
        lo = x[k] < lo ? x[k] : lo;
        hi = x[k] > hi ? x[k] : hi;
      }
      const RowQuant q = lowp_row_quant(lo, hi);
      T* out = dst + (m - m0) * kp;
      for (int64_t k = 0; k < a.k; ++k) out[k] = static_cast<T>(quantize(x[k], q));
      for (int64_t k = a.k; k < kp; ++k) out[k] = 0;
      rscale[m - m0] = a.alpha * q.sa;
      zp[m - m0] = static_cast<int32_t>(q.zp);
    }
    return;
  }
  float lo[kColumnRows], hi[kColumnRows];
  RowQuant q[kColumnRows];
  for (int64_t b0 = m0; b0 < m1; b0 += kColumnRows) {
    const int64_t rows = m1 - b0 < kColumnRows ? m1 - b0 : kColumnRows;
    for (int64_t r = 0; r < rows; ++r) lo[r] = hi[r] = 0.0f;
    for (int64_t k = 0; k < a.k; ++k) {
      const float* x = a.x + k * a.ldx + b0;
      for (int64_t r = 0; r < rows; ++r) {
        lo[r] = x[r] < lo[r] ? x[r] : lo[r];
        hi[r] = x[r] > hi[r] ? x[r] : hi[r];
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      q[r] = lowp_row_quant(lo[r], hi[r]);
      rscale[b0 - m0 + r] = a.alpha * q[r].sa;
      zp[b0 - m0 + r] = static_cast<int32_t>(q[r].zp);
    }
    for (int64_t k = 0; k < a.k; ++k) {
      const float* x = a.x + k * a.ldx + b0;
      for (int64_t r = 0; r < rows; ++r) dst[(b0 - m0 + r) * kp + k] = static_cast<T>(quantize(x[r], q[r]));
    }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = a.k; k < kp; ++k) dst[(b0 - m0 + r) * kp + k] = 0;
  }
}

}  // namespace

LowpRowQuant lowp_row_quant(float lo, float hi) noexcept {
  LowpRowQuant q;
  lo = lo < 0.0f ? lo : 0.0f;
  hi = hi > 0.0f ? hi : 0.0f;
  if (!(hi > lo)) return q;  // all zeros (or NaN): q = 0 everywhere, sa = 1
  q.sa = (hi - lo) / 255.0f;
  q.inv = 1.0f / q.sa;
  const float z = rne_small(-lo / q.sa);
  q.zp = z < 0.0f ? 0.0f : z > 255.0f ? 255.0f : z;
  return q;
}

LowpBuffer::LowpBuffer(size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  void* p = std::aligned_alloc(64, lowp_round_up(static_cast<int64_t>(bytes), 64));
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  data_.reset(static_cast<std::byte*>(p));
}

uint16_t lowp_f32_to_bf16(float f) noexcept {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  if ((b & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((b >> 16) | 0x0040u);
  b += 0x7FFFu + ((b >> 16) & 1u);
  return static_cast<uint16_t>(b >> 16);
}

float lowp_bf16_to_f32(uint16_t h) noexcept {
  const uint32_t b = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

int64_t lowp_packed_index(const LowpLayout& layout, int64_t kp, int64_t n, int64_t k) {
  const int64_t panel = n / layout.nr, c = n % layout.nr;
  const int64_t group = k / layout.kgroup, t = k % layout.kgroup;
  const int64_t within = layout.interleave16 ? 2 * (c % 16) + c / 16 : c * layout.kgroup + t;
  return panel * kp * layout.nr + group * layout.nr * layout.kgroup + within;
}

void lowp_quantize_rows(const LowpGemmArgs& args, int64_t kp, int64_t m0, int64_t m1, int act_bytes,
                        std::byte* dst, float* rscale, int32_t* zp) {
  if (act_bytes == 1)
    quantize_rows_as(args, kp, m0, m1, reinterpret_cast<uint8_t*>(dst), rscale, zp);
  else
    quantize_rows_as(args, kp, m0, m1, reinterpret_cast<uint16_t*>(dst), rscale, zp);
}

void lowp_round_rows(const LowpGemmArgs& args, int64_t kp, int64_t m0, int64_t m1, int act_bytes,
                     std::byte* dst) {
  // act_bytes 4: bf16-rounded values kept as f32 (broadcast by FMA kernels); 2: bf16.
  for (int64_t m = m0; m < m1; ++m) {
    if (act_bytes == 4) {
      float* out = reinterpret_cast<float*>(dst) + (m - m0) * kp;
      for (int64_t k = 0; k < args.k; ++k) out[k] = lowp_bf16_to_f32(lowp_f32_to_bf16(x_at(args, m, k)));
      for (int64_t k = args.k; k < kp; ++k) out[k] = 0.0f;
    } else {
      uint16_t* out = reinterpret_cast<uint16_t*>(dst) + (m - m0) * kp;
      for (int64_t k = 0; k < args.k; ++k) out[k] = lowp_f32_to_bf16(x_at(args, m, k));
      for (int64_t k = args.k; k < kp; ++k) out[k] = 0;
    }
  }
}

Bf16Weights Bf16Weights::pack(const float* w, int64_t n, int64_t k, int64_t ldw, bool w_is_nk,
                              LowpIsa isa) {
  Bf16Weights out;
  out.impl_ = std::make_unique<Impl>();
  Impl& im = *out.impl_;
  im.arch = &lowp_bf16_arch(isa);
  const LowpLayout& layout = im.arch->layout;
  im.n = n;
  im.k = k;
  im.kp = lowp_round_up(k, layout.kgroup);
  const int64_t npad = lowp_round_up(n, layout.nr);
  im.data = LowpBuffer(static_cast<size_t>(npad * im.kp) * sizeof(uint16_t));
  auto* dst = reinterpret_cast<uint16_t*>(im.data.data());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j)
      dst[lowp_packed_index(layout, im.kp, i, j)] = lowp_f32_to_bf16(weight_at(w, ldw, w_is_nk, i, j));
  return out;
}

Int8Weights Int8Weights::pack(const float* w, int64_t n, int64_t k, int64_t ldw, bool w_is_nk,
                              LowpIsa isa) {
  Int8Weights out;
  out.impl_ = std::make_unique<Impl>();
  Impl& im = *out.impl_;
  im.arch = &lowp_int8_arch(isa);
  const LowpLayout& layout = im.arch->layout;
  im.n = n;
  im.k = k;
  im.kp = lowp_round_up(k, layout.kgroup);
  const int64_t npad = lowp_round_up(n, layout.nr);
  im.data = LowpBuffer(static_cast<size_t>(npad * im.kp * im.arch->weight_bytes));
  im.scale = std::make_unique<float[]>(static_cast<size_t>(npad));
  im.wsum = std::make_unique<int32_t[]>(static_cast<size_t>(npad));
  for (int64_t i = 0; i < npad; ++i) {
    im.scale[i] = 1.0f;
    im.wsum[i] = 0;
  }
  for (int64_t i = 0; i < n; ++i) {
    float amax = 0.0f;
    for (int64_t j = 0; j < k; ++j) amax = std::fmax(amax, std::fabs(weight_at(w, ldw, w_is_nk, i, j)));
    const float scale = amax > 0.0f && std::isfinite(amax) ? amax / 127.0f : 1.0f;
    im.scale[i] = scale;
    int32_t sum = 0;
    for (int64_t j = 0; j < k; ++j) {
      float q = std::nearbyint(weight_at(w, ldw, w_is_nk, i, j) / scale);
      q = q < -127.0f ? -127.0f : q > 127.0f ? 127.0f : q;
      q = q == q ? q : 0.0f;
      const auto v = static_cast<int32_t>(q);
      sum += v;
      const int64_t at = lowp_packed_index(layout, im.kp, i, j);
      if (im.arch->weight_bytes == 1)
        reinterpret_cast<int8_t*>(im.data.data())[at] = static_cast<int8_t>(v);
      else
        reinterpret_cast<int16_t*>(im.data.data())[at] = static_cast<int16_t>(v);
    }
    im.wsum[i] = sum;
  }
  return out;
}

Bf16Weights::Bf16Weights() = default;
Bf16Weights::Bf16Weights(Bf16Weights&&) noexcept = default;
Bf16Weights& Bf16Weights::operator=(Bf16Weights&&) noexcept = default;
Bf16Weights::~Bf16Weights() = default;
int64_t Bf16Weights::rows() const noexcept { return impl_ ? impl_->n : 0; }
int64_t Bf16Weights::depth() const noexcept { return impl_ ? impl_->k : 0; }
size_t Bf16Weights::bytes() const noexcept { return impl_ ? impl_->data.size() : 0; }
LowpIsa Bf16Weights::isa() const noexcept { return impl_ ? impl_->arch->isa : LowpIsa::kScalar; }
bool Bf16Weights::empty() const noexcept { return impl_ == nullptr; }

Int8Weights::Int8Weights() = default;
Int8Weights::Int8Weights(Int8Weights&&) noexcept = default;
Int8Weights& Int8Weights::operator=(Int8Weights&&) noexcept = default;
Int8Weights::~Int8Weights() = default;
int64_t Int8Weights::rows() const noexcept { return impl_ ? impl_->n : 0; }
int64_t Int8Weights::depth() const noexcept { return impl_ ? impl_->k : 0; }
size_t Int8Weights::bytes() const noexcept {
  if (!impl_) return 0;
  const auto npad = static_cast<size_t>(lowp_round_up(impl_->n, impl_->arch->layout.nr));
  return impl_->data.size() + npad * (sizeof(float) + sizeof(int32_t));
}
LowpIsa Int8Weights::isa() const noexcept { return impl_ ? impl_->arch->isa : LowpIsa::kScalar; }
bool Int8Weights::empty() const noexcept { return impl_ == nullptr; }

}  // namespace braid::detail
