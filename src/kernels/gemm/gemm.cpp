// The ISA-neutral GEMM driver: variant selection, prepacking, cache blocking and the split
// of C into per-thread rectangles. The loops (GotoBLAS order, B block kept in L2):
//   for jc over N by nc:  for pc over K by kc:  B block (prepacked, or packed here)
//     for ic over M by mc:  A block (prepacked, or packed here);  macro-kernel
// Threads own disjoint rectangles of C and all run the same K loop, so the summation
// order of every element is the same for any thread count.
#include "kernels/gemm/gemm.h"

#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "core/env_switch.h"
#include "kernels/gemm/gemm_arch.h"
#include "kernels/parallel.h"

namespace braid::detail {
namespace {

// BRAID_GEMM_PREFETCH=0 turns the macro-kernel's software prefetch of prepacked operands
// off (read once): a switch for A/B measurements with one binary, not a tuning knob.
bool prefetch_prepacked() {
  static const bool on = env_switch_on("BRAID_GEMM_PREFETCH");
  return on;
}

// BRAID_GEMM_ELASTIC=0 keeps a one-thread GEMM whole in adaptive mode (no run_elastic):
// a switch for A/B measurements with one binary, not a tuning knob.
bool elastic_allowed() {
  static const bool on = env_switch_on("BRAID_GEMM_ELASTIC");
  return on;
}

// Below this much work per thread (in single-core time at core_gflops()) a fork/join
// costs more than it saves: 2 MFLOP at 250 GFLOP/s. A fixed 2 MFLOP kept the transformer's
// 2.1 MFLOP products on one thread on a 115 GFLOP/s core (AMD EPYC, AVX-512 in two
// halves), 21 us where ORT's two threads took ~14; split, Braid took 13.5-16.
constexpr double kMinNsPerThread = 8000.0;
double min_flops_per_thread() noexcept { return kMinNsPerThread * core_gflops(); }
// ... or below this many bytes of B per thread (a memory-bound GEMV: 512 KiB from DRAM
// takes ~20 us of one core, about what a fork/join costs when the other thread sleeps).
constexpr double kMinBBytesPerThread = 512.0 * 1024;
// A GEMM of at least this many flops (about 100 us at 250 GFLOP/s) on one thread in
// adaptive mode goes in pieces that idle cores may take over (run_elastic; with fewer than
// 3 there is nothing left to share by the time the thread asks): one per
// kElasticPieceFlops, 4 to 16. Each piece costs one more pass over the prepacked operand it
// cuts across, and the thread asks for help after each piece, so a core freed in the
// middle (a sibling branch finished) waits at most one piece, ~50 us: inception adaptive
// at 2 threads p50 8.18-8.37 -> 8.03-8.14 ms with the narrow kernel's pieces sized alike
// (were 4, or 8 from 100 MFLOP).
constexpr double kElasticMinFlops = 25.0e6;
constexpr double kElasticPieceFlops = 12.5e6;
// Threads that split only N each read all of A. An A gathered per call by a source (the
// transposed convolutions' patches) of at least this many floats is packed once, its
// panels shared out among the threads, before they compute (one more fork/join): 2
// threads, BM_Conv resnet 3x3_256-512_14_s2 295 -> 276 us, 3x3_512-512_7 527 -> 515. A
// plain A (a MatMul's activations) is cheap to pack next to its use, so every thread
// still packs its own: shared, BM_GemmSkinny M=64 N=K=1024 came out 0-10% slower.
constexpr int64_t kSharedPackAFloats = 16 * 1024;

const GemmArch* select_arch(const CpuFeatures& f) {
#if defined(__x86_64__) || defined(__i386__)
  if (f.has_avx512() && f.fma) return &gemm_arch_avx512();
  if (f.has_avx2_fma()) return &gemm_arch_avx2();
#endif
  (void)f;
  return &gemm_arch_scalar();
}

// Per-thread packing buffers, grown on first use and then reused: the steady state does
// not allocate.
struct Scratch {
  AlignedFloats a, b;
  float* get(AlignedFloats& buf, int64_t n) {
    if (buf.size() < n) buf = AlignedFloats(n);
    return buf.data();
  }
};
thread_local Scratch t_scratch;

// The shared packed A of one GEMM (borrowed per call: BorrowedScratch).
thread_local AlignedFloats t_shared_a;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The K block for a depth of k: as equal as possible, at most the variant's kc (so a
// short last block never pays a full C read-modify-write for little work). Depends on k
// only, so prepacked layouts and every run agree and the summation order is fixed.
int64_t k_block(int64_t kc_max, int64_t k) {
  if (k <= 0) return kc_max;
  const int64_t blocks = ceil_div(k, kc_max);
  return std::min(kc_max, ceil_div(ceil_div(k, blocks), 8) * 8);
}
int64_t kc_max_of(const GemmArch& arch, int64_t kc) { return kc > 0 ? kc : arch.kc; }
// The N block: the variant's, scaled down for a deeper K block so a kc x nc B block still
// fits the same share of L2.
int64_t n_block(const GemmArch& arch, int64_t kc_max) {
  if (kc_max <= arch.kc) return arch.nc;
  return std::max<int64_t>(4 * arch.nr, arch.nc * arch.kc / kc_max / arch.nr * arch.nr);
}

const float* a_at(const GemmArgs& g, int64_t row, int64_t k) {
  return g.trans_a ? g.a + k * g.lda + row : g.a + row * g.lda + k;
}
const float* b_at(const GemmArgs& g, int64_t k, int64_t col) {
  return g.trans_b ? g.b + col * g.ldb + k : g.b + k * g.ldb + col;
}

// C = beta * C (+ bias, relu) for K == 0.
void scale_only(const GemmArgs& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    float* c = g.c + i * g.ldc;
    for (int64_t j = 0; j < g.n; ++j) {
      float r = g.beta != 0.0f ? g.beta * c[j] : 0.0f;
      if (g.bias_kind == GemmBias::kPerRow) r += g.bias[i];
      if (g.bias_kind == GemmBias::kPerCol) r += g.bias[j];
      if (g.residual) r += g.residual[i * g.ldr + j];
      if (g.relu && r < 0.0f) r = 0.0f;
      c[j] = r;
    }
  }
}

// Splits C (pm x pn tiles) into tm x tn == `parts` rectangles, the largest as small as
// possible; ties go to splitting N (each thread then packs and streams only its own
// columns of B). Leaves 1 x 1 when no such split fits the tiles.
void split_rectangles(const GemmArgs& g, const GemmArch& arch, int64_t pm, int64_t pn, int64_t parts,
                      int64_t& tm, int64_t& tn) {
  tm = tn = 1;
  if (parts <= 1) return;
  int64_t best = INT64_MAX;  // smallest largest-rectangle area so far
  for (int64_t cand_tn = parts; cand_tn >= 1; --cand_tn) {
    if (parts % cand_tn != 0) continue;
    const int64_t cand_tm = parts / cand_tn;
    if (cand_tn > pn || cand_tm > pm) continue;
    const int64_t rows = std::min(g.m, ceil_div(pm, cand_tm) * arch.mr);
    const int64_t cols = std::min(g.n, ceil_div(pn, cand_tn) * arch.nr);
    if (rows * cols < best) {
      best = rows * cols;
      tm = cand_tm;
      tn = cand_tn;
    }
  }
}

// Computes the rectangle [m0, m1) x [n0, n1) of C; m0 and n0 are tile-aligned.
// `packed_a` / `packed_b` are the prepacked operands' storage, or nullptr.
void run_rect(const GemmArch& arch, const GemmArgs& g, const float* packed_a,
              const float* packed_b, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const int64_t nr = arch.nr;
  const int64_t b_panels_total = (g.n + nr - 1) / nr;
  const int64_t kc_max = kc_max_of(arch, g.kc);
  const int64_t nc_max = n_block(arch, kc_max);
  for (int64_t jc = n0; jc < n1; jc += nc_max) {
    const int64_t nc = std::min(nc_max, n1 - jc);
    const int64_t kb = k_block(kc_max, g.k);
    for (int64_t pc = 0; pc < g.k; pc += kb) {
      const int64_t kc = std::min(kb, g.k - pc);
      const bool last = pc + kc >= g.k;
      const float* pb;
      if (g.b_direct) {
        pb = nullptr;
      } else if (packed_b) {
        pb = packed_b + pc * b_panels_total * nr + (jc / nr) * kc * nr;
      } else {
        float* buf = t_scratch.get(t_scratch.b, kc * ((nc + nr - 1) / nr) * nr);
        if (g.b_source)
          g.b_source->pack(g.b_source->ctx, pc, kc, jc, nc, arch.nr, buf);
        else
          arch.pack_b(g.trans_b, b_at(g, pc, jc), g.ldb, kc, nc, buf);
        pb = buf;
      }
      for (int64_t ic = m0; ic < m1; ic += arch.mc) {
        const int64_t mc = std::min(arch.mc, m1 - ic);
        const float* pa;
        if (packed_a) {
          pa = packed_a + pc * g.m + ic * kc;
        } else {
          float* buf = t_scratch.get(t_scratch.a, mc * kc);
          if (g.a_source)
            g.a_source->pack(g.a_source->ctx, ic, mc, pc, kc, arch.mr, buf);
          else
            arch.pack_a(g.trans_a, a_at(g, ic, pc), g.lda, mc, kc, buf);
          pa = buf;
        }
        GemmBlock blk;
        blk.mc = mc;
        blk.nc = nc;
        blk.kc = kc;
        blk.a = pa;
        blk.b = pb;
        blk.direct = g.b_direct;
        blk.col0 = jc;
        blk.k0 = pc;
        blk.c = g.c + ic * g.ldc + jc;
        blk.ldc = g.ldc;
        blk.alpha = g.alpha;
        blk.beta = pc == 0 ? g.beta : 1.0f;
        if (last && g.bias_kind != GemmBias::kNone) {
          blk.bias_per_row = g.bias_kind == GemmBias::kPerRow;
          blk.bias = blk.bias_per_row ? g.bias + ic : g.bias + jc;
        }
        blk.relu = last && g.relu;
        if (last && g.residual) {
          blk.residual = g.residual + ic * g.ldr + jc;
          blk.ldr = g.ldr;
        }
        const bool prefetch = prefetch_prepacked();
        blk.a_prepacked = prefetch && packed_a != nullptr;
        // Prepacked A is one array in loop order (K block, then M block): the next block
        // follows this one unless this is the rectangle's last block of this K block.
        if (blk.a_prepacked && ic + mc < m1) blk.a_next = pa + mc * kc;
        else if (blk.a_prepacked && pc + kc < g.k)
          blk.a_next = packed_a + (pc + kc) * g.m + m0 * std::min(kb, g.k - pc - kc);
        blk.b_prepacked = prefetch && packed_b != nullptr;
        arch.macro(blk);
      }
    }
  }
}

// Gemm::gemm_threads for variant `arch`.
int64_t thread_count(const GemmArch& arch, int64_t m, int64_t n, int64_t k, int max_threads) {
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  // A skinny GEMM (batch-1 classifier, M = 1) has few flops but streams all of B, usually
  // from memory: it splits by the bytes of B as well.
  const double b_bytes = static_cast<double>(k) * static_cast<double>(n) * sizeof(float);
  const int64_t threads = std::min<int64_t>(
      max_threads, static_cast<int64_t>(std::max(flops / min_flops_per_thread(), b_bytes / kMinBBytesPerThread)));
  return std::clamp<int64_t>(threads, 1, ceil_div(m, arch.mr) * ceil_div(n, arch.nr));
}

}  // namespace

AlignedFloats::AlignedFloats(int64_t n) : size_(n) {
  if (n <= 0) {
    size_ = 0;
    return;
  }
  // Round the byte size up to the alignment as aligned_alloc requires; pad a little so
  // vector loads just past the end of a panel stay inside the allocation.
  const size_t bytes = (static_cast<size_t>(n) * sizeof(float) + 64 + 63) / 64 * 64;
  data_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
  if (data_ == nullptr) size_ = 0;
}

int64_t gemm_nc_for_l2(int64_t kc, int nr) {
  long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (l2 <= 0) l2 = 1 << 20;
  int64_t nc = (l2 / 2) / (kc * static_cast<int64_t>(sizeof(float)));
  nc = nc / nr * nr;
  return std::clamp<int64_t>(nc, 4 * nr, 4096);
}

Gemm::Gemm() : Gemm(cpu_features()) {}
Gemm::Gemm(const CpuFeatures& features) : arch_(select_arch(features)) {}

const char* Gemm::isa_name() const { return arch_->name; }
int Gemm::mr() const { return arch_->mr; }
int Gemm::nr() const { return arch_->nr; }
int Gemm::gemm_threads(int64_t m, int64_t n, int64_t k, int max_threads) const {
  return static_cast<int>(thread_count(*arch_, m, n, k, max_threads));
}

bool Gemm::direct_b(int64_t m) const { return arch_->direct_b && m % arch_->mr % 2 == 0; }

PackedA Gemm::pack_a(bool trans_a, int64_t m, int64_t k, const float* a, int64_t lda, int64_t kc_max) const {
  PackedA p;
  p.arch_ = arch_;
  p.m_ = m;
  p.k_ = k;
  p.kc_ = kc_max;
  p.data_ = AlignedFloats(m * k);
  GemmArgs g;
  g.a = a;
  g.lda = lda;
  g.trans_a = trans_a;
  const int64_t kb = k_block(kc_max_of(*arch_, kc_max), k);
  for (int64_t pc = 0; pc < k; pc += kb) {
    const int64_t kc = std::min(kb, k - pc);
    arch_->pack_a(trans_a, a_at(g, 0, pc), lda, m, kc, p.data_.data() + pc * m);
  }
  return p;
}

PackedB Gemm::pack_b(bool trans_b, int64_t k, int64_t n, const float* b, int64_t ldb, int64_t kc_max) const {
  PackedB p;
  p.arch_ = arch_;
  p.k_ = k;
  p.n_ = n;
  p.kc_ = kc_max;
  const int64_t padded_n = ceil_div(n, arch_->nr) * arch_->nr;
  p.data_ = AlignedFloats(k * padded_n);
  GemmArgs g;
  g.b = b;
  g.ldb = ldb;
  g.trans_b = trans_b;
  const int64_t kb = k_block(kc_max_of(*arch_, kc_max), k);
  for (int64_t pc = 0; pc < k; pc += kb) {
    const int64_t kc = std::min(kb, k - pc);
    arch_->pack_b(trans_b, b_at(g, pc, 0), ldb, kc, n, p.data_.data() + pc * padded_n);
  }
  return p;
}

void Gemm::run(const GemmArgs& g, int max_threads) const {
  if (g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0) return scale_only(g);
  // Prepacked operands carry their own variant (their layout depends on its tile).
  const GemmArch& arch = *(g.packed_a ? g.packed_a->arch_ : g.packed_b ? g.packed_b->arch_ : arch_);
  assert(!g.packed_a || (g.packed_a->m_ == g.m && g.packed_a->k_ == g.k && g.packed_a->kc_ == g.kc));
  assert(!g.packed_b || g.packed_b->kc_ == g.kc);
  assert(!g.packed_b || (g.packed_b->k_ == g.k && g.packed_b->n_ == g.n));
  assert(!g.packed_a || !g.packed_b || g.packed_a->arch_ == g.packed_b->arch_);
  assert(!g.b_direct || (arch.direct_b && g.m % arch.mr % 2 == 0 && g.b_direct->taps > 0 &&
                         g.b_direct->taps <= GemmDirectB::kMaxTaps));

  const int64_t pm = ceil_div(g.m, arch.mr);
  const int64_t pn = ceil_div(g.n, arch.nr);
  const double flops = 2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k);
  int64_t threads = thread_count(arch, g.m, g.n, g.k, max_threads);

  // Adaptive mode, a long GEMM on one thread: in pieces that cores freed meanwhile (a
  // sibling branch finished) can take; the summation order stays that of one thread.
  // A piece packs its own rows of a per-call A and its own columns of a per-call B, so the
  // pieces only cut across an operand that is prepacked (or read in place): one that cut
  // a per-call operand would pack it again per piece (resnet's transposed 7 x 7 layers,
  // A = the patches, in 8 pieces along N: p50 under a busy competitor +10%).
  const bool a_per_call = g.packed_a == nullptr;
  const bool b_per_call = g.packed_b == nullptr && g.b_direct == nullptr;
  const CoreLender* lender = threads == 1 && flops >= kElasticMinFlops && !(a_per_call && b_per_call) &&
                                     elastic_allowed()
                                 ? current_core_lender()
                                 : nullptr;
  // No core to lend (a competitor holds the other one): one piece, as without a lender.
  if (lender != nullptr && lender->spare(lender->ctx) <= 0) lender = nullptr;
  int64_t tm = 1, tn = 1;
  bool share_a = false;  // a per-call A packed once by this thread, the pieces along N
  if (lender != nullptr) {
    const int64_t pieces = std::clamp<int64_t>(static_cast<int64_t>(flops / kElasticPieceFlops), 4, 16);
    // Few rows (the transposed 7 x 7 convolutions: 49 positions, 4 panels) would make 4
    // pieces or fewer, and a core freed after the second could not join: A is packed once
    // instead (as the threads share it below), and at least 8 pieces go along the
    // prepacked B (each reads the shared A again, from L2).
    const int64_t along_n = std::min(pn, std::max<int64_t>(pieces, 8));
    if (a_per_call && !b_per_call && g.m * g.k >= kSharedPackAFloats && along_n > pm) {
      tn = along_n;
      share_a = true;
    } else if (a_per_call) tm = std::min(pieces, pm);  // along M only
    else if (b_per_call) tn = std::min(pieces, pn);   // along N only
    else split_rectangles(g, arch, pm, pn, pieces, tm, tn);
    if (tm * tn < 3) {  // nothing left to share after the first piece
      lender = nullptr;
      tm = tn = 1;
      share_a = false;
    }
  }
  if (lender == nullptr) split_rectangles(g, arch, pm, pn, threads, tm, tn);
  const float* packed_a = g.packed_a ? g.packed_a->data_.data() : nullptr;
  const float* packed_b = g.packed_b ? g.packed_b->data_.data() : nullptr;
  const int64_t chunks = tm * tn;
  // Every thread would gather all of a per-call A from its source (the transposed
  // convolutions' patches): the threads pack a share of its panels each, in the layout of
  // a prepacked A, then all compute from it. The same packers and K blocks: the same bits.
  std::optional<BorrowedScratch> shared;
  if (share_a || (lender == nullptr && tm == 1 && tn > 1 && g.a_source != nullptr && g.m * g.k >= kSharedPackAFloats)) {
    shared.emplace(t_shared_a, g.m * g.k);
    float* dst = shared->data();
    const int64_t kb = k_block(kc_max_of(arch, g.kc), g.k);
    auto pack = [&](int64_t p0, int64_t p1) {
      const int64_t r0 = p0 * arch.mr, rows = std::min(g.m, p1 * arch.mr) - r0;
      for (int64_t pc = 0; pc < g.k; pc += kb) {
        const int64_t kc = std::min(kb, g.k - pc);
        float* d = dst + pc * g.m + r0 * kc;
        if (g.a_source)
          g.a_source->pack(g.a_source->ctx, r0, rows, pc, kc, arch.mr, d);
        else
          arch.pack_a(g.trans_a, a_at(g, r0, pc), g.lda, rows, kc, d);
      }
    };
    if (share_a) pack(0, pm);
    else parallel_for_range(pm, 1, static_cast<int>(chunks), pack);
    packed_a = dst;
  }
  auto body = [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      const int64_t ci = c / tn, cj = c % tn;
      const int64_t m0 = std::min(g.m, pm * ci / tm * arch.mr);
      const int64_t m1 = std::min(g.m, pm * (ci + 1) / tm * arch.mr);
      const int64_t n0 = std::min(g.n, pn * cj / tn * arch.nr);
      const int64_t n1 = std::min(g.n, pn * (cj + 1) / tn * arch.nr);
      if (m0 < m1 && n0 < n1) run_rect(arch, g, packed_a, packed_b, m0, m1, n0, n1);
    }
  };
  if (lender != nullptr && chunks > 1) {
    run_elastic(chunks, *lender, static_cast<int>(chunks - 1), [&](int64_t c) { body(c, c + 1); });
    return;
  }
  parallel_for_range(chunks, 1, static_cast<int>(chunks), body);
}

}  // namespace braid::detail
