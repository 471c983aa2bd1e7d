// The f32 GEMM core behind MatMul, Gemm, Conv and ConvTranspose:
//   C = alpha * op(A) * op(B) + beta * C  (+ per-row or per-column bias, + ReLU)
// row-major with leading dimensions. Operands are packed into panels for a register-blocked
// micro-kernel (AVX-512 14x32, AVX2+FMA 6x16, portable 4x8), cache-blocked (KC/MC/NC from
// the L1/L2 sizes) and split over M/N blocks with parallel_for_range. The reduction order
// over K never depends on the thread count, so results are bitwise reproducible.
//
//   Gemm g;                                          // picks the ISA once (cpu_features())
//   PackedB w = g.pack_b(false, K, N, weights, N);   // at kernel creation
//   GemmArgs a;
//   a.m = M; a.n = N; a.k = K; a.a = x; a.lda = K; a.packed_b = &w; a.c = y; a.ldc = N;
//   g.run(a, ctx.max_threads);
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <utility>

#include "kernels/cpu_features.h"

namespace braid::detail {

struct GemmArch;  // one ISA variant's micro-kernel, packing routines and block sizes

// 64-byte aligned float storage for packed operands and scratch.
class AlignedFloats {
 public:
  AlignedFloats() = default;
  explicit AlignedFloats(int64_t n);
  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  int64_t size() const { return size_; }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data_;
  int64_t size_ = 0;
};

// A per-thread scratch buffer borrowed for one kernel call: the thread_local `slot` is
// swapped out while in use, so a task that this thread steals while it waits in the call's
// fork/join (another kernel) finds the slot empty and allocates its own, instead of
// overwriting or reallocating what the call's other threads are still using. Returned to
// the slot afterwards (the larger one kept): the steady state does not allocate.
class BorrowedScratch {
 public:
  BorrowedScratch(AlignedFloats& slot, int64_t n) : slot_(slot) {
    std::swap(buf_, slot_);
    if (buf_.size() < n) buf_ = AlignedFloats(n);
  }
  ~BorrowedScratch() {
    if (slot_.size() < buf_.size()) std::swap(buf_, slot_);
  }
  BorrowedScratch(const BorrowedScratch&) = delete;
  BorrowedScratch& operator=(const BorrowedScratch&) = delete;
  float* data() { return buf_.data(); }

 private:
  AlignedFloats& slot_;
  AlignedFloats buf_;
};

// op(A) (M x K) packed once for one ISA variant, e.g. Conv weights at load time.
class PackedA {
 public:
  int64_t rows() const { return m_; }
  int64_t depth() const { return k_; }
  bool empty() const { return arch_ == nullptr; }

 private:
  friend class Gemm;
  const GemmArch* arch_ = nullptr;
  int64_t m_ = 0, k_ = 0;
  int64_t kc_ = 0;  // the K block it was packed with (0: the variant's)
  AlignedFloats data_;
};

// op(B) (K x N) packed once for one ISA variant, e.g. MatMul/Gemm weights at load time.
class PackedB {
 public:
  int64_t depth() const { return k_; }
  int64_t cols() const { return n_; }
  int64_t k_block() const { return kc_; }  // the GemmArgs::kc it must be used with
  bool empty() const { return arch_ == nullptr; }

 private:
  friend class Gemm;
  const GemmArch* arch_ = nullptr;
  int64_t k_ = 0, n_ = 0;
  int64_t kc_ = 0;  // the K block it was packed with (0: the variant's)
  AlignedFloats data_;
};

// A producer of op(B) blocks that never materialises op(B), e.g. Conv's implicit im2col.
// pack() writes rows [k0, k0+kc) x cols [n0, n0+nc) as ceil(nc/nr) panels: element (k, j)
// goes to dst[(j / nr) * kc * nr + (k - k0) * nr + j % nr], columns past nc are zero.
// Must be safe to call concurrently.
struct GemmBSource {
  void (*pack)(const void* ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr,
               float* dst) = nullptr;
  const void* ctx = nullptr;
};

// A producer of op(A) blocks, e.g. Conv's transposed im2col for small outputs. pack()
// writes rows [m0, m0+mc) x cols [k0, k0+kc) as panels of mr rows: panel i starts at
// dst + i * mr * kc and holds element (r, k) at [(k - k0) * rows + r], where
// rows = min(mr, mc - i * mr). Must be safe to call concurrently.
struct GemmASource {
  void (*pack)(const void* ctx, int64_t m0, int64_t mc, int64_t k0, int64_t kc, int mr,
               float* dst) = nullptr;
  const void* ctx = nullptr;
};

// op(B) of a stride-1 convolution read in place from its NCHW input, never packed: the
// output rows are as wide as the input rows (the pads along x add up to the kernel's reach,
// "same" padding), so output position j = oy * w + ox of patch row k = c * taps + t reads
//   x[(c * planes + dp[t]) * plane + j + dy[t] * w + dx[t]]
// if (oy + dy[t], ox + dx[t]) lies in the h x w plane, else 0. The micro-kernel loads 16
// positions at once under a per-tap lane mask. Only where Gemm::direct_b(m) (AVX-512, even
// row tails); N + 64 must stay below 2^31.
//
// A channel may hold several h x w planes (`planes` > 1, else dp[t] = 0): a stride-2
// convolution reads its input split by the parity of (y, x) into up to 4 planes per channel
// (Conv's space-to-depth copy, whose planes are as wide as the output rows), tap t reading
// plane dp[t] of its channel.
struct GemmDirectB {
  static constexpr int kMaxTaps = 64;
  const float* x = nullptr;  // channel 0 of this image (and group)
  int64_t plane = 0;         // floats per plane, h * w
  int64_t planes = 1;        // planes per channel: channel c starts at x + c * planes * plane
  int64_t h = 0, w = 0;
  int taps = 0;              // kernel taps, at most kMaxTaps
  int32_t dy[kMaxTaps] = {}, dx[kMaxTaps] = {};  // tap t's input pixel relative to the output's
  int32_t dp[kMaxTaps] = {};                     // tap t's plane in its channel (< planes)
};

enum class GemmBias { kNone, kPerRow, kPerCol };

// One GEMM call. Exactly one of {a, packed_a, a_source} and one of {b, packed_b, b_source,
// b_direct} is set.
struct GemmArgs {
  int64_t m = 0, n = 0, k = 0;
  // The largest K block (0: the variant's). Deeper blocks mean fewer passes over C, at the
  // price of a larger A panel; Conv's weights take kConvKc. Prepacked operands must have
  // been packed with the same value. Fixes the summation order, like the variant's.
  int64_t kc = 0;
  const float* a = nullptr;  // op(A) = trans_a ? A^T : A, A is (trans_a ? K x M : M x K)
  int64_t lda = 0;
  bool trans_a = false;
  const PackedA* packed_a = nullptr;
  const GemmASource* a_source = nullptr;
  const float* b = nullptr;  // op(B) = trans_b ? B^T : B, B is (trans_b ? N x K : K x N)
  int64_t ldb = 0;
  bool trans_b = false;
  const PackedB* packed_b = nullptr;
  const GemmBSource* b_source = nullptr;
  const GemmDirectB* b_direct = nullptr;  // only where direct_b(m)
  float* c = nullptr;  // M x N; not read when beta == 0
  int64_t ldc = 0;
  float alpha = 1.0f;
  float beta = 0.0f;
  const float* bias = nullptr;  // m values (kPerRow) or n values (kPerCol), added after alpha/beta
  GemmBias bias_kind = GemmBias::kNone;
  // A residual R (M x N, row stride ldr) added after the bias, before the ReLU: Conv's
  // fused Add, in the epilogue while C is in registers. nullptr: none.
  const float* residual = nullptr;
  int64_t ldr = 0;
  bool relu = false;  // max(0, .) after the bias (and the residual)
};

// The GEMM engine bound to one ISA variant. Cheap to copy; immutable once built.
class Gemm {
 public:
  // Picks the best variant this CPU supports (honours set_isa_cap_for_testing). Thread-safe.
  Gemm();
  explicit Gemm(const CpuFeatures& features);

  // "avx512", "avx2" or "scalar". Thread-safe.
  const char* isa_name() const;
  int mr() const;
  int nr() const;
  // Whether run() takes GemmArgs::b_direct for a GEMM of m rows: the AVX-512 variant, when
  // the last row panel has an even number of rows (m % mr() even; only those tails are
  // compiled). Thread-safe.
  bool direct_b(int64_t m) const;

  // Packs op(A) (M x K) / op(B) (K x N) for later run() calls, in K blocks of at most `kc`
  // (0: the variant's; run() must then be given the same GemmArgs::kc). Thread-safe.
  PackedA pack_a(bool trans_a, int64_t m, int64_t k, const float* a, int64_t lda, int64_t kc = 0) const;
  PackedB pack_b(bool trans_b, int64_t k, int64_t n, const float* b, int64_t ldb, int64_t kc = 0) const;

  // How many threads run() gives an m x n x k product when it may use `max_threads`:
  // one per ~8 us of single-core work at core_gflops() (parallel.h), or per 512 KiB of B,
  // at most one per micro-tile. Thread-safe.
  int gemm_threads(int64_t m, int64_t n, int64_t k, int max_threads) const;

  // Computes one GEMM with at most `max_threads` oneTBB tasks in the current arena (one
  // when the problem is small). Invalid args (null pointers, packed operands of another
  // shape or ISA) are a caller bug: checked by BRAID_DCHECK-style asserts only.
  // Thread-safe.
  void run(const GemmArgs& args, int max_threads) const;

 private:
  const GemmArch* arch_;
};

}  // namespace braid::detail
