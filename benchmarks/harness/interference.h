// A competitor process started and stopped by the harness, by PID: K threads that spin
// (cpu), spin ON ms and sleep OFF ms (bursty), or one thread that allocates GiB of memory
// and streams through it, read-modify-write, for ever (mem).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "bench_options.h"

namespace braid::bench {

// The child's body (braid-bench --competitor-child K ON_MS OFF_MS [FD], or
// --competitor-child-mem BYTES). Never returns. A bursty child writes the steady_clock time
// (ns, 8 bytes) of each burst's start to FD when given (a non-blocking pipe: a full one
// drops the time, never the burst).
[[noreturn]] void competitor_main(Interference spec, int report_fd = -1);

class Competitor {
 public:
  // Forks the competitor; no-op for Kind::kNone.
  explicit Competitor(const Interference& spec);
  ~Competitor();  // kills and reaps it
  Competitor(const Competitor&) = delete;
  Competitor& operator=(const Competitor&) = delete;
  pid_t pid() const { return pid_; }
  // Bursty: the start of every burst so far (steady_clock ns, ascending); else empty.
  // Not thread-safe.
  const std::vector<int64_t>& burst_starts();

 private:
  pid_t pid_ = -1;
  int report_fd_ = -1;  // the pipe's read end (bursty)
  std::vector<int64_t> starts_;
};

}  // namespace braid::bench
