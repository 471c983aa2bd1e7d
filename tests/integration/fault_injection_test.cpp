// Fault injection (core/fault_injection.h) and resource faults: the Nth allocation, the
// Nth kernel call or the Nth resource-source read fails; availability flaps, drops to zero
// or its files vanish mid-run. Every failure must stay inside the request it hit: a clean
// Status for that request, correct outputs for every other one, a session that keeps
// working, no hang (the ctest timeout) and no leak (the ASan run of this binary).
#include <atomic>
#include <chrono>
#include <cstring>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "braid/braid.h"
#include "braid/fake_resource_source.h"
#include "common/test_util.h"
#include "core/fault_injection.h"

namespace braid {
namespace {

using testing::same_bits;

// Disarms every hook when a test ends, whatever happened.
struct Disarm {
  ~Disarm() {
    detail::fail_nth_allocation(0);
    detail::fail_nth_kernel_call(0);
    detail::fail_nth_source_read(0);
  }
};

Session load(const std::string& model, const SessionOptions& o = {}) {
  auto s = Session::load(testing::bundled_models_dir() + "/" + model + ".onnx", o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return std::move(s).value();
}

struct Sweep {
  int failed = 0, succeeded = 0;
};

// Arms `arm(n)` for n = 1, 1 + step, ... up to `last` and runs once per n in `mode`: the
// run either fails with `code` and a message containing `what`, or (n past this run's
// events) returns the reference outputs; then the disarmed session must give them again.
// Two armed runs in a row that succeed end the sweep: n is past the run's events, and
// more n prove nothing new. The sweeps run the ensemble model (three parallel branches,
// 54 nodes): inception, 14x the work per run, made these sweeps two of the sanitized
// runs' longest minutes without reaching an event that the ensemble has not.
Sweep sweep(const Session& s, const NamedTensors& in, const NamedTensors& ref, ExecutionMode mode,
            void (*arm)(int64_t), StatusCode code, const char* what, int last, int step) {
  Sweep r;
  RunOptions ro;
  ro.mode = mode;
  int succeeded_in_a_row = 0;
  for (int n = 1; n <= last && succeeded_in_a_row < 2; n += step) {
    arm(n);
    auto out = s.run(in, ro);
    arm(0);
    succeeded_in_a_row = out.ok() ? succeeded_in_a_row + 1 : 0;
    if (out.ok()) {
      EXPECT_TRUE(same_bits(*out, ref)) << "n=" << n;
      ++r.succeeded;
    } else {
      EXPECT_EQ(out.status().code(), code) << out.status().message();
      EXPECT_NE(out.status().message().find(what), std::string::npos) << out.status().message();
      ++r.failed;
    }
    auto again = s.run(in, ro);
    EXPECT_TRUE(again.ok()) << again.status().message();
    if (again.ok()) {
      EXPECT_TRUE(same_bits(*again, ref)) << "after n=" << n;
    }
  }
  return r;
}

class FaultPerMode : public ::testing::TestWithParam<ExecutionMode> {};

TEST_P(FaultPerMode, FailedAllocationFailsOnlyThatRun) {
  Disarm disarm;
  const Session s = load("ensemble");
  const NamedTensors in = testing::random_inputs(s, 1);
  const NamedTensors ref = s.run(in).value();
  const Sweep r = sweep(s, in, ref, GetParam(), detail::fail_nth_allocation, StatusCode::kOutOfMemory,
                        "injected allocation failure", 200, 3);
  EXPECT_GE(r.failed, 3);     // the hook reached the run's allocations
  EXPECT_GT(r.succeeded, 0);   // and n past them left the run alone
}

TEST_P(FaultPerMode, FailedKernelCallFailsOnlyThatRunAndNamesTheNode) {
  Disarm disarm;
  const Session s = load("ensemble");
  const NamedTensors in = testing::random_inputs(s, 2);
  const NamedTensors ref = s.run(in).value();
  const Sweep r = sweep(s, in, ref, GetParam(), detail::fail_nth_kernel_call, StatusCode::kInternal,
                        "injected kernel failure", 200, 3);
  EXPECT_GE(r.failed, 3);
  EXPECT_GT(r.succeeded, 0);
}

INSTANTIATE_TEST_SUITE_P(Modes, FaultPerMode,
                         ::testing::Values(ExecutionMode::kSequential, ExecutionMode::kStatic, ExecutionMode::kAdaptive),
                         [](const auto& info) { return std::string(execution_mode_name(info.param)); });

TEST(FaultInjection, ConcurrentRequestsOnlyTheHitOneFails) {
  Disarm disarm;
  const Session s = load("ensemble");
  const NamedTensors in = testing::random_inputs(s, 3);
  const NamedTensors ref = s.run(in).value();
  constexpr int kThreads = 4, kRuns = 25;
  std::atomic<int> failed{0}, ok{0}, wrong{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < kThreads; ++t)
    clients.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      RunOptions ro;
      ro.mode = t % 2 ? ExecutionMode::kAdaptive : ExecutionMode::kStatic;
      for (int i = 0; i < kRuns; ++i) {
        auto out = s.run(in, ro);
        if (!out.ok()) {
          const bool injected = out.status().message().find("injected") != std::string::npos;
          (injected ? failed : wrong)++;
        } else {
          (same_bits(*out, ref) ? ok : wrong)++;
        }
      }
    });
  go = true;
  for (int k = 0; k < 20; ++k) {
    detail::fail_nth_kernel_call(3 + k);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    detail::fail_nth_allocation(5 + k);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (std::thread& c : clients) c.join();
  detail::fail_nth_kernel_call(0);
  detail::fail_nth_allocation(0);
  EXPECT_EQ(wrong.load(), 0);  // every run either failed by injection or is exactly right
  EXPECT_GT(failed.load(), 0);
  EXPECT_EQ(failed.load() + ok.load(), kThreads * kRuns);
  auto after = s.run(in);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(same_bits(*after, ref));
}

TEST(FaultInjection, StreamedRequestsOnlyTheHitOneFails) {
  Disarm disarm;
  const Session s = load("wide_mlp");
  const NamedTensors in = testing::random_inputs(s, 4);
  const NamedTensors ref = s.run(in).value();
  std::vector<RunTicket> tickets;
  for (int i = 0; i < 12; ++i) {
    if (i == 4) detail::fail_nth_kernel_call(2);
    auto t = s.submit(in);
    ASSERT_TRUE(t.ok()) << t.status().message();
    tickets.push_back(std::move(t).value());
  }
  int failed = 0;
  for (RunTicket& t : tickets) {
    auto out = t.wait();
    if (!out.ok()) {
      EXPECT_NE(out.status().message().find("injected kernel failure"), std::string::npos);
      ++failed;
    } else {
      EXPECT_TRUE(same_bits(*out, ref));
    }
  }
  EXPECT_EQ(failed, 1);
}

// A runtime fed only by a scripted source (and whatever `root` holds).
std::shared_ptr<Runtime> scripted_runtime(std::vector<FakeResourceSource::Step> steps, const std::string& root = "",
                                          bool machine_sources = false) {
  RuntimeOptions ro;
  ro.threads = 2;
  ro.monitor_machine = machine_sources;
  ro.monitor_root = root;
  ro.calibrate = false;
  ro.monitor_period = std::chrono::milliseconds(1);
  auto rt = Runtime::create(ro);
  EXPECT_TRUE(rt.ok());
  if (!steps.empty()) {
    EXPECT_TRUE((*rt)->monitor().add_source(std::make_unique<FakeResourceSource>(std::move(steps))).ok());
  }
  return *rt;
}

bool wait_samples(Runtime& rt, uint64_t n) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (rt.monitor().current().sample_index < n)
    if (std::chrono::steady_clock::now() > until) return false;
    else std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return true;
}

void runs_stay_correct(const std::shared_ptr<Runtime>& rt, const char* model, int runs) {
  const Session plain = load(model);
  const NamedTensors in = testing::random_inputs(plain, 5);
  const NamedTensors ref = plain.run(in).value();
  SessionOptions o;
  o.runtime = rt;
  o.mode = ExecutionMode::kAdaptive;
  const Session s = load(model, o);
  for (int i = 0; i < runs; ++i) {
    auto out = s.run(in);
    ASSERT_TRUE(out.ok()) << out.status().message();
    EXPECT_TRUE(same_bits(*out, ref)) << "run " << i;
  }
}

TEST(ResourceFaults, FailingSourceReadsKeepTheMonitorAndRunsGoing) {
  Disarm disarm;
  ResourceVector v;
  v.cores_available = 2;
  auto rt = scripted_runtime({v});
  ASSERT_TRUE(wait_samples(*rt, 2));
  detail::fail_nth_source_read(1);  // the next read fails: the source is marked absent
  const uint64_t before = rt->monitor().current().sample_index;
  ASSERT_TRUE(wait_samples(*rt, before + 5));  // sampling goes on
  runs_stay_correct(rt, "ensemble", 3);
}

TEST(ResourceFaults, FlappingVectorsNeitherHangNorChangeResults) {
  ResourceVector none, all, unknown;
  none.cores_available = 0;
  none.memory_bytes_available = 0;
  all.cores_available = 2;
  all.memory_bytes_available = int64_t{8} << 30;
  // Every sample (1 ms) flips between nothing, everything and nothing known: a few times
  // during each of the runs.
  std::vector<FakeResourceSource::Step> steps;
  for (int i = 0; i < 3000; ++i) steps.push_back(i % 3 == 0 ? none : i % 3 == 1 ? all : unknown);
  auto rt = scripted_runtime(std::move(steps));
  ASSERT_TRUE(wait_samples(*rt, 3));
  runs_stay_correct(rt, "ensemble", 30);
}

TEST(ResourceFaults, ZeroCoresAndZeroMemoryStillMakeProgress) {
  ResourceVector starved;
  starved.cores_available = 0;
  starved.cores_limit = 2;
  starved.memory_bytes_available = 0;
  auto rt = scripted_runtime({starved});
  ASSERT_TRUE(wait_samples(*rt, 2));
  runs_stay_correct(rt, "ensemble", 5);
}

TEST(ResourceFaults, SourcesWhoseFilesEmptyAndVanishMidRunDegrade) {
  // A copy of a captured cgroup v2 machine; its PSI and cgroup memory files are deleted
  // while sessions run on a monitor reading it.
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("braid-vanish-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::copy(std::string(BRAID_SOURCE_DIR) + "/tests/data/resource/v2_limited", root, fs::copy_options::recursive);
  {
    auto rt = scripted_runtime({}, root.string(), /*machine_sources=*/true);
    ASSERT_TRUE(wait_samples(*rt, 3));
    EXPECT_TRUE(rt->monitor().current().is_live(ResourceSourceKind::kPsiCpu));
    EXPECT_TRUE(rt->monitor().current().is_live(ResourceSourceKind::kCgroupMemory));
    runs_stay_correct(rt, "wide_mlp", 2);
    // Sources keep their files open, so a deleted file would still read; a removed
    // cgroup's files read as errors or nothing: each file is emptied in place, then
    // unlinked.
    for (const fs::path& dir : {root / "proc" / "pressure", root / "sys" / "fs" / "cgroup"}) {
      for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) std::ofstream(e.path(), std::ios::trunc).flush();
      fs::remove_all(dir);
    }
    // Limits and PSI are re-read about once a second: both must be marked down by then.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    auto down = [&] {
      const ResourceVector v = rt->monitor().current();
      return !v.is_live(ResourceSourceKind::kCgroupMemory) && !v.is_live(ResourceSourceKind::kPsiCpu);
    };
    while (!down() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_FALSE(rt->monitor().current().is_live(ResourceSourceKind::kCgroupMemory));
    EXPECT_FALSE(rt->monitor().current().is_live(ResourceSourceKind::kPsiCpu));
    runs_stay_correct(rt, "wide_mlp", 3);
  }
  fs::remove_all(root);
}

}  // namespace
}  // namespace braid
