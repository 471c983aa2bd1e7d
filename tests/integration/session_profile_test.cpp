// The session's learning loop: adaptive runs feed every subgraph's measured time back to
// the DSDG (and nothing else does), and new input shapes re-estimate the costs.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "braid/session.h"
#include "model_builder/model_builder.h"
#include "common/test_util.h"

using namespace braid;
namespace mg = braid::modelgen;

namespace {

Session load_bundled(const std::string& name, ExecutionMode mode) {
  SessionOptions opt;
  opt.mode = mode;
  auto s = Session::load(braid::testing::bundled_models_dir() + "/" + name + ".onnx", opt);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return std::move(s).value();
}

NamedTensors random_inputs(const Session& s, int64_t dynamic_dim = 1) {
  return braid::testing::random_inputs(s, 7, dynamic_dim);
}

}  // namespace

TEST(SessionProfile, AdaptiveRunsFeedEverySubgraphOncePerRun) {
  Session s = load_bundled("wide_mlp", ExecutionMode::kAdaptive);
  std::vector<SubgraphProfile> before = s.subgraph_profile();
  ASSERT_GT(before.size(), 1u) << "wide_mlp should have several subgraphs";
  for (const SubgraphProfile& p : before) {
    EXPECT_EQ(p.runs, 0u) << "subgraph " << p.id;
    EXPECT_EQ(p.measured_ms, -1) << "subgraph " << p.id;
    EXPECT_GT(p.predicted_ms, 0) << "subgraph " << p.id << " has no estimate before its first run";
    EXPECT_GE(p.upward_rank_ms, p.predicted_ms) << "subgraph " << p.id;
    EXPECT_GT(p.nodes, 0);
    EXPECT_FALSE(p.first_node.empty());
  }
  const NamedTensors in = random_inputs(s);
  constexpr int kRuns = 6;
  for (int i = 0; i < kRuns; ++i) ASSERT_TRUE(s.run(in).ok());
  for (const SubgraphProfile& p : s.subgraph_profile()) {
    // The first run is cold and not measured (Dsdg::first_run).
    EXPECT_EQ(p.runs, static_cast<uint64_t>(kRuns - 1)) << "subgraph " << p.id;
    if (p.measured_ms >= 0) {
      // Measured on one thread: the one-thread prediction is that measurement.
      EXPECT_DOUBLE_EQ(p.predicted_ms, p.measured_ms) << "subgraph " << p.id;
      EXPECT_GT(p.measured_ms, 0);
    }
  }
}

TEST(SessionProfile, StaticAndSequentialRunsAreNotMeasured) {
  Session s = load_bundled("ensemble", ExecutionMode::kStatic);
  const NamedTensors in = random_inputs(s);
  ASSERT_TRUE(s.run(in).ok());
  RunOptions seq;
  seq.mode = ExecutionMode::kSequential;
  ASSERT_TRUE(s.run(in, seq).ok());
  for (const SubgraphProfile& p : s.subgraph_profile()) EXPECT_EQ(p.runs, 0u) << "subgraph " << p.id;
  // The static run was every subgraph's first (cold) run: the adaptive run after it is
  // measured.
  RunOptions adaptive;
  adaptive.mode = ExecutionMode::kAdaptive;
  ASSERT_TRUE(s.run(in, adaptive).ok());
  for (const SubgraphProfile& p : s.subgraph_profile()) EXPECT_EQ(p.runs, 1u) << "subgraph " << p.id;
}

TEST(SessionProfile, NewInputShapesReestimateTheCosts) {
  // y = Relu(MatMul(x, W) + b), x [batch, 64]: FLOPs are linear in batch.
  mg::GraphBuilder g("dyn", 1);
  g.input("x", mg::DType::kFloat, {"batch", 64});
  std::vector<float> w(64 * 32), b(32);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.01f * static_cast<float>(static_cast<int>(i % 17) - 8);
  for (size_t i = 0; i < b.size(); ++i) b[i] = 0.1f * static_cast<float>(i % 5);
  std::string y = g.op("Relu", {g.op("Add", {g.op("MatMul", {"x", g.initializer({64, 32}, w, "W")}),
                                             g.initializer({32}, b, "b")})});
  g.output(g.rename(y, "y"), mg::DType::kFloat, {"batch", 32});
  std::string bytes = g.serialize(13);
  ASSERT_TRUE(g.ok()) << g.error();
  SessionOptions opt;
  opt.mode = ExecutionMode::kAdaptive;
  auto loaded = Session::load_from_memory(bytes.data(), bytes.size(), opt);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  Session s = std::move(loaded).value();

  auto total_flops = [&] {
    double f = 0;
    for (const SubgraphProfile& p : s.subgraph_profile()) f += p.flops;
    return f;
  };
  const double at_load = total_flops();  // unknown dims count as 1
  ASSERT_GT(at_load, 0);
  ASSERT_TRUE(s.run(random_inputs(s, 64)).ok());
  const double at_64 = total_flops();
  EXPECT_NEAR(at_64 / at_load, 64.0, 64.0 * 1e-9);
  ASSERT_TRUE(s.run(random_inputs(s, 8)).ok());
  EXPECT_NEAR(total_flops() / at_load, 8.0, 8.0 * 1e-9);
  // Same shape again: nothing changes.
  ASSERT_TRUE(s.run(random_inputs(s, 8)).ok());
  EXPECT_NEAR(total_flops() / at_load, 8.0, 8.0 * 1e-9);
}
