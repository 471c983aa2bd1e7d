#include "exec/subgraph_program.h"

#include <algorithm>
#include <map>
#include <set>

namespace braid::detail {

SubgraphProgram SubgraphProgram::build(const Graph& graph, const ExecutionPlan& plan, const PartitionPlan& partition) {
  SubgraphProgram p;
  p.units.resize(partition.subgraphs.size());
  const auto& sub_of = partition.subgraph_of_node;
  // Consumers of each value, as units.
  std::vector<std::set<SubgraphId>> consumer_units(graph.values.size());
  std::vector<int64_t> last_local_use(graph.values.size(), -1);
  for (NodeId n = 0; n < graph.nodes.size(); ++n)
    for (ValueId v : graph.nodes[n].inputs)
      if (v != kNoValue) consumer_units[v].insert(sub_of[n]);
  std::map<ValueId, uint32_t> crossing_slot;
  for (ValueId v = 0; v < graph.values.size(); ++v) {
    const Value& val = graph.values[v];
    if (val.constant || plan.is_graph_output[v] || consumer_units[v].empty()) continue;
    bool produced_here = val.producer != kNoNode;
    bool local = produced_here && consumer_units[v].size() == 1 && *consumer_units[v].begin() == sub_of[val.producer];
    if (!local) {
      uint32_t slot = static_cast<uint32_t>(p.crossing_values.size());
      crossing_slot[v] = slot;
      p.crossing_values.push_back(v);
      p.crossing_consumers.push_back(static_cast<int>(consumer_units[v].size()));
      for (SubgraphId u : consumer_units[v]) p.units[u].crossing_inputs.push_back(slot);
    }
  }
  for (const Subgraph& sg : partition.subgraphs) {
    Unit& u = p.units[sg.id];
    u.succs = sg.succs;
    u.preds = static_cast<int>(sg.preds.size());
    std::vector<NodeId> nodes = sg.nodes;
    std::sort(nodes.begin(), nodes.end());  // node ids are a topological order
    for (NodeId n : nodes) u.steps.push_back({n, {}});
    // Local values die after their last use inside this unit.
    std::map<ValueId, size_t> last;
    for (size_t i = 0; i < u.steps.size(); ++i)
      for (ValueId v : graph.nodes[u.steps[i].node].inputs)
        if (v != kNoValue && !crossing_slot.count(v) && !graph.values[v].constant && !plan.is_graph_output[v])
          last[v] = i;
    for (auto [v, i] : last) u.steps[i].release.push_back(v);
  }
  return p;
}

PartitionPlan per_node_partition(const Graph& graph) {
  PartitionPlan plan;
  const size_t n = graph.nodes.size();
  plan.subgraphs.resize(n);
  plan.subgraph_of_node.resize(n);
  for (NodeId i = 0; i < n; ++i) {
    plan.subgraphs[i].id = i;
    plan.subgraphs[i].nodes = {i};
    plan.subgraph_of_node[i] = i;
  }
  for (NodeId i = 0; i < n; ++i) {
    for (ValueId v : graph.nodes[i].inputs) {
      if (v == kNoValue) continue;
      NodeId p = graph.values[v].producer;
      if (p == kNoNode) continue;
      plan.subgraphs[i].preds.push_back(p);
      plan.subgraphs[p].succs.push_back(i);
    }
  }
  for (auto& sg : plan.subgraphs) {
    std::sort(sg.preds.begin(), sg.preds.end());
    sg.preds.erase(std::unique(sg.preds.begin(), sg.preds.end()), sg.preds.end());
    std::sort(sg.succs.begin(), sg.succs.end());
    sg.succs.erase(std::unique(sg.succs.begin(), sg.succs.end()), sg.succs.end());
  }
  return plan;
}

}  // namespace braid::detail
