// Intra-op parallelism for kernels: splits [0, n) over at most `max_threads` oneTBB tasks
// in the current arena, and runs inline (no fork/join) when the work is too small.
#pragma once

#include <cstdint>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "core/tsan_annotations.h"

namespace braid::detail {

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

}  // namespace braid::detail
