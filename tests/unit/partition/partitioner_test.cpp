// Partitioner: exact partitions of hand-made graphs (chain, diamond, wide fan-out, nested
// fork/join), tiny-subgraph merging and its cycle check, the memory-aware mode, and
// property tests on random DAGs.
#include "partition/partitioner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "unit/partition/test_graphs.h"

namespace braid::detail {
namespace {

using testing::TestGraph;
using Names = std::vector<std::vector<std::string>>;

PartitionOptions exact_options() {
  PartitionOptions o;
  o.balance = nominal_machine_balance();
  o.min_subgraph_cost_ns = 0;
  return o;
}

Names names_of(const Graph& g, const PartitionPlan& plan) {
  std::vector<std::vector<NodeId>> sets;
  for (const Subgraph& s : plan.subgraphs) sets.push_back(s.nodes);
  return testing::subgraph_names(g, sets);
}

std::vector<std::pair<SubgraphId, SubgraphId>> edge_list(const PartitionPlan& plan) {
  std::vector<std::pair<SubgraphId, SubgraphId>> e;
  for (const DataEdge& d : plan.edges) e.emplace_back(d.from, d.to);
  return e;
}

// Every structural invariant a plan must hold; returns "" or the first violation.
std::string check_plan(const Graph& g, const PartitionPlan& plan) {
  const size_t nn = g.nodes.size();
  if (plan.subgraph_of_node.size() != nn) return "subgraph_of_node size";
  std::vector<int> seen(nn, 0);
  for (size_t s = 0; s < plan.subgraphs.size(); ++s) {
    const Subgraph& sg = plan.subgraphs[s];
    if (sg.id != s) return "id mismatch";
    if (sg.nodes.empty()) return "empty subgraph";
    if (!std::is_sorted(sg.nodes.begin(), sg.nodes.end())) return "nodes not in topological order";
    for (NodeId n : sg.nodes) {
      ++seen[n];
      if (plan.subgraph_of_node[n] != s) return "subgraph_of_node disagrees";
    }
    if (!std::is_sorted(sg.preds.begin(), sg.preds.end()) || !std::is_sorted(sg.succs.begin(), sg.succs.end()))
      return "preds/succs not sorted";
    for (SubgraphId p : sg.preds)
      if (p >= s) return "pred " + std::to_string(p) + " not before " + std::to_string(s) + " (order/cycle)";
    for (SubgraphId t : sg.succs)
      if (t <= s) return "succ not after";
  }
  for (size_t n = 0; n < nn; ++n)
    if (seen[n] != 1) return "node " + g.nodes[n].name + " covered " + std::to_string(seen[n]) + " times";
  // Every data dependency crossing subgraphs is an edge, and every edge is one.
  std::set<std::pair<SubgraphId, SubgraphId>> needed;
  for (NodeId n = 0; n < nn; ++n)
    for (ValueId in : g.nodes[n].inputs) {
      if (in == kNoValue || g.values[in].producer == kNoNode) continue;
      const SubgraphId a = plan.subgraph_of_node[g.values[in].producer], b = plan.subgraph_of_node[n];
      if (a != b) needed.emplace(a, b);
      if (a > b) return "dependency " + g.nodes[g.values[in].producer].name + " -> " + g.nodes[n].name + " violated";
    }
  std::set<std::pair<SubgraphId, SubgraphId>> have;
  for (const DataEdge& e : plan.edges) {
    have.emplace(e.from, e.to);
    if (!(e.bytes > 0)) return "edge without bytes";
    const auto& succs = plan.subgraphs[e.from].succs;
    const auto& preds = plan.subgraphs[e.to].preds;
    if (!std::binary_search(succs.begin(), succs.end(), e.to) || !std::binary_search(preds.begin(), preds.end(), e.from))
      return "edge missing from preds/succs";
  }
  if (needed != have) return "edges differ from data dependencies";
  size_t adj = 0;
  for (const Subgraph& s : plan.subgraphs) adj += s.succs.size();
  if (adj != plan.edges.size()) return "succs count differs from edges";
  // Levels, ranks, totals.
  double total = 0, crit = 0;
  std::vector<int> width;
  for (const Subgraph& s : plan.subgraphs) {
    int level = 0;
    for (SubgraphId p : s.preds) level = std::max(level, plan.subgraphs[p].level + 1);
    if (level != s.level) return "level";
    if (static_cast<size_t>(level) >= width.size()) width.resize(level + 1);
    ++width[level];
    double tail = 0;
    for (SubgraphId t : s.succs) tail = std::max(tail, plan.subgraphs[t].upward_rank);
    if (std::abs(s.upward_rank - (s.est_ns + tail)) > 1e-6 * (1 + s.upward_rank)) return "upward rank";
    total += s.est_ns;
    crit = std::max(crit, s.upward_rank);
  }
  if (plan.max_width != *std::max_element(width.begin(), width.end())) return "max_width";
  if (std::abs(total - plan.total_cost_ns) > 1e-6 * (1 + total)) return "total";
  if (std::abs(crit - plan.critical_path_ns) > 1e-6 * (1 + crit)) return "critical path";
  // Inputs and outputs.
  for (const Subgraph& s : plan.subgraphs) {
    std::set<ValueId> in, out;
    for (NodeId n : s.nodes) {
      for (ValueId v : g.nodes[n].inputs)
        if (v != kNoValue && !g.values[v].constant &&
            (g.values[v].producer == kNoNode || plan.subgraph_of_node[g.values[v].producer] != s.id))
          in.insert(v);
      for (ValueId v : g.nodes[n].outputs) {
        bool escapes = std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end();
        for (NodeId c : g.values[v].consumers) escapes = escapes || plan.subgraph_of_node[c] != s.id;
        if (escapes) out.insert(v);
      }
    }
    if (std::vector<ValueId>(in.begin(), in.end()) != s.inputs) return "inputs of " + std::to_string(s.id);
    if (std::vector<ValueId>(out.begin(), out.end()) != s.outputs) return "outputs of " + std::to_string(s.id);
  }
  return "";
}

bool same_plan(const PartitionPlan& a, const PartitionPlan& b) {
  if (a.subgraphs.size() != b.subgraphs.size() || a.subgraph_of_node != b.subgraph_of_node) return false;
  for (size_t s = 0; s < a.subgraphs.size(); ++s) {
    const Subgraph &x = a.subgraphs[s], &y = b.subgraphs[s];
    if (x.nodes != y.nodes || x.preds != y.preds || x.succs != y.succs || x.inputs != y.inputs ||
        x.outputs != y.outputs || x.est_ns != y.est_ns || x.peak_working_set != y.peak_working_set)
      return false;
  }
  if (a.edges.size() != b.edges.size()) return false;
  for (size_t e = 0; e < a.edges.size(); ++e)
    if (a.edges[e].from != b.edges[e].from || a.edges[e].to != b.edges[e].to || a.edges[e].bytes != b.edges[e].bytes)
      return false;
  return a.max_width == b.max_width && a.critical_path_ns == b.critical_path_ns;
}

TEST(Partitioner, ChainBecomesOneSubgraph) {
  TestGraph b;
  ValueId x = b.input("x", {1, 64});
  ValueId a = b.op("Relu", {x}, {1, 64}, "A");
  ValueId c = b.op("Sigmoid", {a}, {1, 64}, "B");
  ValueId d = b.op("Relu", {c}, {1, 64}, "C");
  ValueId e = b.op("Tanh", {d}, {1, 64}, "D");
  Graph g = b.finish({e});
  auto plan = partition(g, exact_options());
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(names_of(g, *plan), (Names{{"A", "B", "C", "D"}}));
  EXPECT_TRUE(plan->edges.empty());
  EXPECT_EQ(plan->max_width, 1);
  EXPECT_EQ(plan->subgraphs[0].inputs, std::vector<ValueId>{x});
  EXPECT_EQ(plan->subgraphs[0].outputs, std::vector<ValueId>{e});
  EXPECT_DOUBLE_EQ(plan->critical_path_ns, plan->total_cost_ns);
  EXPECT_DOUBLE_EQ(plan->speedup_bound(), 1.0);
  EXPECT_EQ(check_plan(g, *plan), "");

  PartitionOptions no_chains = exact_options();
  no_chains.merge_chains = false;
  auto fine = partition(g, no_chains);
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(names_of(g, *fine), (Names{{"A"}, {"B"}, {"C"}, {"D"}}));
  EXPECT_EQ(check_plan(g, *fine), "");
}

TEST(Partitioner, DiamondGivesFourSubgraphs) {
  TestGraph b;
  ValueId x = b.input("x", {1, 64});
  ValueId a = b.op("Relu", {x}, {1, 64}, "A");
  ValueId l = b.op("Relu", {a}, {1, 64}, "B");
  ValueId r = b.op("Sigmoid", {a}, {1, 64}, "C");
  ValueId d = b.op("Add", {l, r}, {1, 64}, "D");
  Graph g = b.finish({d});
  auto plan = partition(g, exact_options());
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(names_of(g, *plan), (Names{{"A"}, {"B"}, {"C"}, {"D"}}));
  using E = std::pair<SubgraphId, SubgraphId>;
  EXPECT_EQ(edge_list(*plan), (std::vector<E>{{0, 1}, {0, 2}, {1, 3}, {2, 3}}));
  for (const DataEdge& e : plan->edges) EXPECT_DOUBLE_EQ(e.bytes, 64 * 4);
  EXPECT_EQ(plan->max_width, 2);
  EXPECT_EQ(plan->subgraphs[3].level, 2);
  EXPECT_EQ(plan->subgraphs[0].outputs, std::vector<ValueId>{a});
  EXPECT_EQ(plan->subgraphs[3].inputs, (std::vector<ValueId>{l, r}));
  const auto& s = plan->subgraphs;
  EXPECT_DOUBLE_EQ(plan->critical_path_ns, s[0].est_ns + std::max(s[1].est_ns, s[2].est_ns) + s[3].est_ns);
  EXPECT_DOUBLE_EQ(plan->total_cost_ns, s[0].est_ns + s[1].est_ns + s[2].est_ns + s[3].est_ns);
  EXPECT_GT(plan->speedup_bound(), 1.0);
  EXPECT_EQ(check_plan(g, *plan), "");
}

TEST(Partitioner, WideFanOutKeepsEveryBranch) {
  TestGraph b;
  ValueId x = b.input("x", {1, 64});
  ValueId a = b.op("Relu", {x}, {1, 64}, "A");
  std::vector<ValueId> ends;
  Names expected{{"A"}};
  for (int i = 0; i < 8; ++i) {
    const std::string p = "B" + std::to_string(i);
    ValueId u = b.op("Relu", {a}, {1, 64}, p + "a");
    ends.push_back(b.op("Sigmoid", {u}, {1, 64}, p + "b"));
    expected.push_back({p + "a", p + "b"});
  }
  ValueId j = b.op("Concat", ends, {1, 512}, "J", {testing::int_attr("axis", 1)});
  expected.push_back({"J"});
  Graph g = b.finish({j});
  auto plan = partition(g, exact_options());
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(names_of(g, *plan), expected);
  EXPECT_EQ(plan->max_width, 8);
  EXPECT_EQ(plan->subgraphs[0].succs.size(), 8u);
  EXPECT_EQ(plan->subgraphs.back().preds.size(), 8u);
  EXPECT_EQ(check_plan(g, *plan), "");
}

TEST(Partitioner, NestedForkJoin) {
  TestGraph b;
  ValueId x = b.input("x", {1, 64});
  ValueId a = b.op("Relu", {x}, {1, 64}, "A");
  ValueId bb = b.op("Relu", {a}, {1, 64}, "B");
  ValueId c = b.op("Sigmoid", {a}, {1, 64}, "C");
  ValueId b1 = b.op("Relu", {bb}, {1, 64}, "B1");
  ValueId b2 = b.op("Sigmoid", {bb}, {1, 64}, "B2");
  ValueId bj = b.op("Add", {b1, b2}, {1, 64}, "Bj");
  ValueId c1 = b.op("Tanh", {c}, {1, 64}, "C1");
  ValueId d = b.op("Add", {bj, c1}, {1, 64}, "D");
  Graph g = b.finish({d});
  auto plan = partition(g, exact_options());
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(names_of(g, *plan), (Names{{"A"}, {"B"}, {"C", "C1"}, {"B1"}, {"B2"}, {"Bj"}, {"D"}}));
  using E = std::pair<SubgraphId, SubgraphId>;
  EXPECT_EQ(edge_list(*plan), (std::vector<E>{{0, 1}, {0, 2}, {1, 3}, {1, 4}, {2, 6}, {3, 5}, {4, 5}, {5, 6}}));
  EXPECT_EQ(plan->max_width, 2);
  EXPECT_EQ(check_plan(g, *plan), "");
}

// Costs given per node, so that the tiny-merge decisions are exact.
Result<PartitionPlan> partition_costs(const Graph& g, const std::vector<double>& ns, double threshold,
                                      double budget = 0, int in_flight = 1) {
  std::vector<Cost> costs = estimate_node_costs(g);
  PartitionOptions o = exact_options();
  o.min_subgraph_cost_ns = threshold;
  o.memory_budget_bytes = budget;
  o.max_in_flight = in_flight;
  return partition_with_costs(g, costs, ns, o);
}

TEST(Partitioner, TinyBranchesMergeIntoSiblingThenNeighbour) {
  TestGraph b;
  ValueId x = b.input("x", {1, 64});
  ValueId a = b.op("Relu", {x}, {1, 64}, "A");
  ValueId l = b.op("Relu", {a}, {1, 64}, "B");
  ValueId r = b.op("Sigmoid", {a}, {1, 64}, "C");
  ValueId d = b.op("Add", {l, r}, {1, 64}, "D");
  Graph g = b.finish({d});
  auto plan = partition_costs(g, {100, 1, 1, 100}, 10);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(names_of(g, *plan), (Names{{"A", "B", "C"}, {"D"}}));
  EXPECT_DOUBLE_EQ(plan->merge_threshold_ns, 10);
  EXPECT_EQ(check_plan(g, *plan), "");
  // Below the threshold nothing changes.
  auto kept = partition_costs(g, {100, 20, 20, 100}, 10);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->subgraphs.size(), 4u);
}

TEST(Partitioner, TinySiblingsCoalesceIntoParallelGroups) {
  TestGraph b;
  ValueId x = b.input("x", {1, 64});
  ValueId a = b.op("Relu", {x}, {1, 64}, "A");
  std::vector<ValueId> ends;
  for (int i = 0; i < 8; ++i) ends.push_back(b.op("Relu", {a}, {1, 64}, "B" + std::to_string(i)));
  ValueId j = b.op("Sum", ends, {1, 64}, "J");
  Graph g = b.finish({j});
  std::vector<double> ns(g.nodes.size(), 3);
  ns[testing::TestGraph::node_id(g, "A")] = 100;
  ns[testing::TestGraph::node_id(g, "J")] = 100;
  auto plan = partition_costs(g, ns, 10);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->subgraphs.size(), 4u);  // A, two groups of four branches, J
  EXPECT_EQ(plan->subgraphs[1].nodes.size(), 4u);
  EXPECT_EQ(plan->subgraphs[2].nodes.size(), 4u);
  EXPECT_EQ(plan->max_width, 2);
  EXPECT_DOUBLE_EQ(plan->subgraphs[1].est_ns, 12);
  EXPECT_EQ(check_plan(g, *plan), "");
}

TEST(Partitioner, TinyMergeNeverClosesACycle) {
  // A is tiny and feeds C and B, and C feeds B: merging A with B (the cheaper neighbour)
  // would make A+B -> C -> A+B (and lengthen every path), so A must go with C instead.
  TestGraph b;
  ValueId x = b.input("x", {1, 64});
  ValueId X = b.op("Relu", {x}, {1, 64}, "X");
  ValueId a = b.op("Sigmoid", {x}, {1, 64}, "A");
  ValueId c = b.op("Add", {X, a}, {1, 64}, "C");
  ValueId bb = b.op("Add", {c, a}, {1, 64}, "B");
  Graph g = b.finish({bb});
  std::vector<double> ns(4);
  ns[testing::TestGraph::node_id(g, "X")] = 100;
  ns[testing::TestGraph::node_id(g, "A")] = 1;
  ns[testing::TestGraph::node_id(g, "C")] = 100;
  ns[testing::TestGraph::node_id(g, "B")] = 50;
  auto plan = partition_costs(g, ns, 10);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(names_of(g, *plan), (Names{{"X"}, {"A", "C"}, {"B"}}));
  EXPECT_EQ(check_plan(g, *plan), "");
}

TEST(Partitioner, TinyJoinIsNotMergedIntoABranchItWouldDelay) {
  // Three independent branches of different lengths join in a tiny node. Merging the join
  // into any branch would make that branch wait for the others: the critical path would
  // grow from 1000 to 1000 + 300, so the join stays on its own.
  TestGraph b;
  ValueId x = b.input("x", {1, 64});
  ValueId p = b.op("Relu", {x}, {1, 64}, "P");
  ValueId q = b.op("Relu", {x}, {1, 64}, "Q");
  ValueId r = b.op("Relu", {x}, {1, 64}, "R");
  ValueId j = b.op("Sum", {p, q, r}, {1, 64}, "J");
  Graph g = b.finish({j});
  std::vector<double> ns(4);
  ns[testing::TestGraph::node_id(g, "P")] = 1000;
  ns[testing::TestGraph::node_id(g, "Q")] = 300;
  ns[testing::TestGraph::node_id(g, "R")] = 500;
  ns[testing::TestGraph::node_id(g, "J")] = 2;
  auto plan = partition_costs(g, ns, 10);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(names_of(g, *plan), (Names{{"P"}, {"Q"}, {"R"}, {"J"}}));
  EXPECT_DOUBLE_EQ(plan->critical_path_ns, 1002);
}

TEST(Partitioner, MemoryBudgetStopsMergesThatExceedIt) {
  // 1 MiB values; A is a graph output, so in a merged A+B+C it stays live to the end:
  // x+A, A+B, A+B+C = 3 MiB at the peak, while any two of them need 2 MiB.
  const int64_t n = 262144;
  TestGraph b;
  ValueId x = b.input("x", {1, n});
  ValueId a = b.op("Relu", {x}, {1, n}, "A");
  ValueId bb = b.op("Relu", {a}, {1, n}, "B");
  ValueId c = b.op("Relu", {bb}, {1, n}, "C");
  Graph g = b.finish({a, c});
  const double mib = 1 << 20;

  auto free = partition(g, exact_options());
  ASSERT_TRUE(free.ok());
  ASSERT_EQ(free->subgraphs.size(), 1u);
  EXPECT_DOUBLE_EQ(free->subgraphs[0].peak_working_set, 3 * mib);

  PartitionOptions o = exact_options();
  o.memory_budget_bytes = 2.5 * mib;
  o.max_in_flight = 1;
  auto capped = partition(g, o);
  ASSERT_TRUE(capped.ok()) << capped.status().message();
  EXPECT_EQ(names_of(g, *capped), (Names{{"A", "B"}, {"C"}}));
  EXPECT_LE(capped->max_peak_working_set, 2.5 * mib);
  EXPECT_DOUBLE_EQ(capped->working_set_cap, 2.5 * mib);
  EXPECT_EQ(capped->max_in_flight, 1);
  EXPECT_EQ(check_plan(g, *capped), "");

  o.memory_budget_bytes = 5 * mib;  // two in flight: the same cap per subgraph
  o.max_in_flight = 2;
  auto two = partition(g, o);
  ASSERT_TRUE(two.ok());
  EXPECT_TRUE(same_plan(*capped, *two));

  o.memory_budget_bytes = 1 * mib;
  o.max_in_flight = 1;
  auto impossible = partition(g, o);
  ASSERT_FALSE(impossible.ok());
  EXPECT_EQ(impossible.status().code(), StatusCode::kOutOfMemory);
  EXPECT_NE(impossible.status().message().find("Relu node 'A'"), std::string::npos) << impossible.status().message();
}

TEST(Partitioner, RejectsBadInput) {
  TestGraph b;
  ValueId x = b.input("x", {1, 4});
  ValueId a = b.op("Relu", {x}, {1, 4}, "A");
  Graph g = b.finish({a});
  std::vector<Cost> costs(2);
  std::vector<double> ns(2);
  EXPECT_FALSE(partition_with_costs(g, costs, ns, exact_options()).ok());
  PartitionOptions o = exact_options();
  o.memory_budget_bytes = 100;
  o.max_in_flight = 0;
  EXPECT_EQ(partition(g, o).status().code(), StatusCode::kInvalidArgument);
}

TEST(Partitioner, EmptyGraph) {
  Graph g;
  auto plan = partition(g, exact_options());
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->subgraphs.empty());
  EXPECT_EQ(plan->max_width, 0);
}

TEST(Partitioner, FinishPlanRejectsCyclesAndGaps) {
  TestGraph b;
  ValueId x = b.input("x", {1, 4});
  ValueId a = b.op("Relu", {x}, {1, 4}, "A");
  ValueId c = b.op("Relu", {a}, {1, 4}, "B");
  ValueId d = b.op("Relu", {c}, {1, 4}, "C");
  Graph g = b.finish({d});
  std::vector<Cost> costs = estimate_node_costs(g);
  std::vector<double> ns(3, 1.0);
  std::vector<double> bytes(g.values.size(), 16.0);
  PartitionPlan cyclic;
  cyclic.subgraphs.resize(2);
  cyclic.subgraphs[0].nodes = {0, 2};  // A and C around B: A+C -> B -> A+C
  cyclic.subgraphs[1].nodes = {1};
  EXPECT_FALSE(finish_plan(g, costs, ns, bytes, nominal_machine_balance(), cyclic).ok());
  PartitionPlan gap;
  gap.subgraphs.resize(1);
  gap.subgraphs[0].nodes = {0, 1};
  EXPECT_FALSE(finish_plan(g, costs, ns, bytes, nominal_machine_balance(), gap).ok());
  PartitionPlan fine;
  fine.subgraphs.resize(2);
  fine.subgraphs[0].nodes = {2};
  fine.subgraphs[1].nodes = {0, 1};
  ASSERT_TRUE(finish_plan(g, costs, ns, bytes, nominal_machine_balance(), fine).ok());
  EXPECT_EQ(fine.subgraphs[0].nodes, (std::vector<NodeId>{0, 1}));  // renumbered topologically
  EXPECT_EQ(check_plan(g, fine), "");
}

// ---- property tests on random DAGs

struct RandomCase {
  int nodes;
  uint32_t seed;
};

class RandomDag : public ::testing::TestWithParam<RandomCase> {};

TEST_P(RandomDag, PlansAreValidAndDeterministic) {
  const RandomCase rc = GetParam();
  const Graph g = testing::random_dag(rc.nodes, rc.seed);
  std::mt19937 rng(rc.seed * 7 + 1);
  for (int trial = 0; trial < 6; ++trial) {
    PartitionOptions o = exact_options();
    o.merge_chains = trial != 1;
    o.min_subgraph_cost_ns = trial == 0 ? 0 : std::uniform_real_distribution<double>(50, 3000)(rng);
    auto plan = partition(g, o);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    ASSERT_EQ(check_plan(g, *plan), "") << "trial " << trial;
    auto again = partition(g, o);
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(same_plan(*plan, *again)) << "not deterministic, trial " << trial;
    if (trial == 0) {
      // Chains are maximal: no edge a -> b left with a's only successor b and b's only
      // predecessor a.
      for (const DataEdge& e : plan->edges)
        EXPECT_FALSE(plan->subgraphs[e.from].succs.size() == 1 && plan->subgraphs[e.to].preds.size() == 1)
            << e.from << " -> " << e.to;
    }
  }
  // Memory-aware: every subgraph within the cap.
  auto base = partition(g, exact_options());
  ASSERT_TRUE(base.ok());
  PartitionOptions m = exact_options();
  m.min_subgraph_cost_ns = 1e9;  // merge as much as the budget lets it
  double single = 0;
  {
    PartitionOptions fine = exact_options();
    fine.merge_chains = false;
    auto p = partition(g, fine);
    ASSERT_TRUE(p.ok());
    single = p->max_peak_working_set;
  }
  m.memory_budget_bytes = 2 * single * 1.5;
  m.max_in_flight = 2;
  auto capped = partition(g, m);
  ASSERT_TRUE(capped.ok()) << capped.status().message();
  EXPECT_EQ(check_plan(g, *capped), "");
  for (const Subgraph& s : capped->subgraphs) EXPECT_LE(s.peak_working_set, m.memory_budget_bytes / 2);
}

INSTANTIATE_TEST_SUITE_P(Sizes, RandomDag,
                         ::testing::Values(RandomCase{20, 1}, RandomCase{50, 2}, RandomCase{200, 3},
                                           RandomCase{200, 4}, RandomCase{1000, 5}, RandomCase{3000, 6}),
                         [](const auto& info) {
                           return "n" + std::to_string(info.param.nodes) + "_seed" + std::to_string(info.param.seed);
                         });

TEST(Partitioner, TinyMergeReducesSubgraphCountAndKeepsBound) {
  const Graph g = testing::random_dag(500, 11);
  auto fine = partition(g, exact_options());
  PartitionOptions o = exact_options();
  o.min_subgraph_cost_ns = 1000;
  auto merged = partition(g, o);
  ASSERT_TRUE(fine.ok() && merged.ok());
  EXPECT_LT(merged->subgraphs.size(), fine->subgraphs.size());
  EXPECT_NEAR(merged->total_cost_ns, fine->total_cost_ns, 1e-9 * fine->total_cost_ns);  // same nodes
  EXPECT_GE(merged->critical_path_ns, fine->critical_path_ns);   // merging never shortens it
}

TEST(Partitioner, ForThisMachineDerivesThresholdFromMeasuredOverhead) {
  PartitionOptions o = PartitionOptions::for_this_machine();
  EXPECT_GT(o.balance.dispatch_overhead_ns, 0);
  EXPECT_DOUBLE_EQ(o.min_subgraph_cost_ns, merge_threshold_ns(o.balance.dispatch_overhead_ns));
  EXPECT_GT(o.balance.balance(), 0);
}

}  // namespace
}  // namespace braid::detail
