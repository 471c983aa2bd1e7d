// PrecisionPlan: each subgraph's precision policy, built at load from the kernels' variants
// (OpKernel::precisions), the defaults and the user's rules, tightened by calibration; and
// the per-run choice (choose) from the session's PrecisionMode and the resource pressure.
//
// Defaults: a subgraph is critical (f32 only) when it produces a graph output, or when its
// Softmax / normalization nodes are at least as many as its nodes with low-precision
// variants ("softmax/normalization-heavy"). Rules (SessionOptions::precision_rules) match
// nodes by op type or name, or whole subgraphs; a node's last matching rule is its policy,
// and a subgraph takes the strictest policy of its nodes.
//
// Adaptive choice (PrecisionMode::kAdaptive), per subgraph run, from the monitor's vector
// as the subgraph starts:
//  - compute is scarce (share of our cores still free < kScarceShare) and the subgraph is
//    compute-bound -> int8 if allowed (s32 dot products: 4 MACs per lane), else bf16 where
//    the CPU has bf16 dot products;
//  - bandwidth is scarce and the subgraph is memory-bound -> bf16 (half the weight
//    traffic), int8 when bandwidth is very scarce (a quarter);
//  - otherwise f32, the highest allowed precision.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "braid/precision.h"
#include "braid/resource.h"
#include "dsdg/dsdg.h"
#include "exec/execution_plan.h"
#include "partition/partition_plan.h"

namespace braid::detail {

// What the resource vector says about the binding resources, 1 = all free.
struct PrecisionPressure {
  double compute_share = 1;    // cores available / cores we may use
  double bandwidth_share = 1;  // bandwidth available / peak

  static PrecisionPressure from(const ResourceVector& v);
};

// The adaptive rule above (and the fixed modes) for one subgraph whose allowed precisions
// are `allowed` (bits 1 << Precision, f32 always included). Lock-free, allocation-free.
Precision choose_precision(uint32_t allowed, PrecisionMode mode, const PrecisionPressure& p, bool compute_bound,
                           bool native_bf16);

// Whether bf16 computes faster than f32 on this CPU (bf16_speed().native(): measured once
// per process, a few ms on the first call; not simply "has AVX512_BF16"). Thread-safe.
bool native_bf16();

class PrecisionPlan {
 public:
  static constexpr double kScarceShare = 0.75;
  static constexpr double kVeryScarceShare = 0.4;

  // `weight_budget_bytes`: SessionOptions::precision_weight_budget_bytes (0 = none).
  static std::unique_ptr<PrecisionPlan> build(const Graph& graph, const ExecutionPlan& plan,
                                              const PartitionPlan& partition, const std::vector<PrecisionRule>& rules,
                                              size_t weight_budget_bytes = 0);

  size_t size() const { return info_.size(); }
  // Bits (1 << Precision) subgraph `s` may run at now; always includes f32. Lock-free.
  uint32_t allowed(SubgraphId s) const { return allowed_[s].load(std::memory_order_acquire); }
  // True when no subgraph can run below f32 (then runs skip the choice entirely).
  bool all_f32() const { return !any_lowerable_; }

  // The precision of subgraph `s` in this run. Lock-free, allocation-free.
  Precision choose(SubgraphId s, PrecisionMode mode, const PrecisionPressure& p, bool compute_bound) const;

  // The adaptive choice refined by what the DSDG has measured: `heuristic` (from choose())
  // stands unless another allowed precision, f32 included, ran this subgraph at least 5%
  // faster at this thread count. A lower precision never measured yet is tried first (each
  // is measured once before the measurements decide). Lock-free, allocation-free.
  Precision prefer_measured(SubgraphId s, Precision heuristic, const Dsdg& dsdg, int threads) const;

  // Policies and measured errors (for Session::precision_report). Thread-safe.
  CalibrationReport report(const std::string& model) const;
  // Records calibrate()'s measurements and disallows what exceeds the tolerance; `report`
  // must have one entry per subgraph with matching ids. Thread-safe.
  Status apply_calibration(const CalibrationReport& report);

 private:
  void publish(SubgraphId s);  // recomputes allowed_[s] from info_[s]; holds mu_

  std::vector<SubgraphPrecision> info_;  // guarded by mu_ after build
  std::unique_ptr<std::atomic<uint32_t>[]> allowed_;
  bool any_lowerable_ = false;
  bool native_bf16_ = false;  // bf16 computes faster than f32 here (native_bf16())
  mutable std::mutex mu_;
};

// What one request needs to pick its subgraphs' precisions.
struct RunPrecision {
  const PrecisionPlan* plan = nullptr;  // null: everything f32
  PrecisionMode mode = PrecisionMode::kF32;
  // kAdaptive: the monitor whose vector each subgraph reads as it starts (a competitor
  // that arrives in the middle of a request lowers the subgraphs still to run); null: no
  // pressure.
  const ResourceMonitor* monitor = nullptr;
  int64_t* kernels_by_precision = nullptr;  // kPrecisionCount counters to add to, or null

  // The pressure now: from the monitor's latest vector (every resource free without one).
  // Wait-free.
  PrecisionPressure pressure_now() const {
    return monitor != nullptr ? PrecisionPressure::from(monitor->current()) : PrecisionPressure{};
  }
};

}  // namespace braid::detail
