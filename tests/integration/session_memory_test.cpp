// The memory budget (SessionOptions::memory_budget_bytes, enforced by the adaptive
// scheduler's admission): a request whose subgraph cannot fit even alone fails with a
// clear out-of-memory Status and the session stays usable; under a tight budget that
// fits every subgraph, concurrent requests stay correct and nothing is admitted over it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "braid/session.h"
#include "common/test_util.h"
#include "model_builder/model_builder.h"
#include "session/session_impl.h"

using namespace braid;

namespace {

std::string model_path(const char* name) { return braid::testing::bundled_models_dir() + "/" + name + ".onnx"; }

double largest_working_set(const Session& s) {
  double ws = 0;
  const detail::Dsdg& dsdg = *s.impl().dsdg;
  for (const detail::Subgraph& sg : dsdg.plan().subgraphs) ws = std::max(ws, dsdg.peak_working_set(sg.id));
  return ws;
}

}  // namespace

TEST(SessionMemory, WorkThatCannotFitAloneFailsWithOutOfMemory) {
  SessionOptions o;
  o.mode = ExecutionMode::kAdaptive;
  o.memory_budget_bytes = 4096;
  auto loaded = Session::load(model_path("ensemble"), o);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  Session s = std::move(loaded).value();
  const NamedTensors in = braid::testing::random_inputs(s, 1);
  for (int i = 0; i < 3; ++i) {
    auto out = s.run(in);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), StatusCode::kOutOfMemory);
    EXPECT_NE(out.status().message().find("memory budget"), std::string::npos) << out.status().message();
  }
  // The session stays usable: a sequential run is not gated by the scheduler.
  RunOptions seq;
  seq.mode = ExecutionMode::kSequential;
  EXPECT_TRUE(s.run(in, seq).ok());
}

TEST(SessionMemory, ATightBudgetKeepsConcurrentRequestsCorrectAndWithinIt) {
  SessionOptions probe;
  probe.mode = ExecutionMode::kSequential;
  auto ref_session = Session::load(model_path("ensemble"), probe);
  ASSERT_TRUE(ref_session.ok());
  const double ws = largest_working_set(*ref_session);
  ASSERT_GT(ws, 0);
  SessionOptions o;
  o.mode = ExecutionMode::kAdaptive;
  o.threads = 4;
  // Room for the largest subgraph and a bit: most of the time only one runs.
  o.memory_budget_bytes = static_cast<size_t>(ws * 1.2);
  auto loaded = Session::load(model_path("ensemble"), o);
  ASSERT_TRUE(loaded.ok());
  Session s = std::move(loaded).value();
  const NamedTensors in = braid::testing::random_inputs(s, 5);
  auto ref = ref_session->run(in);
  ASSERT_TRUE(ref.ok());
  std::atomic<int> bad{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c)
    clients.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto out = s.run(in);
        if (!out.ok()) {
          ++bad;
          continue;
        }
        for (const auto& [name, t] : *ref)
          if (std::memcmp(t.raw_data(), out->at(name).raw_data(), t.byte_size()) != 0) ++bad;
      }
    });
  for (auto& c : clients) c.join();
  EXPECT_EQ(bad.load(), 0);
  const detail::DispatcherStats stats = s.impl().runtime->dispatcher().stats();
  EXPECT_GT(stats.admitted, 0u);
  EXPECT_EQ(stats.over_budget, 0u) << "every subgraph fits the budget alone: none may start over it";
  EXPECT_GT(stats.delayed_steps, 0u) << "four clients under a one-subgraph budget must have waited";
}

namespace {

// RunStats::peak_activation_bytes follows liveness, computed here by hand: a chain
// x -> Relu -> Neg -> Relu holds at most two 4 KiB values at once (the next output is
// allocated before the previous one dies); a diamond x -> {Relu, Neg} -> Add holds three.
TEST(SessionMemory, PeakActivationBytesFollowLiveness) {
  auto build = [](bool diamond) {
    braid::modelgen::GraphBuilder g(diamond ? "diamond" : "chain", 1);
    g.input("x", braid::modelgen::DType::kFloat, {1, 1024});
    std::string y;
    if (diamond) {
      y = g.op("Add", {g.op("Relu", {"x"}), g.op("Neg", {"x"})});
    } else {
      y = g.op("Relu", {g.op("Neg", {g.op("Relu", {"x"})})});
    }
    g.output(g.rename(y, "y"), braid::modelgen::DType::kFloat, {1, 1024});
    return g.serialize();
  };
  for (bool diamond : {false, true}) {
    const std::string bytes = build(diamond);
    SessionOptions o;
    o.graph_optimization = GraphOptimization::kNone;
    auto s = Session::load_from_memory(bytes.data(), bytes.size(), o);
    ASSERT_TRUE(s.ok()) << s.status().message();
    const NamedTensors in = braid::testing::random_inputs(*s, 1);
    const size_t expected = (diamond ? 3 : 2) * 1024 * sizeof(float);
    for (ExecutionMode m : {ExecutionMode::kSequential, ExecutionMode::kStatic, ExecutionMode::kAdaptive}) {
      RunOptions ro;
      ro.mode = m;
      RunStats st;
      ASSERT_TRUE(s->run(in, ro, &st).ok());
      EXPECT_EQ(st.peak_activation_bytes, expected) << (diamond ? "diamond" : "chain") << " in "
                                                    << execution_mode_name(m);
    }
  }
}

}  // namespace
