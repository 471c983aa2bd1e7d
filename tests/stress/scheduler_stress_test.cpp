// The scheduler/executor stress test of issue 6: many client threads run a mix of the
// bundled models in adaptive and static mode on one runtime whose (fake) availability
// flips between 0 and 4 cores every millisecond; every output must equal the sequential
// result bit for bit, and every run must succeed. Built for TSan (label `stress`, not in
// the default run). BRAID_STRESS_CLIENTS and BRAID_STRESS_RUNS scale it (default 8 x 200).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "braid/braid.h"
#include "braid/fake_resource_source.h"
#include "common/test_util.h"

using namespace braid;

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  const int n = std::atoi(v);
  return n > 0 ? n : fallback;
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && a.byte_size() == b.byte_size() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0;
}

struct Model {
  std::string name;
  NamedTensors inputs;
  NamedTensors reference;  // sequential result
  std::vector<Session> sessions;  // adaptive, static
};

}  // namespace

TEST(SchedulerStress, ManyClientsFlappingAvailabilityMatchSequentialBitwise) {
  const int clients = env_int("BRAID_STRESS_CLIENTS", 8);
  const int runs = env_int("BRAID_STRESS_RUNS", 200);

  RuntimeOptions ro;
  ro.threads = 4;
  ro.monitor_machine = false;
  ro.calibrate = false;
  ro.monitor_period = std::chrono::milliseconds(1);
  auto rt = Runtime::create(ro);
  ASSERT_TRUE(rt.ok()) << rt.status().to_string();
  std::vector<FakeResourceSource::Step> flap;
  for (int i = 0; i < 2; ++i) {
    ResourceVector v;
    v.cores_available = i == 0 ? 4.0 : 0.0;
    flap.push_back(v);
  }
  // The timeline repeats its last step, so script a long alternation (about 100 s at 1 ms).
  for (int i = 0; i < 100000; ++i) flap.push_back(flap[static_cast<size_t>(i % 2)]);
  ASSERT_TRUE((*rt)->monitor().add_source(std::make_unique<FakeResourceSource>(std::move(flap))).ok());

  std::vector<Model> models;
  for (const char* name : {"wide_mlp", "ensemble", "transformer"}) {
    Model m;
    m.name = name;
    const std::string path = braid::testing::bundled_models_dir() + "/" + name + ".onnx";
    SessionOptions seq_opt;
    seq_opt.mode = ExecutionMode::kSequential;
    auto seq = Session::load(path, seq_opt);
    ASSERT_TRUE(seq.ok()) << seq.status().to_string();
    m.inputs = braid::testing::random_inputs(*seq, 3);
    auto ref = seq->run(m.inputs);
    ASSERT_TRUE(ref.ok()) << ref.status().to_string();
    m.reference = *ref;
    for (ExecutionMode mode : {ExecutionMode::kAdaptive, ExecutionMode::kStatic}) {
      SessionOptions o;
      o.mode = mode;
      o.runtime = *rt;
      auto s = Session::load(path, o);
      ASSERT_TRUE(s.ok()) << s.status().to_string();
      m.sessions.push_back(std::move(s).value());
    }
    models.push_back(std::move(m));
  }

  std::atomic<int> failed{0}, mismatched{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      for (int i = 0; i < runs; ++i) {
        Model& m = models[static_cast<size_t>(c + i) % models.size()];
        // Three in four runs adaptive: the scheduler is what is under test.
        const Session& s = m.sessions[(i % 4 == 3) ? 1 : 0];
        auto out = s.run(m.inputs);
        if (!out.ok()) {
          ++failed;
          continue;
        }
        for (const auto& [name, t] : m.reference)
          if (!out->count(name) || !bitwise_equal(t, out->at(name))) ++mismatched;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(mismatched.load(), 0);
  // Every adaptive session learned from its runs.
  for (const Model& m : models)
    for (const SubgraphProfile& p : m.sessions[0].subgraph_profile()) EXPECT_GT(p.runs, 0u) << m.name;
}
