// MachineBalance: the measured ceilings the cost model and the partitioner compare
// against: peak f32 GFLOP/s, peak memory GB/s (their ratio, in FLOP/byte, is the balance
// point that separates compute-bound from memory-bound work) and the dispatch overhead of
// handing a subgraph to another thread, from which the tiny-subgraph merge threshold is
// derived. The peaks come from the ResourceMonitor's calibration (src/resource: FMA and
// triad probes, cached per machine under ~/.cache/braid/); the dispatch overhead is
// measured here and cached beside it. Both can be overridden from the environment:
//
//   BRAID_MACHINE_BALANCE="576,49"     peak GFLOP/s (all cores), peak GB/s
//   BRAID_DISPATCH_OVERHEAD_NS=2000    ns per subgraph hand-off
//
//   const MachineBalance& m = machine_balance();   // probes once per machine, then cached
//   double threshold = merge_threshold_ns(m.dispatch_overhead_ns);
#pragma once

#include <string>
#include <string_view>

#include "braid/status.h"

namespace braid::detail {

struct MachineBalance {
  double gflops_per_core = 0;  // f32 FMA peak of one core
  int cores = 1;               // cores the peaks are for
  double gbps = 0;             // memory bandwidth with every core (GB/s)
  double gbps_one_core = 0;    // memory bandwidth of one core (GB/s)
  double dispatch_overhead_ns = 0;  // one subgraph hand-off between threads
  std::string source;          // "env", "calibration", "nominal"

  double peak_gflops() const noexcept { return gflops_per_core * cores; }
  // The balance point in FLOP per byte: work above it is compute-bound.
  double balance() const noexcept { return gbps > 0 ? peak_gflops() / gbps : 0; }
};

// A fixed machine for deterministic tests and for when every probe fails: the figures
// of BENCHMARKS.md's reference machine (2 Zen 5 cores: 288 GFLOP/s per core, 49 / 41.5
// GB/s) and the dispatch overhead measured on it when quiet (1.3 us). Thread-safe.
MachineBalance nominal_machine_balance();

// Parses "gflops,gbps" (whole-machine peaks) into a balance for `cores` cores; the one-core
// bandwidth is taken as the whole-machine figure. Thread-safe.
Result<MachineBalance> parse_machine_balance(std::string_view text, int cores);

// The balance of this machine, computed once per process: BRAID_MACHINE_BALANCE when set,
// else the ResourceMonitor calibration (load_or_calibrate: cache file or probes), else
// nominal; dispatch_overhead_ns from measure_dispatch_overhead_ns(). The first call may
// take ~1 s on a machine without a cache. Thread-safe.
const MachineBalance& machine_balance();

// What one run of the dispatch probe measured (ns, medians over many repetitions).
struct DispatchProbe {
  double spawn_wait_ns = 0;   // tbb::task_group run + wait of an empty task (same thread)
  double fork_join_ns = 0;    // two empty tasks forked and joined, per task
  double flow_graph_ns = 0;   // one continue_node hand-off in a tbb::flow::graph chain
  // A task spawned here and run by another thread of the arena, until this thread sees
  // it done (the spawner spins without stealing): the round trip a subgraph handed to
  // another thread pays. Back to back (workers awake) and after 1 ms idle (asleep).
  // Medians over the clean round trips: those in which neither thread waited on a run
  // queue (/proc/*/schedstat), i.e. not another process's time slice. With fewer than 5
  // clean ones (a busy machine) `contended` is set, cross_thread_ns is 0 (not charged)
  // and the result is not cached, so a later, quieter start measures it.
  double cross_thread_ns = 0;
  double cold_cross_thread_ns = 0;  // reported, not charged: the scheduler keeps workers busy
  int clean_round_trips = 0;
  int contended_round_trips = 0;
  bool contended = false;
  int threads = 0;            // arena concurrency used
  // The overhead the partitioner charges per subgraph: the largest of the warm figures.
  double overhead_ns() const noexcept;
};

// Runs the probe now (~50-100 ms, in its own task_arena of `threads`; 0 = this process's
// CPUs, at least 2 so that hand-offs cross threads). Thread-safe.
DispatchProbe run_dispatch_probe(int threads = 0);

// The measured cost of dispatching one subgraph on this machine, in ns: computed once per
// process (BRAID_DISPATCH_OVERHEAD_NS when set, else the cache file
// <cache>/braid/dispatch.txt when it is for this machine, else run_dispatch_probe(); the
// result is cached unless the probe was contended, so a busy start measures again next
// time). Thread-safe.
double measure_dispatch_overhead_ns();

// The cost below which a subgraph is merged into a neighbour: dispatching it must cost at
// most `max_overhead_fraction` of its run time, so threshold = overhead / fraction.
// Thread-safe.
inline double merge_threshold_ns(double dispatch_overhead_ns, double max_overhead_fraction = 0.1) noexcept {
  return max_overhead_fraction > 0 ? dispatch_overhead_ns / max_overhead_fraction : 0;
}

// Where the dispatch cache lives: $XDG_CACHE_HOME/braid/dispatch.txt, else
// $HOME/.cache/braid/dispatch.txt, else "". Thread-safe.
std::string dispatch_cache_path();

}  // namespace braid::detail
