// Host graphs (include/braid/host_graph.h): a host's own callables scheduled by Braid —
// dependencies respected, tensors passed by name, bad graphs rejected with clear errors,
// failures confined to their request, costs learned, the core budget obeyed, precision
// variants chosen, and a host session beside an ONNX session on one runtime.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>

#include "braid/braid.h"
#include "braid/fake_resource_source.h"
#include "common/test_util.h"

using namespace braid;

namespace {

Tensor scalar(float v) {
  Tensor t = Tensor::empty(DataType::kFloat32, {1}).value();
  t.data<float>()[0] = v;
  return t;
}

// y = (x + 1) * 2 + (x + 1) * 3, as four host subgraphs exchanging tensors by name.
HostGraph diamond(std::vector<std::string>* log = nullptr, std::mutex* mu = nullptr) {
  HostGraph g("diamond");
  auto note = [log, mu](const char* name) {
    if (log) {
      std::lock_guard lock(*mu);
      log->push_back(name);
    }
  };
  HostSubgraph pre{.name = "pre", .fn = [note](HostTask& t) {
                     note("pre");
                     t.set_output(0, scalar(t.input(0).data<float>()[0] + 1));
                     return Status();
                   }, .inputs = {"x"}, .outputs = {"h"}};
  HostSubgraph left{.name = "left", .fn = [note](HostTask& t) {
                      note("left");
                      t.set_output(0, scalar(t.input(0).data<float>()[0] * 2));
                      return Status();
                    }, .inputs = {"h"}, .outputs = {"a"}, .cost = {.flops = 1e6, .bytes = 1e3}};
  HostSubgraph right{.name = "right", .fn = [note](HostTask& t) {
                       note("right");
                       t.set_output(0, scalar(t.input(0).data<float>()[0] * 3));
                       return Status();
                     }, .inputs = {"h"}, .outputs = {"b"}};
  HostSubgraph join{.name = "join", .fn = [note](HostTask& t) {
                      note("join");
                      t.set_output(0, scalar(t.input(0).data<float>()[0] + t.input(1).data<float>()[0]));
                      return Status();
                    }, .inputs = {"a", "b"}, .outputs = {"y"}};
  g.add(std::move(join));  // added out of order on purpose: the order comes from the data
  g.add(std::move(left));
  g.add(std::move(pre));
  g.add(std::move(right));
  return g;
}

}  // namespace

TEST(HostGraph, RunsInDependencyOrderAndPassesTensors) {
  std::vector<std::string> log;
  std::mutex mu;
  auto s = HostSession::create(diamond(&log, &mu));
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  for (ExecutionMode mode : {ExecutionMode::kAdaptive, ExecutionMode::kStatic, ExecutionMode::kSequential}) {
    for (float x : {0.0f, 1.5f, -4.0f}) {
      log.clear();
      RunOptions o;
      o.mode = mode;
      auto out = s->run({{"x", scalar(x)}}, nullptr, o);
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      ASSERT_EQ(out->size(), 1u);
      EXPECT_FLOAT_EQ(out->at("y").data<float>()[0], (x + 1) * 2 + (x + 1) * 3);
      ASSERT_EQ(log.size(), 4u);
      EXPECT_EQ(log.front(), "pre");
      EXPECT_EQ(log.back(), "join");
    }
  }
}

TEST(HostGraph, BadGraphsAndInputsGetClearErrors) {
  auto noop = [](HostTask&) { return Status(); };
  {
    HostGraph g("cyclic");
    g.add("a", noop, {1});
    g.add("b", noop, {0});
    auto s = HostSession::create(std::move(g));
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().message().find("cycle"), std::string::npos) << s.status().message();
    EXPECT_NE(s.status().message().find("'a'"), std::string::npos) << s.status().message();
  }
  {
    HostGraph g("g");
    g.add("a", noop, {7});
    auto s = HostSession::create(std::move(g));
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().message().find("unknown id 7"), std::string::npos) << s.status().message();
  }
  {
    HostGraph g("g");
    g.add(HostSubgraph{.name = "a", .fn = noop, .outputs = {"t"}});
    g.add(HostSubgraph{.name = "b", .fn = noop, .outputs = {"t"}});
    auto s = HostSession::create(std::move(g));
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().message().find("'t' is produced twice"), std::string::npos) << s.status().message();
  }
  {
    HostGraph g("g");
    g.add("empty", HostFn());
    auto s = HostSession::create(std::move(g));
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().message().find("'empty' has no callable"), std::string::npos);
  }
  auto s = HostSession::create(diamond());
  ASSERT_TRUE(s.ok());
  auto missing = s->run();
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing input 'x'"), std::string::npos) << missing.status().message();
  auto unknown = s->run({{"x", scalar(1)}, {"z", scalar(2)}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("'z'"), std::string::npos) << unknown.status().message();
}

TEST(HostGraph, AFailingOrThrowingSubgraphFailsOnlyItsRequest) {
  std::atomic<int> mode{0};  // 0 ok, 1 returns an error, 2 throws
  std::atomic<int> after_ran{0};
  HostGraph g("flaky");
  int a = g.add("flaky", [&](HostTask&) -> Status {
    if (mode == 1) return internal_error("sensor offline");
    if (mode == 2) throw std::runtime_error("driver crashed");
    return Status();
  });
  g.add("after", [&](HostTask&) { ++after_ran; return Status(); }, {a});
  auto s = HostSession::create(std::move(g));
  ASSERT_TRUE(s.ok());
  mode = 1;
  auto r1 = s->run();
  ASSERT_FALSE(r1.ok());
  EXPECT_NE(r1.status().message().find("sensor offline"), std::string::npos);
  EXPECT_NE(r1.status().message().find("'flaky'"), std::string::npos) << r1.status().message();
  mode = 2;
  auto r2 = s->run();
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), StatusCode::kInternal);
  EXPECT_NE(r2.status().message().find("driver crashed"), std::string::npos) << r2.status().message();
  EXPECT_EQ(after_ran.load(), 0) << "the successor of a failed subgraph is skipped";
  mode = 0;
  EXPECT_TRUE(s->run().ok());
  EXPECT_EQ(after_ran.load(), 1);
}

TEST(HostGraph, LearnsEachSubgraphsTime) {
  HostGraph g("timed");
  int a = g.add("spin", [](HostTask&) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
    while (std::chrono::steady_clock::now() < until) {
    }
    return Status();
  });
  g.add("tail", [](HostTask&) { return Status(); }, {a});
  auto s = HostSession::create(std::move(g));
  ASSERT_TRUE(s.ok());
  for (const SubgraphProfile& p : s->subgraph_profile()) EXPECT_EQ(p.runs, 0u);
  // 20 runs x 2 subgraphs, the first (cold) not measured: the ranks are refreshed from
  // the measurements every 16 records.
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(s->run().ok());
  auto prof = s->subgraph_profile();
  ASSERT_EQ(prof.size(), 2u);
  EXPECT_EQ(prof[0].first_node, "spin");
  for (const SubgraphProfile& p : prof) EXPECT_EQ(p.runs, 19u) << p.first_node;
  // The spinning subgraph measured at least its 200 us; its rank includes it. (Ranks are
  // refreshed every 16 records, so they may lag the live prediction by the last few
  // runs: compared with what every run measured, not with the newest prediction.)
  if (prof[0].measured_ms >= 0) {
    EXPECT_GE(prof[0].measured_ms, 0.2);
  }
  EXPECT_GE(prof[0].upward_rank_ms, 0.2);
  EXPECT_GE(prof[0].upward_rank_ms, prof[1].upward_rank_ms);  // spin comes before tail
}

TEST(HostGraph, NeverMoreSubgraphsAtOnceThanAvailableCores) {
  RuntimeOptions ro;
  ro.threads = 4;
  ro.monitor_machine = false;
  ro.calibrate = false;
  ro.monitor_period = std::chrono::milliseconds(1);
  auto rt = Runtime::create(ro);
  ASSERT_TRUE(rt.ok());
  ResourceVector one;
  one.cores_available = 1;
  ASSERT_TRUE((*rt)->monitor().add_source(std::make_unique<FakeResourceSource>(
                  std::vector<FakeResourceSource::Step>{one})).ok());
  std::atomic<int> running{0}, peak{0};
  HostGraph g("wide");
  for (int i = 0; i < 8; ++i)
    g.add("branch" + std::to_string(i), [&](HostTask& t) {
      EXPECT_EQ(t.threads(), 1);
      int now = ++running, prev = peak.load();
      while (now > prev && !peak.compare_exchange_weak(prev, now)) {
      }
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(300);
      while (std::chrono::steady_clock::now() < until) {
      }
      --running;
      return Status();
    });
  HostSessionOptions o;
  o.runtime = *rt;
  auto s = HostSession::create(std::move(g), o);
  ASSERT_TRUE(s.ok());
  // Until the fake vector is published (a fixed 20 ms sleep was not always enough on a
  // loaded machine: the runs then started under the default vector's four cores).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((*rt)->monitor().current().cores_available != 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ((*rt)->monitor().current().cores_available, 1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s->run().ok());
  EXPECT_EQ(peak.load(), 1);
}

TEST(HostGraph, PrecisionVariantsRunUnlessCritical) {
  std::atomic<int> f32{0}, bf16{0};
  auto make = [&](bool critical) {
    HostGraph g("variants");
    HostSubgraph sg{.name = "mm", .fn = [&](HostTask& t) {
                      EXPECT_EQ(t.precision(), Precision::kF32);
                      ++f32;
                      return Status();
                    }, .critical = critical};
    sg.variants.push_back({Precision::kBF16, [&](HostTask& t) {
                             EXPECT_EQ(t.precision(), Precision::kBF16);
                             ++bf16;
                             return Status();
                           }});
    g.add(std::move(sg));
    HostSessionOptions o;
    o.precision = PrecisionMode::kBF16;
    return HostSession::create(std::move(g), o);
  };
  auto loose = make(false);
  ASSERT_TRUE(loose.ok());
  ASSERT_TRUE(loose->run().ok());
  EXPECT_EQ(bf16.load(), 1);
  EXPECT_EQ(f32.load(), 0);
  auto critical = make(true);
  ASSERT_TRUE(critical.ok());
  ASSERT_TRUE(critical->run().ok());
  EXPECT_EQ(f32.load(), 1);
  EXPECT_EQ(bf16.load(), 1);
}

TEST(HostGraph, SharesARuntimeWithAnOnnxSession) {
  auto rt = Runtime::create();
  ASSERT_TRUE(rt.ok());
  SessionOptions so;
  so.runtime = *rt;
  auto onnx = Session::load(braid::testing::bundled_models_dir() + "/wide_mlp.onnx", so);
  ASSERT_TRUE(onnx.ok());
  const NamedTensors in = braid::testing::random_inputs(*onnx, 9);
  auto ref = onnx->run(in);
  ASSERT_TRUE(ref.ok());
  HostSessionOptions ho;
  ho.runtime = *rt;
  auto host = HostSession::create(diamond(), ho);
  ASSERT_TRUE(host.ok());
  std::atomic<int> bad{0};
  std::thread a([&] {
    for (int i = 0; i < 20; ++i) {
      auto out = onnx->run(in);
      if (!out.ok() || braid::testing::compare_tensors(ref->begin()->second, out->begin()->second, 0, 0) != "") ++bad;
    }
  });
  std::thread b([&] {
    for (int i = 0; i < 50; ++i) {
      auto out = host->run({{"x", scalar(2)}});
      if (!out.ok() || out->at("y").data<float>()[0] != 15.0f) ++bad;
    }
  });
  a.join();
  b.join();
  EXPECT_EQ(bad.load(), 0);
}

namespace braid {
namespace {

// Adaptive precision for host graphs: a compute-heavy subgraph (many flops, few bytes) and
// a memory-heavy one (many bytes, few flops), each with bf16 and int8 variants, under
// scripted resource vectors. The variant each ran is what the callables record.
struct VariantCounts {
  std::atomic<int> runs[2][kPrecisionCount] = {};  // [compute, memory][precision]
};

HostGraph two_kinds(VariantCounts& c) {
  HostGraph g("kinds");
  for (int kind = 0; kind < 2; ++kind) {
    HostSubgraph sg;
    sg.name = kind == 0 ? "compute" : "memory";
    sg.cost = kind == 0 ? HostCost{.flops = 4e9, .bytes = 1e5} : HostCost{.flops = 1e5, .bytes = 4e8};
    auto record = [&c, kind](HostTask& t) {
      ++c.runs[kind][static_cast<int>(t.precision())];
      return Status();
    };
    sg.fn = record;
    sg.variants.push_back({Precision::kBF16, record});
    sg.variants.push_back({Precision::kInt8, record});
    g.add(std::move(sg));
  }
  return g;
}

void run_under(const ResourceVector& v, VariantCounts& c) {
  HostSessionOptions o;
  o.runtime = testing::scripted_runtime({v});
  ASSERT_NE(o.runtime, nullptr);
  o.precision = PrecisionMode::kAdaptive;
  auto s = HostSession::create(two_kinds(c), o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s->run().ok());
}

ResourceVector vector_of(double cores, double bandwidth_share) {
  ResourceVector v;
  v.cores_limit = 2;
  v.cores_available = cores;
  v.bandwidth_gbps_peak = 20;
  v.bandwidth_gbps_available = 20 * bandwidth_share;
  return v;
}

TEST(HostGraphPrecision, AdaptiveRunsF32WhenResourcesArePlentiful) {
  VariantCounts c;
  run_under(vector_of(2, 1), c);
  EXPECT_EQ(c.runs[0][0].load(), 3);
  EXPECT_EQ(c.runs[1][0].load(), 3);
}

TEST(HostGraphPrecision, AdaptiveLowersTheComputeBoundSubgraphWhenCoresAreScarce) {
  VariantCounts c;
  run_under(vector_of(0.5, 1), c);
  EXPECT_EQ(c.runs[0][static_cast<int>(Precision::kInt8)].load(), 3);
  EXPECT_EQ(c.runs[1][0].load(), 3);  // memory-bound: cores do not bind it
}

TEST(HostGraphPrecision, AdaptiveLowersTheMemoryBoundSubgraphWhenBandwidthIsScarce) {
  VariantCounts c;
  run_under(vector_of(2, 0.5), c);
  EXPECT_EQ(c.runs[0][0].load(), 3);
  EXPECT_EQ(c.runs[1][static_cast<int>(Precision::kBF16)].load(), 3);
  VariantCounts very;
  run_under(vector_of(2, 0.2), very);
  EXPECT_EQ(very.runs[1][static_cast<int>(Precision::kInt8)].load(), 3);
}

}  // namespace
}  // namespace braid

namespace braid {
namespace {

// Fair share between sessions on one runtime (Band-style arbitration): on one thread,
// session A keeps six independent 1 ms subgraphs queued per request while session B sends
// one 1 ms subgraph at a time. B has received less recent core time, so each of its
// subgraphs runs next, after at most the A subgraph running when it arrived - instead of
// behind all of A's queued ones (what priority and critical-path order alone would do).
TEST(HostGraphFairness, TheSessionWithLessServiceDoesNotWaitBehindAnothersQueue) {
  RuntimeOptions ro;
  ro.threads = 1;
  ro.monitor_machine = false;
  ro.calibrate = false;
  auto rt = Runtime::create(ro);
  ASSERT_TRUE(rt.ok());
  std::mutex mu;
  std::vector<char> log;  // 'A' / 'B' at each subgraph start, 'b' when B submits
  auto note = [&](char c) {
    std::lock_guard lock(mu);
    log.push_back(c);
  };
  auto spin = [](int us) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
    while (std::chrono::steady_clock::now() < until) {
    }
  };
  HostGraph ga("A");
  for (int i = 0; i < 6; ++i)
    ga.add("a" + std::to_string(i), [&](HostTask&) {
      note('A');
      spin(1000);
      return Status();
    }, {}, HostCost{.flops = 1e6, .bytes = 1e6});
  HostGraph gb("B");
  gb.add("b", [&](HostTask&) {
    note('B');
    spin(1000);
    return Status();
  }, {}, HostCost{.flops = 1e6, .bytes = 1e6});
  HostSessionOptions o;
  o.runtime = *rt;
  auto a = HostSession::create(std::move(ga), o);
  auto b = HostSession::create(std::move(gb), o);
  ASSERT_TRUE(a.ok() && b.ok());
  std::atomic<bool> stop{false};
  std::thread client_a([&] {
    while (!stop.load()) ASSERT_TRUE(a->run().ok());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // A builds up service
  bool all_ran = true;  // asserted after client A has stopped and joined
  for (int i = 0; i < 10 && all_ran; ++i) {
    note('b');
    all_ran = b->run().ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  stop = true;
  client_a.join();
  ASSERT_TRUE(all_ran) << "a B request failed";
  // A subgraphs started between each B submission and its B subgraph's start.
  std::vector<int> waits;
  for (size_t i = 0; i < log.size(); ++i) {
    if (log[i] != 'b') continue;
    int between = 0;
    size_t j = i + 1;
    for (; j < log.size() && log[j] != 'B'; ++j) between += log[j] == 'A';
    ASSERT_LT(j, log.size());
    waits.push_back(between);
  }
  ASSERT_EQ(waits.size(), 10u);
  // Measured: every wait 0 with fair share; with the planner's service key removed, 2 for
  // nearly every request (total 12-21). One request may wait longer on a loaded machine
  // (sanitizer builds beside other tests: B's client can lose its core between noting 'b'
  // and submitting while A's subgraphs keep starting; session 15 saw one wait of 5), so the
  // longest wait is left out of the bounds.
  std::sort(waits.begin(), waits.end());
  const int rest_worst = waits[8];
  const int rest_total = std::accumulate(waits.begin(), waits.end() - 1, 0);
  EXPECT_LE(rest_worst, 1) << std::string(log.begin(), log.end());
  EXPECT_LE(rest_total, 5) << std::string(log.begin(), log.end());
}

}  // namespace
}  // namespace braid
