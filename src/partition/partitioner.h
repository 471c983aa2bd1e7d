// Partitioner: compile-time subgraph identification. Turns the graph IR into a
// PartitionPlan: linear chains merged, independent branches kept apart (fork/join
// analysis), subgraphs cheaper than the dispatch-overhead threshold merged into a
// sibling or neighbour without ever creating a cycle, and, in the memory-aware mode,
// every subgraph's peak working set kept under budget / max_in_flight. Pure: no threads,
// no clocks, no globals; the same graph and options always give the same plan.
//
//   PartitionOptions opt = PartitionOptions::for_this_machine();   // measured threshold
//   Result<PartitionPlan> plan = partition(graph, opt);
//   for (const Subgraph& s : plan->subgraphs) ...                  // topological order
#pragma once

#include <span>
#include <vector>

#include "braid/status.h"
#include "ir/graph.h"
#include "partition/cost_model.h"
#include "partition/machine_balance.h"
#include "partition/partition_plan.h"
#include "partition/shape_resolver.h"

namespace braid::detail {

struct PartitionOptions {
  // Merge maximal linear chains (u -> v where u has one successor and v one predecessor).
  bool merge_chains = true;
  // Subgraphs estimated below this many ns are merged into a sibling or a neighbour.
  // 0 disables cost merging. for_this_machine() derives it from the measured dispatch
  // overhead (merge_threshold_ns); tests set it directly.
  double min_subgraph_cost_ns = 0;
  // Memory-aware mode (off when 0): every subgraph's peak_working_set is kept at or below
  // memory_budget_bytes / max_in_flight (see docs/partitioning.md for the guarantee).
  double memory_budget_bytes = 0;
  int max_in_flight = 1;
  // Costs: precision, concrete shapes for dynamic dims, the machine, the model's knobs.
  Precision precision = Precision::kF32;
  ShapeBindings shapes;
  MachineBalance balance = nominal_machine_balance();
  CostModelOptions cost;

  // The measured balance of this machine and the threshold derived from its measured
  // dispatch overhead (first call may probe; cached per machine). Thread-safe.
  static PartitionOptions for_this_machine(double max_overhead_fraction = 0.1);
};

// Partitions `graph` (finalized: nodes in topological order, producer/consumer links
// set). Fails on an inconsistent graph, or in the memory-aware mode when one node alone
// needs more than budget / max_in_flight (the message names the node and both sizes).
// Pure and deterministic. Thread-safe.
Result<PartitionPlan> partition(const Graph& graph, const PartitionOptions& options = {});

// Same with precomputed per-node costs and times (one each per node), e.g. when many
// plans are made for one graph. Thread-safe.
Result<PartitionPlan> partition_with_costs(const Graph& graph, std::span<const Cost> node_costs,
                                           std::span<const double> node_ns, const PartitionOptions& options);

// Fills every derived field of `plan` (preds, succs, inputs, outputs, edges, costs, peak
// working sets, compute_bound, levels, ranks, width, totals) from plan.subgraphs[*].nodes,
// renumbering the subgraphs in a canonical topological order. Used by the partitioner and
// by anyone who edits a plan by hand. Fails when the subgraphs do not cover every node
// exactly once or their DAG has a cycle. Thread-safe.
// `value_bytes` holds one size per value (edge bytes and working sets).
Status finish_plan(const Graph& graph, std::span<const Cost> node_costs, std::span<const double> node_ns,
                   std::span<const double> value_bytes, const MachineBalance& balance, PartitionPlan& plan);

// Bytes live at once while `nodes` (topological order) run one after another: the
// subgraph's inputs until their last use, every value it produces until its last use
// inside it (outputs until its end), plus the running node's workspace. Constants are
// not counted. Thread-safe.
// `value_bytes` holds one size per value (e.g. shape_numel(shape) * dtype size).
double subgraph_working_set(const Graph& graph, std::span<const NodeId> nodes, std::span<const Cost> node_costs,
                            std::span<const double> value_bytes);

// subgraph_working_set of every subgraph of `plan`, in one pass over the graph.
// Thread-safe.
std::vector<double> subgraph_working_sets(const Graph& graph, const PartitionPlan& plan,
                                          std::span<const Cost> node_costs, std::span<const double> value_bytes);

// Bytes of every value at the resolved shapes (numel x dtype size). Thread-safe.
std::vector<double> value_byte_sizes(const Graph& graph, std::span<const Shape> shapes);

}  // namespace braid::detail
