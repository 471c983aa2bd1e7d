// The AMX bf16 variant (compiled with the AVX-512 flags plus -mamx-tile -mamx-bf16; runnable
// where cpu_features() has AMX-BF16 and the kernel grants this process the tile state,
// chosen where bf16_speed() measures it the fastest bf16 variant). Weights in the same
// packed k-pair panels as the AVX512_BF16 variant (32 channels x 2 k per 128-byte group),
// which are exactly two AMX B tiles side by side at a row stride of 128 bytes; activations
// rounded to bf16 in row-major rows, the A tiles. TDPBF16PS multiplies a 16 x 32 bf16 tile
// by a 32 x 16 one into 16 x 16 f32 accumulators: per row group of 16 and panel of 32
// channels, two C tiles stay in the tile registers over the whole K block. It adds the
// products in its own order and treats subnormal inputs as zero, so it is held to the bf16
// rounding bound, not to bitwise equality with the scalar variant.
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which trips false
// -W(maybe-)uninitialized warnings once inlined (as in gemm_avx512.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "kernels/cpu_features.h"
#include "kernels/gemm/transpose16_avx512.h"
#include "kernels/lowp/lowp_arch.h"
#include "kernels/lowp/lowp_bf16_round_avx512.h"
#include "kernels/lowp/lowp_epilogue_avx512.h"

namespace braid::detail {
namespace {

constexpr int kRows = 16;      // rows of an A / C tile (the variant's mr)
constexpr int64_t kVectorRows = 2;  // blocks of up to this many rows go to the vector kernel
constexpr int kPairs = 16;     // k-pairs of one A tile (64 bytes per row) = rows of a B tile
constexpr int kPanel = 32;     // channels of a weight panel: two 16-column B tiles
constexpr int64_t kGroupBytes = kPanel * 2 * 2;  // one k-pair of a panel, bf16

// The tile configuration (palette 1) as LDTILECFG reads it.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64);

// Tiles: 0, 1 the accumulators (channels 0-15, 16-31 of a panel); 2 the activations; 3, 4
// the weights; 5, 6, 7 the same for the last tail_pairs (< 16) k-pairs of the block.
void configure(int rows, int tail_pairs) {
  TileConfig c;
  for (int t : {0, 1, 2}) {
    c.rows[t] = static_cast<uint8_t>(rows);
    c.colsb[t] = 64;
  }
  for (int t : {3, 4}) {
    c.rows[t] = kPairs;
    c.colsb[t] = 64;
  }
  if (tail_pairs > 0) {
    c.rows[5] = static_cast<uint8_t>(rows);
    c.colsb[5] = static_cast<uint16_t>(4 * tail_pairs);
    for (int t : {6, 7}) {
      c.rows[t] = static_cast<uint8_t>(tail_pairs);
      c.colsb[t] = 64;
    }
  }
  _tile_loadconfig(&c);
}

// One step over k: the activation tile TA (rows x its k-pairs) times the two weight tiles
// TB0, TB1 (those k-pairs x channels 0-15, 16-31 of the panel) into C tiles 0 and 1. A
// macro: GCC's tile intrinsics paste the tile number into the instruction text, so it must
// be a literal (a template parameter reaches the assembler as its name).
#define BRAID_AMX_K_STEP(TA, TB0, TB1, a, a_row, w) \
  do {                                              \
    _tile_loadd(TA, (a), (a_row));                  \
    _tile_loadd(TB0, (w), kGroupBytes);             \
    _tile_loadd(TB1, (w) + 64, kGroupBytes);        \
    _tile_dpbf16ps(0, TA, TB0);                     \
    _tile_dpbf16ps(1, TA, TB1);                     \
  } while (false)

void macro(const LowpBlock& blk) {
  // One or two rows (batch-1 MatMuls): a tile would be 1/16 used and its loads of B do not
  // stream the way the vector loads do; the AVX512_BF16 micro-kernel reads the same panels
  // and the same row-major activations (a_row, a_group) faster.
  if (blk.mc <= kVectorRows && cpu_features().avx512_bf16) return lowp_bf16_arch_avx512bf16().macro(blk);
  const int64_t pairs = blk.kc / 2, full = pairs / kPairs;
  const int tail = static_cast<int>(pairs % kPairs);
  const int64_t c_stride = blk.ldacc * static_cast<int64_t>(sizeof(float));
  const int64_t w_stride = blk.wstride * 2;  // bytes from one panel to the next
  int configured = -1;
  for (int64_t ir = 0; ir < blk.mc; ir += kRows) {
    const int rows = static_cast<int>(blk.mc - ir < kRows ? blk.mc - ir : kRows);
    if (rows != configured) {
      configure(rows, tail);
      configured = rows;
    }
    const auto* a = static_cast<const std::byte*>(blk.a) + ir * blk.a_row;
    for (int64_t j = 0; j < blk.nc / kPanel; ++j) {
      float* c = static_cast<float*>(blk.acc) + ir * blk.ldacc + j * kPanel;
      const auto* w = static_cast<const std::byte*>(blk.w) + j * w_stride;
      if (blk.first) {
        _tile_zero(0);
        _tile_zero(1);
      } else {
        _tile_loadd(0, c, c_stride);
        _tile_loadd(1, c + 16, c_stride);
      }
      for (int64_t s = 0; s < full; ++s) BRAID_AMX_K_STEP(2, 3, 4, a + s * 64, blk.a_row, w + s * kPairs * kGroupBytes);
      if (tail > 0) BRAID_AMX_K_STEP(5, 6, 7, a + full * 64, blk.a_row, w + full * kPairs * kGroupBytes);
      _tile_stored(0, c, c_stride);
      _tile_stored(1, c + 16, c_stride);
    }
  }
  // Give the tile state back: a thread holding it makes every context switch save 8 KiB.
  _tile_release();
}
#undef BRAID_AMX_K_STEP

// Row-major bf16 rows of kp values (zero past k): the A tiles. x given K x M is read 16
// rows (m) x 16 k-pairs at a time: per k-pair one vector of its 16 rows' pairs, then a
// 16 x 16 transpose of those 32-bit lanes gives each row's 16 pairs.
void convert(const LowpGemmArgs& a, int64_t kp, int64_t m0, int64_t m1, std::byte* out, float*, int32_t*) {
  auto* dst = reinterpret_cast<uint16_t*>(out);
  if (a.x_is_mk) return bf16_rows(a, kp, m0, m1, dst);
  const int64_t groups = kp / 2;
  for (int64_t mb = m0; mb < m1; mb += 16) {
    const __mmask16 mrows = first_lanes(m1 - mb);
    for (int64_t g0 = 0; g0 < groups; g0 += 16) {
      __m512 r[16];
      for (int i = 0; i < 16; ++i) {
        const int64_t k0 = 2 * (g0 + i);
        __m512i pair = _mm512_setzero_si512();
        if (k0 < a.k) pair = bf16_bits(_mm512_maskz_loadu_ps(mrows, a.x + k0 * a.ldx + mb));
        if (k0 + 1 < a.k) {
          const __m512i high = bf16_bits(_mm512_maskz_loadu_ps(mrows, a.x + (k0 + 1) * a.ldx + mb));
          pair = _mm512_or_si512(pair, _mm512_slli_epi32(high, 16));
        }
        r[i] = _mm512_castsi512_ps(pair);
      }
      transpose16(r);  // r[j]: row mb + j, k-pairs g0..g0+15
      const __mmask16 cols = first_lanes(groups - g0);
      for (int64_t j = 0; j < 16 && mb + j < m1; ++j)
        _mm512_mask_storeu_ps(dst + (mb + j - m0) * kp + 2 * g0, cols, r[j]);
    }
  }
}

}  // namespace

bool lowp_amx_ready() {
  // Linux hands out the AMX tile data state per process on request (5.16+); without it the
  // first tile instruction faults. Asked once.
  static const bool ready = [] {
    constexpr long kArchReqXcompPerm = 0x1023;
    constexpr long kXfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
  }();
  return ready;
}

const LowpArch& lowp_bf16_arch_amx() {
  static const LowpArch arch{LowpIsa::kAmxBf16, LowpLayout{kPanel, 2, false}, 2, 2, kRows, 512, kRows * 8,
                             kPanel * 8, macro, lowp_epilogue_avx512<false>, convert, false};
  return arch;
}

}  // namespace braid::detail
