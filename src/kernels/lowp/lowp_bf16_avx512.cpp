// The AVX-512 bf16 variant for CPUs without AVX512_BF16 (compiled with -mavx512f
// -mavx512bw -mavx512vl -mfma; used only when cpu_features() reports them). Weights stay
// bf16 in memory (half the f32 traffic): one zmm holds 32 channels of one k, channel c in
// the low half of lane c % 16 for c < 16 and in the high half for c >= 16, so a shift and
// a mask widen them to two f32 vectors. Activations are rounded to bf16 (kept as f32), so
// every product is exact and each FMA rounds once, like the scalar variant's add: results
// equal it bitwise. 14 x 32 micro-tile (28 accumulators, the two widened halves, the
// broadcast from memory).
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which trips false
// -W(maybe-)uninitialized warnings once inlined (as in gemm_avx512.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <cstring>

#include "kernels/lowp/lowp_arch.h"
#include "kernels/lowp/lowp_epilogue_avx512.h"
#include "kernels/lowp/lowp_bf16_round_avx512.h"
#include "kernels/lowp/lowp_pack.h"

namespace braid::detail {
namespace {

constexpr int kNr = 32;
constexpr int kMr = 14;
constexpr int64_t kKc = 1024;
constexpr int64_t kMc = kMr * 10;
constexpr int64_t kPanelRowBytes = kNr * 2;  // one k of one panel

constexpr int panels_for_rows(int m) { return m <= 2 ? 4 : m == 3 ? 3 : m <= 6 ? 2 : 1; }

inline __m512 broadcast_act(const std::byte* p) {
  float v;
  std::memcpy(&v, p, sizeof v);
  return _mm512_set1_ps(v);
}

template <int M, int NP>
inline void tile(const LowpBlock& blk, const std::byte* a, const std::byte* w, int64_t wstride_bytes,
                 float* acc) {
  constexpr int V = 2 * NP;
  const __m512i high = _mm512_set1_epi32(static_cast<int>(0xFFFF0000u));
  __m512 c[M][V];
#pragma GCC unroll 14
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v)
      c[i][v] = blk.first ? _mm512_setzero_ps() : _mm512_loadu_ps(acc + i * blk.ldacc + 16 * v);

  for (int64_t k = 0; k < blk.kc; ++k) {
    __m512 b[V];
#pragma GCC unroll 4
    for (int p = 0; p < NP; ++p) {
      const __m512i raw = _mm512_load_si512(w + p * wstride_bytes + k * kPanelRowBytes);
      b[2 * p] = _mm512_castsi512_ps(_mm512_slli_epi32(raw, 16));
      b[2 * p + 1] = _mm512_castsi512_ps(_mm512_and_si512(raw, high));
    }
#pragma GCC unroll 14
    for (int i = 0; i < M; ++i) {
      const __m512 av = broadcast_act(a + i * blk.a_row + k * blk.a_group);
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) c[i][v] = _mm512_fmadd_ps(av, b[v], c[i][v]);
    }
  }
#pragma GCC unroll 14
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) _mm512_storeu_ps(acc + i * blk.ldacc + 16 * v, c[i][v]);
}

template <int M>
inline void row_block(const LowpBlock& blk, int64_t row) {
  constexpr int NP = panels_for_rows(M);
  const int64_t wstride_bytes = blk.wstride * 2;
  const auto* a = static_cast<const std::byte*>(blk.a) + row * blk.a_row;
  const auto* w = static_cast<const std::byte*>(blk.w);
  float* acc = static_cast<float*>(blk.acc) + row * blk.ldacc;
  const int64_t panels = blk.nc / kNr;
  int64_t j = 0;
  for (; j + NP <= panels; j += NP) tile<M, NP>(blk, a, w + j * wstride_bytes, wstride_bytes, acc + j * kNr);
  const int64_t left = panels - j;
  w += j * wstride_bytes;
  acc += j * kNr;
  if constexpr (NP >= 4) {
    if (left == 3) tile<M, 3>(blk, a, w, wstride_bytes, acc);
  }
  if constexpr (NP >= 3) {
    if (left == 2) tile<M, 2>(blk, a, w, wstride_bytes, acc);
  }
  if constexpr (NP >= 2) {
    if (left == 1) tile<M, 1>(blk, a, w, wstride_bytes, acc);
  }
}

void macro(const LowpBlock& blk) {
  for (int64_t ir = 0; ir < blk.mc; ir += kMr) {
    const int64_t m = blk.mc - ir < kMr ? blk.mc - ir : kMr;
    switch (m) {
      case 1: row_block<1>(blk, ir); break;
      case 2: row_block<2>(blk, ir); break;
      case 3: row_block<3>(blk, ir); break;
      case 4: row_block<4>(blk, ir); break;
      case 5: row_block<5>(blk, ir); break;
      case 6: row_block<6>(blk, ir); break;
      case 7: row_block<7>(blk, ir); break;
      case 8: row_block<8>(blk, ir); break;
      case 9: row_block<9>(blk, ir); break;
      case 10: row_block<10>(blk, ir); break;
      case 11: row_block<11>(blk, ir); break;
      case 12: row_block<12>(blk, ir); break;
      case 13: row_block<13>(blk, ir); break;
      default: row_block<14>(blk, ir); break;
    }
  }
}

// Row-major rows, or (x given K x M) k-major: element (m, k) at dst[k * (m1 - m0) + m - m0].
void convert(const LowpGemmArgs& a, int64_t kp, int64_t m0, int64_t m1, std::byte* out, float*, int32_t*) {
  float* dst = reinterpret_cast<float*>(out);
  if (a.x_is_mk) return bf16_rows(a, kp, m0, m1, dst);
  // Each k row of the block is a short piece on its own page: prefetch a few rows ahead
  // (the hardware prefetcher does not cross pages).
  constexpr int64_t kAhead = 8;
  for (int64_t k = 0; k < a.k; ++k) {
    const float* x = a.x + k * a.ldx;
    if (k + kAhead < a.k) {
      const char* next = reinterpret_cast<const char*>(x + kAhead * a.ldx + m0);
      for (int64_t off = 0; off < (m1 - m0) * 4; off += 64) _mm_prefetch(next + off, _MM_HINT_T0);
    }
    float* row = dst + k * (m1 - m0);
    for (int64_t m = m0; m < m1; m += 16) {
      const __mmask16 mask = first_lanes(m1 - m);
      _mm512_mask_storeu_ps(row + (m - m0), mask, round_bf16(_mm512_maskz_loadu_ps(mask, x + m)));
    }
  }
}

}  // namespace

const LowpArch& lowp_bf16_arch_avx512() {
  static const LowpArch arch{LowpIsa::kAvx512, LowpLayout{kNr, 1, true}, 2, 4, kMr, kKc, kMc, kNr * 8,
                             macro, lowp_epilogue_avx512<false>, convert, true};
  return arch;
}

}  // namespace braid::detail
