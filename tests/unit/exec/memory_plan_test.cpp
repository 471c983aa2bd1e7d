// The activation arena's plan (exec/memory_plan.h): on the bundled models and on random
// DAGs no two values that may be live at once share bytes (checked against the graph's
// dependencies by an independent search), the dependency-order plan is valid for any
// execution order (running the nodes in random topological orders with the arena gives
// the sequential bits), and graph outputs never live in the block.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "braid/braid.h"
#include "common/test_util.h"
#include "exec/activation_arena.h"
#include "exec/execution_plan.h"
#include "exec/memory_plan.h"
#include "partition/shape_resolver.h"
#include "session/session_impl.h"

namespace braid::detail {
namespace {

std::string model_path(const std::string& name) { return testing::bundled_models_dir() + "/" + name + ".onnx"; }

Session load(const std::string& name) {
  SessionOptions so;
  so.mode = ExecutionMode::kSequential;
  so.threads = 1;
  auto s = Session::load(model_path(name), so);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return std::move(s).value();
}

class BundledPlan : public ::testing::TestWithParam<std::string> {};

TEST_P(BundledPlan, NoTwoValuesLiveAtOnceShareBytes) {
  Session s = load(GetParam());
  const Session::Impl& impl = s.impl();
  const std::vector<Shape> shapes = resolve_shapes(impl.graph);
  for (auto liveness : {MemoryPlan::Liveness::kDag, MemoryPlan::Liveness::kSequential}) {
    const MemoryPlan mp = MemoryPlan::build(impl.graph, impl.plan, shapes, liveness);
    Status st = verify_memory_plan(impl.graph, mp);
    EXPECT_TRUE(st.ok()) << st.message();
    // A dependency-order plan is also valid in node order (node order is one of them).
    if (liveness == MemoryPlan::Liveness::kDag) {
      MemoryPlan as_seq = mp;
      as_seq.liveness = MemoryPlan::Liveness::kSequential;
      EXPECT_TRUE(verify_memory_plan(impl.graph, as_seq).ok());
    }
    EXPECT_GT(mp.groups, 0u);
    EXPECT_LE(mp.total_bytes, mp.slot_bytes);
    for (ValueId v : impl.graph.outputs) EXPECT_EQ(mp.offset[v], MemoryPlan::kNoSlot);
    std::printf("%s %s: %zu slots, %.2f MiB planned (%.2f MiB unshared)\n", GetParam().c_str(),
                liveness == MemoryPlan::Liveness::kDag ? "dag" : "sequential", mp.groups, mp.total_bytes / 1048576.0,
                mp.slot_bytes / 1048576.0);
  }
}

// Runs every node in a random topological order (what concurrent subgraphs may do)
// through run_node with the dependency-order plan: the outputs keep the sequential bits.
TEST_P(BundledPlan, AnyTopologicalOrderWithTheArenaGivesTheSequentialBits) {
  Session s = load(GetParam());
  const Session::Impl& impl = s.impl();
  const Graph& g = impl.graph;
  const NamedTensors in = testing::random_inputs(s, 3);
  RunOptions seq;
  seq.mode = ExecutionMode::kSequential;
  auto ref = s.run(in, seq);
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  const MemoryPlan mp = MemoryPlan::build(g, impl.plan, resolve_shapes(g), MemoryPlan::Liveness::kDag);
  ASSERT_FALSE(mp.empty());
  std::vector<std::byte> block(mp.total_bytes + MemoryPlan::kAlign);
  auto* base = reinterpret_cast<std::byte*>((reinterpret_cast<uintptr_t>(block.data()) + 63) / 64 * 64);
  const ArenaView view{&mp, base, mp.total_bytes};
  std::mt19937 rng(11);
  for (int round = 0; round < 4; ++round) {
    std::memset(base, 0xA5 + round, mp.total_bytes);  // stale bytes must never be read
    std::vector<Tensor> values(g.values.size());
    for (size_t i = 0; i < g.inputs.size(); ++i) values[g.inputs[i]] = in.at(g.values[g.inputs[i]].name);
    // Kahn's algorithm with a random pick among the ready nodes.
    std::vector<int> missing(g.nodes.size(), 0);
    for (NodeId n = 0; n < g.nodes.size(); ++n)
      for (ValueId v : g.nodes[n].inputs)
        if (v != kNoValue && g.values[v].producer != kNoNode) ++missing[n];
    std::vector<NodeId> ready;
    for (NodeId n = 0; n < g.nodes.size(); ++n)
      if (missing[n] == 0) ready.push_back(n);
    // Values are released only after their last consumer in this order has run.
    std::vector<int> readers_left(g.values.size(), 0);
    for (const Node& node : g.nodes)
      for (ValueId v : node.inputs)
        if (v != kNoValue) ++readers_left[v];
    while (!ready.empty()) {
      const size_t pick = std::uniform_int_distribution<size_t>(0, ready.size() - 1)(rng);
      const NodeId n = ready[pick];
      ready.erase(ready.begin() + static_cast<std::ptrdiff_t>(pick));
      std::vector<ValueId> release;
      for (ValueId v : g.nodes[n].inputs)
        if (v != kNoValue && --readers_left[v] == 0 && !g.values[v].constant && !impl.plan.is_graph_output[v] &&
            std::find(release.begin(), release.end(), v) == release.end())
          release.push_back(v);
      Status st = run_node(g, impl.plan, values, n, 1, release, Precision::kF32, nullptr, &view);
      ASSERT_TRUE(st.ok()) << st.message();
      for (ValueId out : g.nodes[n].outputs) {
        if (out == kNoValue) continue;
        for (NodeId c : g.values[out].consumers)
          if (--missing[c] == 0) ready.push_back(c);
      }
    }
    for (ValueId v : g.outputs) {
      const Tensor& t = values[v];
      const Tensor& r = ref->at(g.values[v].name);
      ASSERT_EQ(t.shape(), r.shape());
      EXPECT_EQ(std::memcmp(t.raw_data(), r.raw_data(), r.byte_size()), 0) << g.values[v].name << " round " << round;
      EXPECT_FALSE(view.contains(t.raw_data())) << "graph output in the arena";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, BundledPlan,
                         ::testing::Values("inception", "resnet", "wide_mlp", "transformer", "ensemble"));

// A random DAG in node (topological) order: nodes read 1-3 earlier values, some are views
// (Reshape), some have two outputs, some outputs are graph outputs or never read.
Graph random_dag(std::mt19937& rng, int nodes) {
  Graph g;
  auto add = [&](const std::string& name) {
    Value v;
    v.name = name;
    v.dtype = DataType::kFloat32;
    return g.add_value(std::move(v));
  };
  g.inputs.push_back(add("in"));
  std::vector<ValueId> avail = {g.inputs[0]};
  for (int i = 0; i < nodes; ++i) {
    Node n;
    n.name = "n" + std::to_string(i);
    const int kind = std::uniform_int_distribution<int>(0, 9)(rng);
    n.op_type = kind < 2 ? "Reshape" : kind < 3 ? "Split" : "Add";
    const int reads = n.op_type == "Add" ? std::uniform_int_distribution<int>(1, 3)(rng) : 1;
    for (int r = 0; r < reads; ++r) {
      // Mostly recent values (long chains), sometimes old ones (long lifetimes).
      const size_t span = std::min<size_t>(avail.size(), rng() % 4 == 0 ? avail.size() : 4);
      n.inputs.push_back(avail[avail.size() - 1 - rng() % span]);
    }
    const int outs = n.op_type == "Split" ? 2 : 1;
    for (int o = 0; o < outs; ++o) {
      const ValueId v = add(n.name + "_o" + std::to_string(o));
      n.outputs.push_back(v);
      avail.push_back(v);
    }
    g.nodes.push_back(std::move(n));
  }
  for (ValueId v = 1; v < g.values.size(); ++v)
    if (rng() % 12 == 0) g.outputs.push_back(v);
  g.outputs.push_back(static_cast<ValueId>(g.values.size() - 1));
  EXPECT_TRUE(g.finalize().ok());
  return g;
}

TEST(MemoryPlan, RandomDagsNeverOverlapValuesThatMayBeLiveAtOnce) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    Graph g = random_dag(rng, 5 + trial % 60);
    ExecutionPlan plan;
    plan.is_graph_output.assign(g.values.size(), false);
    for (ValueId v : g.outputs) plan.is_graph_output[v] = true;
    std::vector<Shape> shapes(g.values.size());
    for (auto& s : shapes) s = {static_cast<int64_t>(1 + rng() % 3000)};
    for (auto liveness : {MemoryPlan::Liveness::kDag, MemoryPlan::Liveness::kSequential}) {
      const MemoryPlan mp = MemoryPlan::build(g, plan, shapes, liveness);
      Status st = verify_memory_plan(g, mp);
      ASSERT_TRUE(st.ok()) << "trial " << trial << ": " << st.message();
      for (ValueId v : g.outputs) EXPECT_EQ(mp.offset[v], MemoryPlan::kNoSlot);
      // Views share their input's slot.
      for (const Node& n : g.nodes)
        if (n.op_type == "Reshape" && mp.root[n.inputs[0]] != kNoValue && !plan.is_graph_output[n.outputs[0]]) {
          EXPECT_EQ(mp.root[n.outputs[0]], mp.root[n.inputs[0]]);
        }
    }
  }
}

TEST(MemoryPlan, VerifyRejectsOverlappingValuesThatMayBeLiveAtOnce) {
  // in -> a, in -> b (independent branches), a + b -> out: a and b are live at once.
  Graph g;
  for (const char* name : {"in", "a", "b", "out"}) {
    Value v;
    v.name = name;
    v.dtype = DataType::kFloat32;
    g.add_value(std::move(v));
  }
  g.inputs = {0};
  g.outputs = {3};
  g.nodes.push_back(Node{"na", "Relu", "", 13, {0}, {1}, {}});
  g.nodes.push_back(Node{"nb", "Relu", "", 13, {0}, {2}, {}});
  g.nodes.push_back(Node{"nc", "Add", "", 13, {1, 2}, {3}, {}});
  ASSERT_TRUE(g.finalize().ok());
  ExecutionPlan plan;
  plan.is_graph_output = {false, false, false, true};
  const std::vector<Shape> shapes(4, Shape{256});
  MemoryPlan mp = MemoryPlan::build(g, plan, shapes, MemoryPlan::Liveness::kDag);
  ASSERT_TRUE(verify_memory_plan(g, mp).ok());
  EXPECT_NE(mp.offset[1], mp.offset[2]);
  mp.offset[2] = mp.offset[1];  // corrupt: both branches in the same bytes
  EXPECT_FALSE(verify_memory_plan(g, mp).ok());
}

TEST(MemoryPlan, ChainReusesBytesOnlyInDependencyOrder) {
  // A chain in -> v1 -> v2 -> v3 -> out: v1 and v3 may share, v2 may not share with either.
  Graph g;
  for (const char* name : {"in", "v1", "v2", "v3", "out"}) {
    Value v;
    v.name = name;
    v.dtype = DataType::kFloat32;
    g.add_value(std::move(v));
  }
  g.inputs = {0};
  g.outputs = {4};
  for (int i = 0; i < 4; ++i)
    g.nodes.push_back(Node{"n" + std::to_string(i), "Relu", "", 13, {static_cast<ValueId>(i)},
                           {static_cast<ValueId>(i + 1)}, {}});
  ASSERT_TRUE(g.finalize().ok());
  ExecutionPlan plan;
  plan.is_graph_output = {false, false, false, false, true};
  const MemoryPlan mp = MemoryPlan::build(g, plan, std::vector<Shape>(5, Shape{1024}), MemoryPlan::Liveness::kDag);
  EXPECT_EQ(mp.total_bytes, 2u * 4096u);
  EXPECT_EQ(mp.offset[1], mp.offset[3]);
  EXPECT_NE(mp.offset[1], mp.offset[2]);
}

}  // namespace
}  // namespace braid::detail
