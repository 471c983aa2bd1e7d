// SubgraphProgram: what the parallel executor needs per subgraph, derived once at load
// from the PartitionPlan: its nodes, its successors, and which values die where. Values
// used only inside one subgraph die after their last use there; values that cross
// subgraphs die when the last consuming subgraph finishes (an atomic count per request).
#pragma once

#include <vector>

#include "exec/execution_plan.h"
#include "partition/partition_plan.h"

namespace braid::detail {

struct SubgraphProgram {
  struct Step {
    NodeId node;
    std::vector<ValueId> release;  // local values dead after this node
  };
  struct Unit {
    std::vector<Step> steps;
    std::vector<SubgraphId> succs;
    std::vector<uint32_t> crossing_inputs;  // slots in crossing_values this unit consumes
    int preds = 0;
  };
  std::vector<Unit> units;
  std::vector<ValueId> crossing_values;     // values read by more than their producer's unit
  std::vector<int> crossing_consumers;      // consuming units per crossing value

  static SubgraphProgram build(const Graph& graph, const ExecutionPlan& plan, const PartitionPlan& partition);
};

// One subgraph per node: the finest plan (used when no partitioner plan is given).
PartitionPlan per_node_partition(const Graph& graph);

}  // namespace braid::detail
