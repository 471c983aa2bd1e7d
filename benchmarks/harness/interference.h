// A competitor process started and stopped by the harness, by PID: K threads that spin
// (cpu), spin ON ms and sleep OFF ms (bursty), or one thread that allocates GiB of memory
// and streams through it, read-modify-write, for ever (mem).
#pragma once

#include <sys/types.h>

#include "bench_options.h"

namespace braid::bench {

// The child's body (braid-bench --competitor-child K ON_MS OFF_MS, or
// --competitor-child-mem BYTES). Never returns.
[[noreturn]] void competitor_main(Interference spec);

class Competitor {
 public:
  // Forks the competitor; no-op for Kind::kNone.
  explicit Competitor(const Interference& spec);
  ~Competitor();  // kills and reaps it
  Competitor(const Competitor&) = delete;
  Competitor& operator=(const Competitor&) = delete;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

}  // namespace braid::bench
