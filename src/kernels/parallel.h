// Intra-op parallelism for kernels: splits [0, n) over at most `max_threads` oneTBB tasks
// in the current arena (in equal shares, or in pieces each task claims as it goes), and
// runs inline (no fork/join) when the work is too small. The fork/join itself lives in
// parallel.cpp behind a plain callback: were it a template, every call site's lambda would
// instantiate oneTBB's task types (six functions, a vtable and type names each; 243 of
// them in the reductions' file alone), which was most of the library's compile time. The
// indirect call is one per task, never one per element.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <type_traits>

namespace braid::detail {

// One core's f32 FMA peak (GFLOP/s) that the kernels size their grains by: how many flops
// a thread must get to be worth its fork/join is a time (gemm.cpp: ~8 us of work), so a
// core half as fast splits at half the flops. 250 (the class of core the constants were
// measured on) until the runtime's calibration sets it (machine_balance(), at the first
// session's load). Lock-free.
void set_core_gflops(double gflops) noexcept;
double core_gflops() noexcept;

// A callable seen through a plain function pointer and its address (valid for the call).
template <class... Args>
struct Callback {
  void (*call)(void* fn, Args... args);
  void* fn;

  template <class Fn>
  static Callback of(Fn& f) {
    using F = std::remove_reference_t<Fn>;
    return {[](void* p, Args... args) { (*static_cast<F*>(p))(args...); },
            const_cast<void*>(static_cast<const void*>(std::addressof(f)))};
  }
  void operator()(Args... args) const { call(fn, args...); }
};

// fn(n * c / chunks, n * (c + 1) / chunks) for every c in [0, chunks), one oneTBB task
// each, in the current arena; returns when all are done (rethrows what one threw).
void fork_chunks(int64_t n, int64_t chunks, Callback<int64_t, int64_t> fn);

// fn(begin, end) over [0, n). `min_grain` is the fewest items worth a task of their own.
template <class Fn>
void parallel_for_range(int64_t n, int64_t min_grain, int max_threads, Fn&& fn) {
  if (n <= 0) return;
  int64_t chunks = max_threads > 1 ? n / (min_grain > 0 ? min_grain : 1) : 1;
  if (chunks > max_threads) chunks = max_threads;
  if (chunks <= 1) {
    fn(int64_t{0}, n);
    return;
  }
  fork_chunks(n, chunks, Callback<int64_t, int64_t>::of(fn));
}

// fn(begin, end) over [0, n) in pieces of `piece` items (the last may be shorter), run by
// at most `max_threads` tasks that each claim the next piece when done with their last: a
// thread whose core is slower, or that starts late, takes fewer pieces instead of holding
// the others up with an equal share, as parallel_for_range's would. Every piece runs once.
template <class Fn>
void parallel_for_pieces(int64_t n, int64_t piece, int max_threads, Fn&& fn) {
  if (n <= 0) return;
  piece = std::max<int64_t>(1, piece);
  const int64_t pieces = (n + piece - 1) / piece;
  const int64_t tasks = std::min<int64_t>(pieces, std::max(1, max_threads));
  if (tasks <= 1) {
    fn(int64_t{0}, n);
    return;
  }
  std::atomic<int64_t> next{0};
  parallel_for_range(tasks, 1, static_cast<int>(tasks), [&](int64_t, int64_t) {
    for (int64_t begin = next.fetch_add(piece, std::memory_order_relaxed); begin < n;
         begin = next.fetch_add(piece, std::memory_order_relaxed))
      fn(begin, std::min(n, begin + piece));
  });
}

// Idle cores that a long kernel may borrow in the middle of its node (adaptive mode). A
// node admitted with one thread beside a sibling branch cannot take the sibling's core
// back at its next node if it has no next node: a 3x3 layer of 1.5 ms that starts while
// the other core still runs three short branches would finish alone, that core idle for
// most of it. The executor lends through the Dispatcher (borrow / repay, which never give
// a core that a waiting subgraph or the resource budget claims) and sets the lender for
// the node it runs on the job's thread (LenderScope); kernels running without one, or on
// any other thread, never borrow.
struct CoreLender {
  // The most threads it could lend at all right now (whole free cores beyond the caller's):
  // 0 means splitting the work for helpers would only cost. Lock-free.
  int (*spare)(void* ctx) = nullptr;
  int (*borrow)(void* ctx, int want) = nullptr;  // 0..want more threads, now; lock-free
  // Gives back `threads` from borrow(), held `thread_ns` in all (for the unit's accounting).
  void (*repay)(void* ctx, int threads, double thread_ns) = nullptr;
  void* ctx = nullptr;
};

inline thread_local const CoreLender* t_core_lender = nullptr;

// The lender of the node this thread runs, or null.
inline const CoreLender* current_core_lender() noexcept { return t_core_lender; }

// Sets this thread's lender for a scope (nullptr: none), restoring the previous one after.
class LenderScope {
 public:
  explicit LenderScope(const CoreLender* lender) noexcept : prev_(t_core_lender) { t_core_lender = lender; }
  ~LenderScope() { t_core_lender = prev_; }
  LenderScope(const LenderScope&) = delete;
  LenderScope& operator=(const LenderScope&) = delete;

 private:
  const CoreLender* prev_;
};

// fn(i) for every i in [0, n), each exactly once. This thread runs items in order and,
// after each while at least two are left, asks `lender` for up to `max_helpers` idle
// cores; every core it gets runs a helper task that takes items from the same counter.
// The helpers are repaid when the last item is done. Items must be independent (each its
// own output) and their results may not depend on which thread ran them. If fn throws,
// no new item starts; the exception is rethrown once the helpers have stopped.
void run_elastic(int64_t n, const CoreLender& lender, int max_helpers, Callback<int64_t> fn);

template <class Fn>
void run_elastic(int64_t n, const CoreLender& lender, int max_helpers, Fn&& fn) {
  run_elastic(n, lender, max_helpers, Callback<int64_t>::of(fn));
}

}  // namespace braid::detail
