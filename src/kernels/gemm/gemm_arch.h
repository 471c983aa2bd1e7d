// One ISA variant of the GEMM core: its tile and block sizes and the routines compiled with
// that ISA's flags (gemm_avx512.cpp, gemm_avx2.cpp, gemm_scalar.cpp). The ISA-neutral
// driver in gemm.cpp blocks, packs and parallelises through these pointers.
#pragma once

#include <cstdint>

namespace braid::detail {

struct GemmDirectB;

// Packed layouts (both shared by run-time packing and prepacked operands):
//  A block (mc x kc): panels of mr rows; panel i starts at i * mr * kc and stores row r of
//    column k at [k * rows + r], rows = min(mr, mc - i * mr) (the last panel is narrower).
//  B block (kc x nc): panels of nr columns; panel j starts at j * kc * nr and stores column
//    c of row k at [k * nr + c], columns past nc are zero.
struct GemmBlock {
  int64_t mc = 0, nc = 0, kc = 0;
  const float* a = nullptr;  // packed A block
  const float* b = nullptr;  // packed B block; nullptr with `direct`
  // Unpacked B (GemmDirectB): the block is columns [col0, col0 + nc) x rows [k0, k0 + kc).
  const GemmDirectB* direct = nullptr;
  int64_t col0 = 0, k0 = 0;
  float* c = nullptr;        // C at (row 0, col 0) of the block
  int64_t ldc = 0;
  float alpha = 1.0f;
  float beta = 0.0f;         // 0: C is not read
  const float* bias = nullptr;  // already offset to the block; only on the last K block
  bool bias_per_row = false;
  const float* residual = nullptr;  // at the block's (row 0, col 0), row stride ldr; last K block only
  int64_t ldr = 0;
  bool relu = false;            // only on the last K block
  // Prepacked operands live in memory that the cache hierarchy has usually lost between
  // two runs of a model (all of a model's weights do not fit in L2), so the macro-kernel
  // prefetches them a little ahead: `a_prepacked` - the next row panel of A while the
  // current one runs, and `a_next` (nullable) - where the next A block starts, prefetched
  // during the last row panel; `b_prepacked` - the next B panel while the first row panel
  // walks the block. Prefetches change no result.
  bool a_prepacked = false;
  const float* a_next = nullptr;
  bool b_prepacked = false;
};

struct GemmArch {
  const char* name;
  int mr, nr;     // micro-tile
  int64_t kc;     // K block: fixed per variant so the summation order is fixed
  int64_t mc;     // M block (multiple of mr)
  int64_t nc;     // N block (multiple of nr), sized so a kc x nc B block stays in L2
  // Packs op(A) rows [0, mc) x cols [0, kc) starting at `a` (already offset).
  void (*pack_a)(bool trans, const float* a, int64_t lda, int64_t mc, int64_t kc, float* dst);
  // Packs op(B) rows [0, kc) x cols [0, nc) starting at `b` (already offset).
  void (*pack_b)(bool trans, const float* b, int64_t ldb, int64_t kc, int64_t nc, float* dst);
  // C block (+)= packed A block * packed B block, with the epilogue of GemmBlock.
  void (*macro)(const GemmBlock& blk);
  bool direct_b = false;  // macro() takes GemmBlock::direct
};

// The variants; avx2/avx512 exist only in x86-64 builds and are called only when
// cpu_features() reports the ISA.
const GemmArch& gemm_arch_scalar();
const GemmArch& gemm_arch_avx2();
const GemmArch& gemm_arch_avx512();

// N block for a variant: a kc x nc block of B takes about half of L2 (sysconf), clamped.
int64_t gemm_nc_for_l2(int64_t kc, int nr);

}  // namespace braid::detail
