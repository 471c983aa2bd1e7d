// Cost model: per node FLOPs, bytes read (inputs + weights), bytes written and workspace,
// by op type from the resolved shapes; per precision (f32, bf16, int8) for the ops whose
// kernels have lower-precision variants; and a roofline time estimate against the
// machine's measured peaks. Unknown ops get a default (one FLOP per output element,
// every input read and every output written once).
//
//   std::vector<Cost> costs = estimate_node_costs(graph);              // f32, unknown dims = 1
//   double ns = estimate_time_ns(costs[n], machine_balance());          // one thread
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "braid/precision.h"
#include "ir/graph.h"
#include "partition/machine_balance.h"
#include "partition/partition_plan.h"
#include "partition/shape_resolver.h"

namespace braid::detail {

// The precisions a subgraph can run at (braid/precision.h; PrecisionPlan chooses).
using ::braid::Precision;
using ::braid::precision_name;
inline constexpr int kNumPrecisions = kPrecisionCount;

// True when kernels of this op type have a variant at `p` (f32: every op). Ops without
// one run at f32 inside a lower-precision subgraph, so their cost stays the f32 cost.
// Thread-safe.
bool op_supports_precision(std::string_view op_type, Precision p) noexcept;

struct CostModelOptions {
  // Fraction of the FMA peak that kernels reach (BENCHMARKS.md: tuned GEMM/conv 50-90%).
  double compute_efficiency = 0.5;
  // Fixed cost of one kernel call (argument set-up, output allocation), ns.
  double node_overhead_ns = 50;
  // Peak-rate multiplier over f32 per precision: bf16 dot products (AVX512_BF16) and
  // int8 VNNI do 2x / 4x the multiply-adds per instruction.
  double bf16_speedup = 2.0;
  double int8_speedup = 4.0;
};

// The cost of node `n` at precision `p` given one shape per value (resolve_shapes).
// Pure. Thread-safe.
Cost estimate_node_cost(const Graph& graph, NodeId n, std::span<const Shape> shapes,
                        Precision p = Precision::kF32);

// Every node's cost, shapes resolved from `bindings` (unknown dims as 1). Thread-safe.
std::vector<Cost> estimate_node_costs(const Graph& graph, const ShapeBindings& bindings = {},
                                      Precision p = Precision::kF32);

// Roofline time of `cost` on `threads` threads: max(compute, memory) + node overhead(s).
// Compute scales with threads; bandwidth scales up to the all-core / one-core ratio.
// `nodes` is how many kernel calls the cost covers. Thread-safe.
double estimate_time_ns(const Cost& cost, const MachineBalance& balance, const CostModelOptions& options = {},
                        Precision p = Precision::kF32, int threads = 1, int nodes = 1) noexcept;

// True when the cost's arithmetic intensity is above the machine balance point (work that
// moves no bytes at all is compute-bound when it has FLOPs). Thread-safe.
inline bool is_compute_bound(const Cost& cost, const MachineBalance& balance) noexcept {
  return cost.bytes() > 0 ? cost.intensity() > balance.balance() : cost.flops > 0;
}

}  // namespace braid::detail
