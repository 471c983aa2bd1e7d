// RunTracer (braid/trace.h): installed, it hears of every subgraph run exactly once per
// request in static and adaptive modes, with sane times and the session's plan; sequential
// mode and uninstalled tracers hear nothing. Asked for node runs, it hears of every node
// once per request in every mode. Elastic intra-op threads show in peak_threads and
// borrowed_ns.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "braid/braid.h"
#include "common/test_util.h"

using namespace braid;

namespace {

struct Collector final : RunTracer {
  std::mutex mu;
  std::vector<SubgraphRunEvent> events;
  void on_subgraph_run(const SubgraphRunEvent& e) noexcept override {
    std::lock_guard lock(mu);
    events.push_back(e);
  }
};

// Uninstalls the tracer even when an assertion returns early.
struct Installed {
  explicit Installed(RunTracer* t) { set_run_tracer(t); }
  ~Installed() { set_run_tracer(nullptr); }
};

Session load(ExecutionMode mode) {
  SessionOptions so;
  so.mode = mode;
  auto s = Session::load(braid::testing::bundled_models_dir() + "/wide_mlp.onnx", so);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return std::move(s).value();
}

}  // namespace

TEST(RunTracer, OneEventPerSubgraphPerRequestInStaticAndAdaptiveModes) {
  for (ExecutionMode mode : {ExecutionMode::kStatic, ExecutionMode::kAdaptive}) {
    SCOPED_TRACE(execution_mode_name(mode));
    const Session s = load(mode);
    const NamedTensors in = braid::testing::random_inputs(s, 7);
    const size_t subgraphs = s.subgraph_profile().size();
    ASSERT_GT(subgraphs, 1u);
    Collector c;
    {
      Installed on(&c);
      EXPECT_EQ(run_tracer(), &c);
      for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.run(in).ok());
    }
    ASSERT_EQ(c.events.size(), 3 * subgraphs);
    std::map<uint64_t, std::multiset<uint32_t>> by_request;
    for (const SubgraphRunEvent& e : c.events) {
      by_request[e.request_id].insert(e.subgraph);
      EXPECT_NE(e.request_id, 0u);
      EXPECT_EQ(e.plan, c.events.front().plan);
      EXPECT_NE(e.plan, nullptr);
      EXPECT_GE(e.end_ns, e.start_ns);
      EXPECT_GT(e.start_ns, 0);
      EXPECT_GE(e.threads, 1);
      EXPECT_STREQ(e.precision, "f32");
      EXPECT_EQ(e.adaptive, mode == ExecutionMode::kAdaptive);
      EXPECT_TRUE(e.ok);
    }
    ASSERT_EQ(by_request.size(), 3u);
    for (const auto& [id, units] : by_request) {
      std::multiset<uint32_t> every;
      for (uint32_t u = 0; u < subgraphs; ++u) every.insert(u);
      EXPECT_EQ(units, every) << "request " << id;
    }
    // Uninstalled: the next requests report nothing.
    ASSERT_TRUE(s.run(in).ok());
    EXPECT_EQ(c.events.size(), 3 * subgraphs);
  }
}

namespace {

// Wants the scheduler's steps too.
struct StepCollector final : RunTracer {
  std::mutex mu;
  std::vector<SubgraphRunEvent> runs;
  struct Step {
    ScheduleStepEvent e;
    std::string policy, reasons;
  };
  std::vector<Step> steps;
  bool want = true;
  void on_subgraph_run(const SubgraphRunEvent& e) noexcept override {
    std::lock_guard lock(mu);
    runs.push_back(e);
  }
  bool wants_schedule_steps() const noexcept override { return want; }
  void on_schedule_step(const ScheduleStepEvent& e) noexcept override {
    std::lock_guard lock(mu);
    steps.push_back({e, e.policy, e.reasons});
  }
};

}  // namespace

// Every adaptive subgraph run was admitted by a reported step of the same chunk number,
// whose reasons name it; a tracer that does not want steps gets none.
TEST(RunTracer, ScheduleStepsExplainEveryAdmission) {
  const Session s = load(ExecutionMode::kAdaptive);
  const NamedTensors in = braid::testing::random_inputs(s, 7);
  StepCollector c;
  {
    Installed on(&c);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.run(in).ok());
  }
  ASSERT_FALSE(c.runs.empty());
  ASSERT_FALSE(c.steps.empty());
  std::map<uint64_t, const StepCollector::Step*> by_chunk;
  for (const StepCollector::Step& st : c.steps) {
    EXPECT_TRUE(by_chunk.emplace(st.e.chunk, &st).second) << "chunk " << st.e.chunk << " reported twice";
    EXPECT_GT(st.e.chunk, 0u);
    EXPECT_GE(st.e.ready, st.e.admitted);
    EXPECT_GE(st.e.cores_available, 0);  // 0 on a busy machine: the progress guarantee admits
    EXPECT_GT(st.e.time_ns, 0);
    EXPECT_FALSE(st.policy.empty());
    EXPECT_NE(st.reasons.find("policy=" + st.policy), std::string::npos) << st.reasons;
  }
  for (const SubgraphRunEvent& r : c.runs) {
    const auto it = by_chunk.find(r.chunk);
    ASSERT_NE(it, by_chunk.end()) << "subgraph " << r.subgraph << " admitted by an unreported step " << r.chunk;
    EXPECT_GE(it->second->e.admitted, 1);
    EXPECT_NE(it->second->reasons.find("admit subgraph " + std::to_string(r.subgraph) + " threads=" +
                                       std::to_string(r.threads)),
              std::string::npos)
        << it->second->reasons;
    EXPECT_LE(it->second->e.time_ns, r.start_ns);
  }
  // Not wanted: no steps.
  StepCollector quiet;
  quiet.want = false;
  {
    Installed on(&quiet);
    ASSERT_TRUE(s.run(in).ok());
  }
  EXPECT_FALSE(quiet.runs.empty());
  EXPECT_TRUE(quiet.steps.empty());
}

TEST(RunTracer, SequentialModeReportsNothing) {
  const Session s = load(ExecutionMode::kSequential);
  const NamedTensors in = braid::testing::random_inputs(s, 7);
  Collector c;
  Installed on(&c);
  ASSERT_TRUE(s.run(in).ok());
  EXPECT_TRUE(c.events.empty());
}

namespace {

// Wants node runs too.
struct NodeCollector final : RunTracer {
  std::mutex mu;
  std::vector<SubgraphRunEvent> subgraphs;
  std::vector<NodeRunEvent> nodes;
  std::vector<std::string> names, op_types, fused;  // copied: the session dies first
  void on_subgraph_run(const SubgraphRunEvent& e) noexcept override {
    std::lock_guard lock(mu);
    subgraphs.push_back(e);
  }
  bool wants_node_runs() const noexcept override { return true; }
  void on_node_run(const NodeRunEvent& e) noexcept override {
    std::lock_guard lock(mu);
    nodes.push_back(e);
    names.emplace_back(e.name);
    op_types.emplace_back(e.op_type);
    fused.emplace_back(e.fused);
  }
};

}  // namespace

// A tracer that wants node runs hears of every node of the (fused) graph once per request
// in every mode, with the request's id and plan; in static and adaptive modes each node
// run lies inside a subgraph run of its request. What fusion folded in is named.
TEST(RunTracer, NodeRunsInEveryMode) {
  for (ExecutionMode mode : {ExecutionMode::kSequential, ExecutionMode::kStatic, ExecutionMode::kAdaptive}) {
    SCOPED_TRACE(execution_mode_name(mode));
    const Session s = load(mode);
    const NamedTensors in = braid::testing::random_inputs(s, 7);
    RunStats stats;
    ASSERT_TRUE(s.run(in, {}, &stats).ok());
    const auto nodes = static_cast<size_t>(stats.kernels_run);
    ASSERT_GT(nodes, 1u);
    NodeCollector c;
    {
      Installed on(&c);
      for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.run(in).ok());
    }
    ASSERT_EQ(c.nodes.size(), 3 * nodes);
    EXPECT_EQ(c.subgraphs.size(), mode == ExecutionMode::kSequential ? 0u : 3 * s.subgraph_profile().size());
    std::map<uint64_t, std::multiset<uint32_t>> by_request;
    std::set<std::string> fused;
    for (size_t i = 0; i < c.nodes.size(); ++i) {
      const NodeRunEvent& e = c.nodes[i];
      by_request[e.request_id].insert(e.node);
      EXPECT_NE(e.request_id, 0u);
      EXPECT_EQ(e.plan, c.nodes.front().plan);
      EXPECT_NE(e.plan, nullptr);
      EXPECT_GE(e.end_ns, e.start_ns);
      EXPECT_GT(e.start_ns, 0);
      EXPECT_GE(e.threads, 1);
      EXPECT_STREQ(e.precision, "f32");
      EXPECT_TRUE(e.ok);
      EXPECT_FALSE(c.names[i].empty());
      EXPECT_FALSE(c.op_types[i].empty());
      fused.insert(c.op_types[i] + (c.fused[i].empty() ? "" : "+" + c.fused[i]));
      if (mode == ExecutionMode::kSequential) continue;
      EXPECT_EQ(e.plan, c.subgraphs.front().plan);
      const bool inside = std::ranges::any_of(c.subgraphs, [&](const SubgraphRunEvent& g) {
        return g.request_id == e.request_id && g.start_ns <= e.start_ns && e.end_ns <= g.end_ns;
      });
      EXPECT_TRUE(inside) << "node " << e.node << " of request " << e.request_id;
    }
    ASSERT_EQ(by_request.size(), 3u);
    for (const auto& [id, ran] : by_request) {
      std::multiset<uint32_t> every;
      for (uint32_t n = 0; n < nodes; ++n) every.insert(n);
      EXPECT_EQ(ran, every) << "request " << id;
    }
    // wide_mlp's branches are MatMul + bias Add + Relu, fused at load into one MatMul.
    EXPECT_TRUE(fused.contains("MatMul+bias+Relu")) << ::testing::PrintToString(fused);
  }
}

// The plain Collector (wants_node_runs() false) hears no node runs: sequential mode
// reports nothing to it (above), the others only subgraph runs (first test).

namespace {

ResourceVector cores(double available) {
  ResourceVector v;
  v.cores_limit = 2;
  v.cores_available = available;
  return v;
}

// `runs` requests of the bundled ensemble (one long branch beside short ones) in adaptive
// mode on a 2-thread runtime whose scripted monitor reports `available` free cores.
std::vector<SubgraphRunEvent> ensemble_events(double available, int runs, NamedTensors* out = nullptr,
                                              int session_threads = 0) {
  SessionOptions so;
  so.mode = ExecutionMode::kAdaptive;
  so.threads = session_threads;
  so.runtime = braid::testing::scripted_runtime({cores(available)});
  auto s = Session::load(braid::testing::bundled_models_dir() + "/ensemble.onnx", so);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  if (!s.ok()) return {};
  const NamedTensors in = braid::testing::random_inputs(*s, 3);
  Collector c;
  {
    Installed on(&c);
    for (int i = 0; i < runs; ++i) {
      auto r = s->run(in);
      EXPECT_TRUE(r.ok()) << r.status().to_string();
      if (r.ok() && out) *out = std::move(r).value();
    }
  }
  return c.events;
}

}  // namespace

// Elastic intra-op threads: the ensemble's long branch is admitted with one thread beside
// its short siblings; once they finish, its next nodes borrow the idle core. The outputs
// stay those of sequential mode (the thread count never changes a reduction order).
TEST(ElasticThreads, ALongBranchLeftAloneBorrowsTheIdleCore) {
  NamedTensors adaptive;
  const std::vector<SubgraphRunEvent> events = ensemble_events(2, 10, &adaptive);
  ASSERT_FALSE(events.empty());
  int borrowed = 0;
  for (const SubgraphRunEvent& e : events) {
    EXPECT_GE(e.peak_threads, e.threads);
    EXPECT_LE(e.peak_threads, 2);  // never past the runtime's threads
    if (e.peak_threads > e.threads) ++borrowed;
    // The borrowed cores' time: some when a core was borrowed, none otherwise, and never
    // more than the borrowed cores could hold over the run.
    if (e.peak_threads > e.threads) {
      EXPECT_GT(e.borrowed_ns, 0) << "subgraph " << e.subgraph;
    } else {
      EXPECT_EQ(e.borrowed_ns, 0) << "subgraph " << e.subgraph;
    }
    EXPECT_LE(e.borrowed_ns, (e.peak_threads - e.threads) * (e.end_ns - e.start_ns)) << "subgraph " << e.subgraph;
  }
  // A scheduling race can let one request's long branch start alone (then it is admitted
  // with both threads), but not ten in a row.
  EXPECT_GT(borrowed, 0);

  SessionOptions so;
  so.mode = ExecutionMode::kSequential;
  auto seq = Session::load(braid::testing::bundled_models_dir() + "/ensemble.onnx", so);
  ASSERT_TRUE(seq.ok());
  auto ref = seq->run(braid::testing::random_inputs(*seq, 3));
  ASSERT_TRUE(ref.ok());
  std::string which;
  EXPECT_TRUE(braid::testing::same_bits(*ref, adaptive, &which)) << which;
}

// With one core free (a competitor holds the other) there is nothing to lend: no node runs
// with more threads than its subgraph was admitted with, which is at most one.
TEST(ElasticThreads, NothingIsLentBeyondTheAvailableCores) {
  const std::vector<SubgraphRunEvent> events = ensemble_events(1, 5);
  ASSERT_FALSE(events.empty());
  for (const SubgraphRunEvent& e : events) {
    EXPECT_EQ(e.threads, 1) << "subgraph " << e.subgraph;
    EXPECT_EQ(e.peak_threads, 1) << "subgraph " << e.subgraph;
    EXPECT_EQ(e.borrowed_ns, 0) << "subgraph " << e.subgraph;
  }
}

// SessionOptions::threads = 1 on a 2-thread runtime with both cores free: the session's
// subgraphs run one at a time on one thread (what a user asking for one thread expects),
// none admitted with more or borrowing the idle core.
TEST(ElasticThreads, ASessionOfOneThreadRunsOneSubgraphAtATime) {
  std::vector<SubgraphRunEvent> events = ensemble_events(2, 5, nullptr, 1);
  ASSERT_FALSE(events.empty());
  std::sort(events.begin(), events.end(),
            [](const SubgraphRunEvent& a, const SubgraphRunEvent& b) { return a.start_ns < b.start_ns; });
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].threads, 1) << "subgraph " << events[i].subgraph;
    EXPECT_EQ(events[i].peak_threads, 1) << "subgraph " << events[i].subgraph;
    if (i > 0) {
      EXPECT_GE(events[i].start_ns, events[i - 1].end_ns) << "subgraph " << events[i].subgraph << " overlaps";
    }
  }
}
