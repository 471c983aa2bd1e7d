// ProcStatSource: the load of *other* processes on each CPU, from /proc/stat per-CPU busy
// time minus this process's own CPU time, plus hypervisor steal. The kernel prints these
// counters in USER_HZ ticks (10 ms), so rates are taken over a window of the last two
// sample intervals, which cancels most of the tick quantisation (see
// docs/resource-monitor.md); the monitor's StepFilter smooths the rest.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "braid/resource.h"
#include "resource/own_threads.h"
#include "resource/text_file.h"

namespace braid::detail {

// One "cpu" / "cpuN" line of /proc/stat, in USER_HZ ticks.
struct CpuTimes {
  int cpu = -1;  // -1 for the aggregate "cpu" line
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  uint64_t guest = 0, guest_nice = 0;  // already included in user / nice

  // Time the CPU ran something (steal included: the vCPU wanted to run). `with_nice`:
  // whether time of processes with a positive nice value counts.
  uint64_t busy(bool with_nice = true) const noexcept {
    return user + (with_nice ? nice : 0) + system + irq + softirq + steal;
  }
};

struct ProcStat {
  CpuTimes all;
  std::vector<CpuTimes> cpus;  // sorted by cpu id
  int64_t procs_running = -1;
  int64_t procs_blocked = -1;
};

// Parses /proc/stat into `out` (reusing its capacity). Accepts the 4..10 columns of every
// kernel since 2.6; rejects garbage, truncated cpu lines, duplicate or absurd cpu ids and
// files without any cpuN line. Thread-safe.
Status parse_proc_stat(std::string_view text, ProcStat& out);

struct ProcStatSourceOptions {
  std::string root;          // prefix for /proc/stat
  int window_intervals = 2;  // rates over this many sample intervals (>= 1)
  double user_hz = 0;        // ticks per second; 0 = sysconf(_SC_CLK_TCK)
  // This process's CPU time in ns; default CLOCK_PROCESS_CPUTIME_ID. Tests replay it.
  std::function<int64_t()> own_cpu_ns;
  // Monotonic time in ns; default steady_clock. Tests replay captured timestamps.
  std::function<int64_t()> now_ns;
  // Whether CPU time of niced processes (positive nice: /proc/stat's "nice" column) is
  // load that competes with Braid. The default decides once from this process's own nice
  // value: at nice <= 0 it does not — Linux's CFS weighs a nice-19 batch job at 15 against
  // our 1024, so its core is ours whenever we want it, and backing off from it would only
  // lose throughput. A niced Braid counts them (they are its peers).
  std::optional<bool> count_niced;
  // Also write others_runnable (procs_running minus this process's runnable threads).
  bool run_queue = true;
};

class ProcStatSource final : public ResourceSource {
 public:
  explicit ProcStatSource(ProcStatSourceOptions options = {});

  // Writes per-core other_busy, cores_used_by_braid/others, steal_fraction,
  // others_runnable and (when not yet known) cores_total and the allowed mask. The first call only records a baseline.
  // Not thread-safe.
  Status sample(ResourceVector& inout) override;
  const char* name() const override { return "proc_stat"; }
  ResourceSourceKind kind() const override { return ResourceSourceKind::kProcStat; }

 private:
  struct Snapshot {
    int64_t t_ns = 0;
    int64_t own_ns = 0;
    std::vector<CpuTimes> cpus;
  };

  ProcStatSourceOptions options_;
  TextFile file_;
  ProcStat parsed_;
  std::vector<Snapshot> history_;  // ring of window_intervals + 1 snapshots
  size_t history_next_ = 0;
  size_t history_size_ = 0;
  std::vector<double> busy_;   // scratch, per entry of the current snapshot
  std::vector<double> steal_;  // scratch
  std::optional<OwnRunnableThreads> own_runnable_;  // empty once it failed (no /proc/self/task)
};

}  // namespace braid::detail
