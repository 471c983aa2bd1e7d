// ResourceMonitor with the scripted FakeResourceSource: deterministic stepping, the
// filter applied to scripted raw load, graceful degradation, and many concurrent readers.
#include "braid/resource.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include "braid/fake_resource_source.h"
#include "braid/log.h"
#include "resource_test_util.h"

namespace braid {
namespace {

using testing::resource_data;

ResourceMonitor::Options fake_only() {
  ResourceMonitor::Options o;
  o.default_sources = false;
  o.calibrate = false;
  o.period = std::chrono::milliseconds(1);
  return o;
}

ResourceVector scripted(double cores_available, int64_t memory = -1) {
  ResourceVector v;
  v.cores_total = 2;
  v.cores_available = cores_available;
  v.memory_bytes_available = memory;
  return v;
}

// Captures Braid's log messages (braid/log.h) for the duration of a test.
class LogCapture {
 public:
  LogCapture() {
    set_log_handler([this](LogLevel, std::string_view message) {
      std::lock_guard<std::mutex> lock(mu_);
      out_ << message << "\n";
    });
  }
  ~LogCapture() { set_log_handler(nullptr); }
  std::string text() const {
    std::lock_guard<std::mutex> lock(mu_);
    return out_.str();
  }
  int count(const std::string& needle) const {
    const std::string t = text();
    int n = 0;
    for (size_t pos = t.find(needle); pos != std::string::npos; pos = t.find(needle, pos + 1)) ++n;
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::ostringstream out_;
};

TEST(ResourceMonitor, PlaysAFakeTimelineStepByStep) {
  ResourceMonitor m(fake_only());
  ASSERT_TRUE(m.add_source(std::make_unique<FakeResourceSource>(std::vector<FakeResourceSource::Step>{
                               {scripted(2.0, 1000)}, {scripted(1.0, 500)}, {scripted(0.5, 250)}}))
                  .ok());
  const double expect[] = {2.0, 1.0, 0.5, 0.5};
  for (int i = 0; i < 4; ++i) {
    auto v = m.sample_now();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->cores_available, expect[i]) << i;
    EXPECT_TRUE(v->is_live(ResourceSourceKind::kFake));
    EXPECT_EQ(v->sample_index, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(m.current().cores_available, expect[i]);
  }
  EXPECT_EQ(m.current().memory_bytes_available, 250);
  EXPECT_EQ(m.samples_taken(), 4u);
}

TEST(ResourceMonitor, ScriptedRawLoadGoesThroughTheFilter) {
  auto raw = [](double cpu0, double cpu1) {
    ResourceVector v;
    v.cores_total = 2;
    v.core_count = 2;
    v.set_core_allowed(0, true);
    v.set_core_allowed(1, true);
    v.other_busy[0] = static_cast<float>(cpu0);
    v.other_busy[1] = static_cast<float>(cpu1);
    v.cores_used_by_others = cpu0 + cpu1;
    v.compute_gflops_per_core = 10;
    return FakeResourceSource::Step(v);
  };
  ResourceMonitor m(fake_only());
  ASSERT_TRUE(m.add_source(std::make_unique<FakeResourceSource>(std::vector<FakeResourceSource::Step>{
                               raw(0, 0), raw(0, 0), raw(1, 0), raw(1, 0), raw(0, 1), raw(1, 0)}))
                  .ok());
  std::vector<double> cores;
  for (int i = 0; i < 6; ++i) cores.push_back(m.sample_now()->cores_available);
  // The step is followed at its 2nd sample; the migration cpu0 <-> cpu1 changes nothing.
  EXPECT_EQ(cores, (std::vector<double>{2, 2, 2, 1, 1, 1}));
  EXPECT_DOUBLE_EQ(m.current().compute_gflops_available, 10.0);
}

TEST(ResourceMonitor, FailingSourceIsReportedOnceAndMarkedAbsent) {
  LogCapture log;
  ResourceMonitor m(fake_only());
  ASSERT_TRUE(m.add_source(std::make_unique<FakeResourceSource>(std::vector<FakeResourceSource::Step>{
                               {scripted(2.0), invalid_argument("scripted outage")}}))
                  .ok());
  for (int i = 0; i < 10; ++i) {
    auto v = m.sample_now();
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->is_live(ResourceSourceKind::kFake));
    EXPECT_TRUE(std::isnan(v->cores_available));
  }
  EXPECT_EQ(log.count("scripted outage"), 1) << log.text();
}

TEST(ResourceMonitor, RecoveredSourceIsLiveAgain) {
  LogCapture log;
  ResourceMonitor m(fake_only());
  std::vector<FakeResourceSource::Step> steps = {
      {scripted(2.0), {}}, {scripted(2.0), internal_error("blip")}, {scripted(1.0), {}}};
  ASSERT_TRUE(m.add_source(std::make_unique<FakeResourceSource>(steps)).ok());
  EXPECT_TRUE(m.sample_now()->is_live(ResourceSourceKind::kFake));
  EXPECT_FALSE(m.sample_now()->is_live(ResourceSourceKind::kFake));
  auto v = m.sample_now();
  EXPECT_TRUE(v->is_live(ResourceSourceKind::kFake));
  EXPECT_EQ(v->cores_available, 1.0);
  EXPECT_EQ(log.count("blip"), 1);
}

class ThrowingSource final : public ResourceSource {
 public:
  Status sample(ResourceVector&) override { throw std::runtime_error("host source exploded"); }
  const char* name() const override { return "throwing"; }
};

TEST(ResourceMonitor, NothingThrowsOutOfTheMonitor) {
  LogCapture log;
  ResourceMonitor m(fake_only());
  ASSERT_TRUE(m.add_source(std::make_unique<ThrowingSource>()).ok());
  ASSERT_TRUE(m.add_source(std::make_unique<FakeResourceSource>(std::vector<FakeResourceSource::Step>{{scripted(1.5)}}))
                  .ok());
  auto v = m.sample_now();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->cores_available, 1.5);
  EXPECT_FALSE(v->is_live(ResourceSourceKind::kHost));
  EXPECT_EQ(log.count("host source exploded"), 1);
  EXPECT_FALSE(m.add_source(nullptr).ok());
}

TEST(ResourceMonitor, EmptyRootDegradesEverySourceGracefully) {
  LogCapture log;
  ResourceMonitor::Options o;
  o.root = resource_data("missing");
  o.calibrate = false;
  ResourceMonitor m(o);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(m.sample_now().ok());
  const ResourceVector v = m.current();
  // Only the affinity mask (a syscall, not a file) is left.
  EXPECT_TRUE(v.is_live(ResourceSourceKind::kAffinity));
  EXPECT_FALSE(v.is_live(ResourceSourceKind::kProcStat));
  EXPECT_FALSE(v.is_live(ResourceSourceKind::kMemInfo));
  EXPECT_FALSE(v.is_live(ResourceSourceKind::kPsiCpu));
  EXPECT_FALSE(v.is_live(ResourceSourceKind::kCgroupMemory));
  EXPECT_GE(v.cores_available, 1.0);  // the affinity mask still bounds the cores
  EXPECT_EQ(v.memory_bytes_available, -1);
  EXPECT_EQ(log.count("proc_stat unavailable"), 1) << log.text();
  EXPECT_EQ(log.count("psi_cpu unavailable"), 1) << log.text();
}

TEST(ResourceMonitor, CapturedV1TreeWithoutPsi) {
  LogCapture log;
  ResourceMonitor::Options o;
  o.root = resource_data("v1_limited");
  o.calibrate = false;
  ResourceMonitor m(o);
  ASSERT_TRUE(m.sample_now().ok());
  auto v = m.sample_now();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->is_live(ResourceSourceKind::kCpuQuota));
  EXPECT_TRUE(v->is_live(ResourceSourceKind::kCgroupMemory));
  EXPECT_FALSE(v->is_live(ResourceSourceKind::kPsiCpu));
  EXPECT_EQ(v->cpu_quota_cores, 0.5);
  EXPECT_LE(v->cores_available, 0.5);
  EXPECT_EQ(v->memory_bytes_available, (1024 - 256 + 64) * (int64_t{1} << 20));
  EXPECT_TRUE(std::isnan(v->cpu_pressure_some));
}

// Waits (up to 10 s: sanitizers on a busy 2-core machine are slow) until the sampler
// thread has published `count` samples.
bool wait_for_samples(const ResourceMonitor& m, uint64_t count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (m.samples_taken() < count) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

TEST(ResourceMonitor, StartStopAndLifecycleErrors) {
  ResourceMonitor m(fake_only());
  ASSERT_TRUE(m.add_source(std::make_unique<FakeResourceSource>(std::vector<FakeResourceSource::Step>{{scripted(1.0)}}))
                  .ok());
  EXPECT_EQ(m.current().sample_index, 0u);
  ASSERT_TRUE(m.start().ok());
  EXPECT_TRUE(m.running());
  EXPECT_GE(m.current().sample_index, 1u);  // start() publishes the first sample
  EXPECT_FALSE(m.start().ok());
  EXPECT_FALSE(m.sample_now().ok());
  const uint64_t before = m.samples_taken();
  EXPECT_TRUE(wait_for_samples(m, before + 5));
  m.stop();
  EXPECT_FALSE(m.running());
  m.stop();  // idempotent
  EXPECT_EQ(m.current().cores_available, 1.0);
  ASSERT_TRUE(m.start().ok());  // restartable
  m.stop();
  EXPECT_GT(m.sampler_cpu_time().count(), 0);

  ResourceMonitor::Options bad = fake_only();
  bad.period = std::chrono::milliseconds(0);
  ResourceMonitor z(bad);
  EXPECT_FALSE(z.start().ok());
}

void read_while_sampling(int readers) {
  ResourceMonitor::Options o = fake_only();
  o.period = std::chrono::microseconds(200);
  ResourceMonitor m(o);
  std::vector<FakeResourceSource::Step> steps;
  for (int i = 0; i < 64; ++i) steps.push_back({scripted(i % 2 ? 1.0 : 2.0, i % 2 ? 100 : 200)});
  ASSERT_TRUE(m.add_source(std::make_unique<FakeResourceSource>(steps)).ok());
  ASSERT_TRUE(m.start().ok());
  std::atomic<bool> done{false};
  std::atomic<int> inconsistent{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < readers; ++r) {
    threads.emplace_back([&] {
      uint64_t last = 0;
      while (!done.load(std::memory_order_relaxed)) {
        const ResourceVector v = m.current();
        // Fields scripted together must be seen together.
        const bool one = v.cores_available == 1.0 && v.memory_bytes_available == 100;
        const bool two = v.cores_available == 2.0 && v.memory_bytes_available == 200;
        if (!one && !two) inconsistent.fetch_add(1);
        if (v.sample_index < last) inconsistent.fetch_add(1);
        last = v.sample_index;
        if (readers > 2) std::this_thread::yield();  // let the sampler in on 2 cores
      }
    });
  }
  // Meanwhile: feedback from "kernels" and a source added while running.
  for (int i = 0; i < 100; ++i) m.report_memory_throughput(1e6, 1e-3, 5e-4);
  ASSERT_TRUE(m.add_source(std::make_unique<FakeResourceSource>(std::vector<FakeResourceSource::Step>{{scripted(std::nan(""))}}))
                  .ok());
  // Readers overlap with at least 20 publications (however slow the machine is).
  EXPECT_TRUE(wait_for_samples(m, m.samples_taken() + 20));
  done.store(true);
  for (auto& t : threads) t.join();
  m.stop();
  EXPECT_EQ(inconsistent.load(), 0) << readers << " readers";
}

TEST(ResourceMonitor, ReadersOn1Thread) { read_while_sampling(1); }
TEST(ResourceMonitor, ReadersOn2Threads) { read_while_sampling(2); }
TEST(ResourceMonitor, ReadersOn4Threads) { read_while_sampling(4); }
TEST(ResourceMonitor, ReadersOnHardwareConcurrencyThreads) {
  read_while_sampling(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}
TEST(ResourceMonitor, ReadersOn16Threads) { read_while_sampling(16); }

TEST(ResourceMonitor, KernelFeedbackSetsBandwidthShare) {
  ResourceMonitor::Options o = fake_only();
  o.calibration.gflops_per_core = 50;
  o.calibration.bandwidth_gbps = 20;
  ResourceMonitor m(o);
  ASSERT_TRUE(m.add_source(std::make_unique<FakeResourceSource>(std::vector<FakeResourceSource::Step>{{scripted(2.0)}}))
                  .ok());
  auto a = m.sample_now();
  EXPECT_DOUBLE_EQ(a->bandwidth_gbps_available, 20.0);
  EXPECT_DOUBLE_EQ(a->compute_gflops_available, 100.0);
  EXPECT_TRUE(a->is_live(ResourceSourceKind::kComputeCalibration));
  EXPECT_FALSE(a->is_live(ResourceSourceKind::kKernelFeedback));
  m.report_memory_throughput(1e9, 0.2, 0.1);  // achieved half of the prediction
  m.report_memory_throughput(-1, 0.2, 0.1);   // ignored
  m.report_memory_throughput(1e9, 0, 0.1);    // ignored
  auto b = m.sample_now();
  EXPECT_TRUE(b->is_live(ResourceSourceKind::kKernelFeedback));
  EXPECT_DOUBLE_EQ(b->bandwidth_gbps_available, 10.0);
  EXPECT_EQ(m.calibration().bandwidth_gbps, 20.0);
}

TEST(ResourceMonitor, LiveMachineDefaultSources) {
  ResourceMonitor::Options o;
  o.calibrate = false;
  ResourceMonitor m(o);
  ASSERT_TRUE(m.start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  const ResourceVector v = m.current();
  m.stop();
  EXPECT_TRUE(v.is_live(ResourceSourceKind::kProcStat));
  EXPECT_TRUE(v.is_live(ResourceSourceKind::kMemInfo));
  EXPECT_TRUE(v.is_live(ResourceSourceKind::kAffinity));
  EXPECT_GE(v.cores_total, 1);
  EXPECT_GE(v.cores_available, 0);
  EXPECT_LE(v.cores_available, v.cores_limit);
  EXPECT_GT(v.memory_bytes_available, 0);
  EXPECT_GT(v.timestamp_ns, 0);
}

TEST(ResourceSourceKind, NamesAreStable) {
  EXPECT_STREQ(resource_source_kind_name(ResourceSourceKind::kProcStat), "proc_stat");
  EXPECT_STREQ(resource_source_kind_name(ResourceSourceKind::kFake), "fake");
  EXPECT_STREQ(resource_source_kind_name(ResourceSourceKind::kHost), "host");
}

}  // namespace
}  // namespace braid
