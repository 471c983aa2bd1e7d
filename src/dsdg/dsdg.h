// Dsdg: the Dynamic Subgraph Dependency Graph. Built once from a PartitionPlan, it holds
// per subgraph the estimated costs (FLOPs, bytes, peak working set, compute/memory bound)
// and the *measured* ones: an EWMA of the run time per (precision, thread-count bucket)
// with an observation count, fed by every run. Predictions use the measurement when there
// is one and fall back to the cost model scaled by a calibrated ns-per-FLOP / ns-per-byte
// learned from all subgraphs. Upward ranks are recomputed from the predictions; new input
// shapes re-estimate the costs. Each in-flight request tracks its ready subgraphs in a
// flow graph built from preds()/succs() (exec/unit_executor.h).
//
//   Dsdg dsdg(plan, {.balance = machine_balance()});
//   dsdg.record(s, Precision::kF32, /*threads=*/2, measured_ns);   // any thread
//   double t = dsdg.predict_ns(s, Precision::kF32, 2);             // any thread
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "braid/session.h"
#include "braid/status.h"
#include "ir/graph.h"
#include "partition/cost_model.h"
#include "partition/machine_balance.h"
#include "partition/partition_plan.h"
#include "partition/shape_resolver.h"

namespace braid::detail {

// Thread counts are bucketed by powers of two: 1, 2, 3-4, 5-8, 9-16, 17-32, 33+.
inline constexpr int kThreadBuckets = 7;
// The bucket of a thread count (<= 1 gives 0). Thread-safe.
int thread_bucket(int threads) noexcept;
// A representative thread count of a bucket (1, 2, 4, 8, ...). Thread-safe.
int bucket_threads(int bucket) noexcept;

struct DsdgOptions {
  // Weight of a new measurement once the slot has 1/alpha samples (before that the EWMA
  // is the plain mean of the samples so far, so early estimates converge quickly).
  double ewma_alpha = 0.1;
  // After this many samples in a slot, a sample further from the estimate than
  // outlier_spreads x the slot's spread (an EWMA of |sample - estimate|, at least
  // min_spread_fraction of the estimate) is clamped there (a Huber-style EWMA): one
  // preempted run moves the estimate by ~1%, not by alpha x its excess. The spread is fed
  // the clamped deviations, so under a real change it widens by ~alpha x (spreads - 1)
  // per run and the estimate still follows (a 2x change within 10% in ~28 runs, against
  // ~22 for a plain EWMA; see docs/partitioning.md).
  int outlier_after_samples = 8;
  double outlier_spreads = 2.0;
  double min_spread_fraction = 0.02;
  // Recompute upward ranks every this many record() calls (0: every 4 x subgraphs).
  uint32_t rank_refresh_records = 0;
  // The precision and threads the ranks assume.
  Precision rank_precision = Precision::kF32;
  int rank_threads = 1;
  MachineBalance balance = nominal_machine_balance();
  CostModelOptions cost;
};

class Dsdg {
 public:
  // Builds from a plan (node lists, edges and initial estimates are copied). The graph
  // the plan was made from is needed again only by reestimate(). Not thread-safe.
  explicit Dsdg(PartitionPlan plan, DsdgOptions options = {});
  Dsdg(const Dsdg&) = delete;
  Dsdg& operator=(const Dsdg&) = delete;
  ~Dsdg();

  // ---- structure (immutable after construction; thread-safe)
  size_t size() const noexcept { return plan_.subgraphs.size(); }
  const PartitionPlan& plan() const noexcept { return plan_; }
  std::span<const SubgraphId> preds(SubgraphId s) const noexcept;
  std::span<const SubgraphId> succs(SubgraphId s) const noexcept;
  std::span<const SubgraphId> sources() const noexcept { return sources_; }
  const DsdgOptions& options() const noexcept { return options_; }

  // ---- estimates for the current shapes (updated by reestimate; thread-safe)
  Cost estimated_cost(SubgraphId s) const noexcept;
  // Cost-model time on `threads` threads at `p`, not calibrated by measurements.
  double model_ns(SubgraphId s, Precision p = Precision::kF32, int threads = 1) const noexcept;
  double peak_working_set(SubgraphId s) const noexcept;
  bool compute_bound(SubgraphId s) const noexcept;
  // Bytes of edge plan().edges[e] at the current shapes.
  double edge_bytes(size_t e) const noexcept;
  // Incremented by every reestimate().
  uint64_t shape_epoch() const noexcept { return epoch_.load(std::memory_order_acquire); }

  // ---- measurements (lock-free; thread-safe)
  // Feeds one measured run of `s` at precision `p` on `threads` threads. `bytes` (when
  // > 0) is the data it actually moved. Lock-free: CAS loops on the slot. Thread-safe.
  void record(SubgraphId s, Precision p, int threads, double measured_ns, double bytes = 0) noexcept;
  // True exactly once per (s, p): for the caller that ran s at p first (the executor asks
  // after every adaptive and static run; sequential runs bypass it). That run is cold
  // (activation pages touched for the first time, weights and scratch not yet in any
  // cache) and is not fed to record(): one such sample in a thread bucket the planner
  // then stops choosing (it looks slow) would stay its measurement for good. Thread-safe.
  bool first_run(SubgraphId s, Precision p) noexcept;
  // The predicted time: the slot's EWMA when measured (and not stale: when more than 16
  // samples of s went to other buckets since its last one, the freshest of those, scaled
  // by the model's thread scaling); else another thread bucket's EWMA
  // scaled by the model's thread scaling; else the model scaled by the calibrated
  // ns-per-FLOP / ns-per-byte of (p, bucket); else the uncalibrated model. Thread-safe.
  double predict_ns(SubgraphId s, Precision p = Precision::kF32, int threads = 1) const noexcept;
  // The slot's EWMA, or NaN when it has no sample. Thread-safe.
  double measured_ns(SubgraphId s, Precision p, int threads) const noexcept;
  // Samples fed to one slot / to every slot of s. Thread-safe.
  uint64_t observed_count(SubgraphId s, Precision p, int threads) const noexcept;
  uint64_t observed_count(SubgraphId s) const noexcept;
  // The last `bytes` given to record() for s (0 when none). Thread-safe.
  double observed_bytes(SubgraphId s) const noexcept;
  // Calibrated ns per FLOP (from compute-bound subgraphs) and per byte (memory-bound) at
  // (p, bucket of threads); NaN until measured. Thread-safe.
  double ns_per_flop(Precision p, int threads) const noexcept;
  double ns_per_byte(Precision p, int threads) const noexcept;

  // ---- critical-path ranks (thread-safe)
  // predict_ns(s) plus the largest rank among its successors, as last recomputed.
  double upward_rank(SubgraphId s) const noexcept;
  // Recomputes every rank from the current predictions (O(subgraphs + edges)). Concurrent
  // calls are serialised by a flag: a call that finds another running returns at once.
  // Thread-safe.
  void recompute_ranks() noexcept;
  // The largest rank (the predicted critical path), as last recomputed. Thread-safe.
  double critical_path_ns() const noexcept;

  // ---- re-estimation (thread-safe w.r.t. readers; one writer at a time)
  // Recomputes every estimate for new concrete shapes of `graph` (the graph the plan was
  // made from). Measured EWMAs are rescaled by each subgraph's new/old model ratio so
  // they stay meaningful, then ranks are recomputed. Fails when the graph does not match
  // the plan. Thread-safe with readers; serialise concurrent reestimate() calls.
  Status reestimate(const Graph& graph, const ShapeBindings& shapes);

 private:
  struct Slot;
  struct Node;
  struct Calibration;
  Slot& slot(SubgraphId s, Precision p, int bucket) const noexcept;
  double calibrated_ns(SubgraphId s, Precision p, int threads) const noexcept;
  void set_estimates(SubgraphId s, const Cost& cost, double ws) noexcept;

  PartitionPlan plan_;
  DsdgOptions options_;
  std::vector<uint32_t> pred_offsets_, succ_offsets_;  // CSR adjacency
  std::vector<SubgraphId> pred_ids_, succ_ids_;
  std::vector<SubgraphId> sources_;
  std::unique_ptr<Node[]> nodes_;
  std::unique_ptr<Slot[]> slots_;           // size() x kNumPrecisions x kThreadBuckets
  std::unique_ptr<Calibration[]> calib_;    // kNumPrecisions x kThreadBuckets
  std::unique_ptr<std::atomic<double>[]> edge_bytes_;
  std::atomic<uint64_t> epoch_{0};
  alignas(64) std::atomic<uint64_t> records_{0};
  alignas(64) std::atomic<bool> ranking_{false};
  std::atomic<double> critical_path_{0};
  uint32_t rank_refresh_ = 0;
};

// What the DSDG knows of `s`, as the public SubgraphProfile: id, estimated FLOPs and
// bytes, class, predicted and measured one-thread ms, runs, rank (names and node counts
// are the caller's). Thread-safe.
SubgraphProfile learned_profile(const Dsdg& dsdg, SubgraphId s);

}  // namespace braid::detail
