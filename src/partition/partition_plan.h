// PartitionPlan: the Partitioner's output and the DSDG's skeleton. Subgraphs are sets of
// IR nodes (kept in topological order) with the data edges between them.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/graph.h"

namespace braid::detail {

using SubgraphId = uint32_t;

// Estimated cost of a node or a subgraph (f32 unless stated).
struct Cost {
  double flops = 0;
  double bytes_read = 0;     // inputs + weights
  double bytes_written = 0;  // outputs
  double workspace_bytes = 0;
  double bytes() const { return bytes_read + bytes_written; }
  double intensity() const { return bytes() > 0 ? flops / bytes() : 0; }  // FLOP per byte
};

struct Subgraph {
  SubgraphId id = 0;
  std::vector<NodeId> nodes;        // topological order
  std::vector<SubgraphId> preds;    // sorted, unique
  std::vector<SubgraphId> succs;    // sorted, unique
  std::vector<ValueId> inputs;      // values read from other subgraphs or graph inputs
  std::vector<ValueId> outputs;     // values read by other subgraphs or graph outputs
  Cost cost;
  double peak_working_set = 0;      // bytes live at once while it runs
  bool compute_bound = false;       // intensity above the machine balance point
  double upward_rank = 0;           // estimated time from its start to the graph's end (ns)
  // Added by the partitioner (issue 4); the fields above keep their meaning.
  double est_ns = 0;                // estimated single-thread time of its nodes (ns)
  double weight_bytes = 0;          // constants (initializers) its nodes read
  int level = 0;                    // longest path from a source, in subgraphs (sources: 0)
};

struct DataEdge {
  SubgraphId from = 0;
  SubgraphId to = 0;
  double bytes = 0;
};

struct PartitionPlan {
  std::vector<Subgraph> subgraphs;  // in a topological order of the subgraph DAG
  std::vector<DataEdge> edges;
  std::vector<SubgraphId> subgraph_of_node;  // per IR node
  int max_width = 0;                // most subgraphs that can run at once (widest level)
  double total_cost_ns = 0;         // estimated sequential time
  double critical_path_ns = 0;      // estimated time of the longest path
  // Added by the partitioner (issue 4); see docs/partitioning.md.
  double merge_threshold_ns = 0;    // subgraphs estimated below this were merged (0: none)
  double machine_balance = 0;       // FLOP/byte that separates compute- from memory-bound
  double memory_budget_bytes = 0;   // the budget the plan was built for (0: none)
  int max_in_flight = 0;            // subgraphs the budget guarantee assumes at once
  double working_set_cap = 0;       // budget / max_in_flight: every peak_working_set <= this
  double max_peak_working_set = 0;  // largest peak_working_set of any subgraph

  // total_cost_ns / critical_path_ns: the speedup inter-op parallelism alone can give.
  double speedup_bound() const { return critical_path_ns > 0 ? total_cost_ns / critical_path_ns : 1.0; }
};

}  // namespace braid::detail
