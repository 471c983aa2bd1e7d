// Soak (issue 10, label `soak`, not in the default run): 8 client threads run a mix of the
// bundled models for a bounded time on one runtime whose scripted availability flaps every
// millisecond, with random cancellations, random deadlines, streamed and blocking runs and
// all three precisions-free modes. Every completed output must equal the sequential result
// bit for bit; a cancelled or late request must say so (kCancelled) and nothing else may
// fail; the resident set must not grow after warm-up.
//   BRAID_SOAK_SECONDS (default 60), BRAID_SOAK_CLIENTS (default 8).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "braid/braid.h"
#include "braid/fake_resource_source.h"
#include "common/test_util.h"

using namespace braid;

namespace {

using braid::testing::same_bits;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  const int n = std::atoi(v);
  return n > 0 ? n : fallback;
}

// VmRSS of this process in KiB (0 when unreadable).
long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string key;
  while (f >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      f >> kib;
      return kib;
    }
    f.ignore(1 << 16, '\n');
  }
  return 0;
}

struct Model {
  std::string name;
  NamedTensors inputs;
  NamedTensors reference;
  std::unique_ptr<Session> session;
};

struct Tally {
  std::atomic<long> ok{0}, cancelled{0}, wrong{0}, failed{0};
};

TEST(Soak, MixedModelsFlappingResourcesCancellationAndDeadlines) {
  const int seconds = env_int("BRAID_SOAK_SECONDS", 60);
  const int clients = env_int("BRAID_SOAK_CLIENTS", 8);

  RuntimeOptions ro;
  ro.monitor_machine = false;
  ro.calibrate = false;
  ro.monitor_period = std::chrono::milliseconds(1);
  auto rt = Runtime::create(ro);
  ASSERT_TRUE(rt.ok());
  ResourceVector none, one, all;
  none.cores_available = 0;
  one.cores_available = 1;
  all.cores_available = 64;
  std::vector<FakeResourceSource::Step> steps;
  for (int i = 0; i < 200000; ++i) steps.push_back(i % 3 == 0 ? none : i % 3 == 1 ? all : one);
  ASSERT_TRUE((*rt)->monitor().add_source(std::make_unique<FakeResourceSource>(std::move(steps))).ok());

  std::vector<Model> models;
  for (const char* name : {"inception", "transformer", "wide_mlp", "ensemble", "resnet"}) {
    Model m;
    m.name = name;
    SessionOptions so;
    so.runtime = *rt;
    auto s = Session::load(braid::testing::bundled_models_dir() + "/" + name + ".onnx", so);
    ASSERT_TRUE(s.ok()) << s.status().message();
    m.session = std::make_unique<Session>(std::move(s).value());
    m.inputs = braid::testing::random_inputs(*m.session, 17);
    RunOptions seq;
    seq.mode = ExecutionMode::kSequential;
    auto ref = m.session->run(m.inputs, seq);
    ASSERT_TRUE(ref.ok()) << ref.status().message();
    m.reference = std::move(ref).value();
    models.push_back(std::move(m));
  }

  Tally tally;
  std::atomic<bool> stop{false};
  auto client = [&](int id) {
    std::mt19937 rng(static_cast<uint32_t>(id) * 7919u + 1);
    while (!stop.load(std::memory_order_relaxed)) {
      Model& m = models[rng() % models.size()];
      RunOptions o;
      const ExecutionMode modes[] = {ExecutionMode::kSequential, ExecutionMode::kStatic, ExecutionMode::kAdaptive};
      o.mode = modes[rng() % 3];
      std::atomic<bool> cancel{false};
      const int dice = static_cast<int>(rng() % 10);
      if (dice == 0) o.deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(rng() % 3000);
      if (dice == 1) o.cancel = &cancel;
      std::thread canceller;
      if (dice == 1)
        canceller = std::thread([&cancel, us = rng() % 2000] {
          std::this_thread::sleep_for(std::chrono::microseconds(us));
          cancel.store(true);
        });
      Result<NamedTensors> out = Status();
      if (rng() % 4 == 0) {
        auto t = m.session->submit(m.inputs, o);
        out = t.ok() ? t->wait() : Result<NamedTensors>(t.status());
      } else {
        out = m.session->run(m.inputs, o);
      }
      if (canceller.joinable()) canceller.join();
      if (out.ok()) {
        (same_bits(*out, m.reference) ? tally.ok : tally.wrong)++;
      } else if (out.status().code() == StatusCode::kCancelled && dice <= 1) {
        tally.cancelled++;
      } else {
        tally.failed++;
        ADD_FAILURE() << m.name << ": " << out.status().message();
      }
    }
  };

  // Warm-up: a fifth of the time (pools, arenas, learned costs settle), then RSS is
  // sampled every second for the rest.
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) threads.emplace_back(client, i);
  const auto start = std::chrono::steady_clock::now();
  const auto warm = start + std::chrono::seconds(std::max(1, seconds / 5));
  const auto end = start + std::chrono::seconds(seconds);
  std::this_thread::sleep_until(warm);
  std::vector<long> rss;
  while (std::chrono::steady_clock::now() < end) {
    rss.push_back(rss_kib());
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  stop = true;
  for (std::thread& t : threads) t.join();

  std::printf("soak: %d s, %d clients: %ld ok, %ld cancelled/late, %ld wrong, %ld failed; RSS after warm-up %ld..%ld KiB\n",
              seconds, clients, tally.ok.load(), tally.cancelled.load(), tally.wrong.load(), tally.failed.load(),
              rss.empty() ? 0 : *std::min_element(rss.begin(), rss.end()),
              rss.empty() ? 0 : *std::max_element(rss.begin(), rss.end()));
  EXPECT_EQ(tally.wrong.load(), 0);
  EXPECT_EQ(tally.failed.load(), 0);
  EXPECT_GT(tally.ok.load(), 0);
  EXPECT_GT(tally.cancelled.load(), 0);
  ASSERT_GE(rss.size(), 2u);
  // Flat: the second half's peak is no more than 10% (and 32 MiB) above the first half's,
  // so a leak of even one small tensor per run shows over thousands of runs.
  const size_t half = rss.size() / 2;
  const long first = *std::max_element(rss.begin(), rss.begin() + static_cast<long>(half));
  const long second = *std::max_element(rss.begin() + static_cast<long>(half), rss.end());
  EXPECT_LE(second, first + std::max(first / 10, 32L * 1024)) << "RSS grew from " << first << " to " << second << " KiB";
}

}  // namespace
