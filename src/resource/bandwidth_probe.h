// Bandwidth probe: a short STREAM-like triad (a[i] = b[i] + s * c[i], counted as 24 bytes
// per element as STREAM does) over arrays larger than this VM's share of the last-level
// cache, once on one core and once on every allowed core through a oneTBB arena. Passes
// during which other processes preempted the probe are recognised (thread CPU time vs
// wall time) and not trusted.
#pragma once

#include <cstddef>

#include "braid/status.h"

namespace braid::detail {

struct BandwidthProbeOptions {
  size_t array_bytes = 0;  // per array; 0 = clamp(L3 / 2, 32 MiB, 256 MiB), <= MemAvailable / 8
  int threads = 0;         // 0 = the process's allowed CPUs
  int repetitions = 4;     // best of this many clean passes (at most 4x as many tried)
};

struct BandwidthProbeResult {
  double all_cores_gbps = 0;
  double one_core_gbps = 0;
  size_t array_bytes = 0;
  int threads = 0;
  // No pass ran undisturbed (the threads were preempted for > 15% of a pass): the rates
  // are bytes per CPU-second of the probe's threads, an optimistic estimate not to cache.
  bool contended = false;
};

// Allocates 3 arrays, runs the triad and frees them. out_of_memory when the arrays cannot
// be allocated. Takes ~0.3-1 s. Thread-safe (uses its own task_arena).
Result<BandwidthProbeResult> run_bandwidth_probe(const BandwidthProbeOptions& options = {});

// The default per-array size for this machine. Thread-safe.
size_t default_bandwidth_probe_bytes();

}  // namespace braid::detail
