// The fork/joins of parallel.h, compiled once (see there for why they are not templates).
#include "kernels/parallel.h"

#include <chrono>
#include <optional>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include "core/tsan_annotations.h"

namespace braid::detail {
namespace {

constexpr double kDefaultCoreGflops = 250.0;
std::atomic<double> g_core_gflops{kDefaultCoreGflops};

}  // namespace

void set_core_gflops(double gflops) noexcept {
  g_core_gflops.store(gflops > 0 ? gflops : kDefaultCoreGflops, std::memory_order_relaxed);
}

double core_gflops() noexcept { return g_core_gflops.load(std::memory_order_relaxed); }

void fork_chunks(int64_t n, int64_t chunks, Callback<int64_t, int64_t> fn) {
  tsan_release(&tsan_tbb_handoff);  // TSan builds only: see core/tsan_annotations.h
  tbb::parallel_for(
      tbb::blocked_range<int64_t>(0, chunks, 1),
      [&](const tbb::blocked_range<int64_t>& r) {
        tsan_acquire(&tsan_tbb_handoff);
        for (int64_t c = r.begin(); c < r.end(); ++c) fn(n * c / chunks, n * (c + 1) / chunks);
        tsan_release(&tsan_tbb_handoff);
      },
      tbb::simple_partitioner());
  tsan_acquire(&tsan_tbb_handoff);
}

void run_elastic(int64_t n, const CoreLender& lender, int max_helpers, Callback<int64_t> fn) {
  using Clock = std::chrono::steady_clock;
  std::atomic<int64_t> next{0};
  auto drain = [&] {
    for (int64_t i = next.fetch_add(1, std::memory_order_relaxed); i < n;
         i = next.fetch_add(1, std::memory_order_relaxed))
      fn(i);
  };
  std::optional<tbb::task_group> helpers_group;
  int helpers = 0;
  Clock::time_point t0;  // the first borrow
  double helper_ns = 0;  // sum of (end - t0) - (start - t0) over helpers: minus the starts so far
  // Isolated: while it waits for its helpers this thread runs nothing but them (not
  // another subgraph that would hold up the rest of this node).
  tbb::this_task_arena::isolate([&] {
    try {
      for (int64_t i = next.fetch_add(1, std::memory_order_relaxed); i < n;
           i = next.fetch_add(1, std::memory_order_relaxed)) {
        fn(i);
        const int64_t left = n - next.load(std::memory_order_relaxed);
        const int want = static_cast<int>(std::min<int64_t>(max_helpers - helpers, left - 1));
        if (want <= 0) continue;
        const int got = lender.borrow(lender.ctx, want);
        if (got <= 0) continue;
        if (!helpers_group) {
          helpers_group.emplace();
          t0 = Clock::now();
        }
        helper_ns -= got * std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
        helpers += got;
        for (int h = 0; h < got; ++h) {
          tsan_release(&tsan_tbb_handoff);  // TSan builds only: see core/tsan_annotations.h
          helpers_group->run([&] {
            tsan_acquire(&tsan_tbb_handoff);
            try {
              drain();
            } catch (...) {
              next.store(n, std::memory_order_relaxed);  // the caller starts no new item
              tsan_release(&tsan_tbb_handoff);
              throw;  // to the caller, from wait()
            }
            tsan_release(&tsan_tbb_handoff);
          });
        }
      }
    } catch (...) {
      next.store(n, std::memory_order_relaxed);
      if (helpers_group) {
        try {
          helpers_group->wait();
        } catch (...) {
        }
        lender.repay(lender.ctx, helpers, 0);
      }
      throw;
    }
    if (helpers_group) {
      struct Repay {  // also when a helper's item threw
        const CoreLender& lender;
        int helpers;
        Clock::time_point t0;
        double ns;
        ~Repay() {
          ns += helpers * std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
          lender.repay(lender.ctx, helpers, ns);
        }
      } repay{lender, helpers, t0, helper_ns};
      helpers_group->wait();
      tsan_acquire(&tsan_tbb_handoff);
    }
  });
}

}  // namespace braid::detail
