#include "resource/calibration.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <thread>

#include "resource/bandwidth_probe.h"
#include "resource/fma_probe.h"
#include "resource/text_file.h"
#include "resource_test_util.h"

namespace braid::detail {
namespace {

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_) ::setenv(name_, old_.c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

TEST(CalibrationFormat, ParsesTableDriven) {
  struct Case {
    const char* text;
    bool ok;
    bool complete;
    double gflops;
  };
  const Case cases[] = {
      {"gflops_per_core=50,bandwidth_gbps=20", true, true, 50},
      {"# comment\nversion=1\nmachine=x|cpus=2\ngflops_per_core=12.5\nbandwidth_gbps=3\n", true, true, 12.5},
      {"gflops_per_core=50", true, false, 50},
      {"gflops_per_core=fast,bandwidth_gbps=20", false, false, 0},
      {"gflops_per_core=-1,bandwidth_gbps=20", false, false, 0},
      {"gflops_per_core=inf,bandwidth_gbps=20", false, false, 0},
      {"version=2\ngflops_per_core=1\nbandwidth_gbps=1", false, false, 0},
      {"just garbage", false, false, 0},
      {"future_key=7,gflops_per_core=1,bandwidth_gbps=1", true, true, 1},
      {"", true, false, 0},
  };
  for (const Case& c : cases) {
    auto f = parse_calibration(c.text);
    EXPECT_EQ(f.ok(), c.ok) << c.text;
    if (!c.ok || !f.ok()) continue;
    EXPECT_EQ(f->complete(), c.complete) << c.text;
    EXPECT_EQ(f->values.gflops_per_core, c.gflops) << c.text;
  }
}

TEST(CalibrationFormat, RoundTrips) {
  CalibrationFile f;
  f.values = {123.5, 45.25, 12.125, "avx512"};
  f.machine = machine_key();
  auto back = parse_calibration(format_calibration(f));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->values.gflops_per_core, 123.5);
  EXPECT_EQ(back->values.bandwidth_gbps, 45.25);
  EXPECT_EQ(back->values.bandwidth_gbps_one_core, 12.125);
  EXPECT_EQ(back->values.isa, "avx512");
  EXPECT_EQ(back->machine, f.machine);
}

TEST(CalibrationFormat, MachineKeyAndDefaultPath) {
  EXPECT_NE(machine_key().find("|cpus="), std::string::npos);
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "/tmp/xdg");
    EXPECT_EQ(default_calibration_path(), "/tmp/xdg/braid/calibration.txt");
  }
  {
    ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
    ScopedEnv home("HOME", "/home/u");
    EXPECT_EQ(default_calibration_path(), "/home/u/.cache/braid/calibration.txt");
  }
}

TEST(LoadOrCalibrate, ExplicitOptionsWinWithoutProbing) {
  ResourceMonitorOptions o;
  o.calibration.gflops_per_core = 7;
  o.calibration.bandwidth_gbps = 8;
  ReportOnce reports;
  auto c = load_or_calibrate(o, reports);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->gflops_per_core, 7);
}

TEST(LoadOrCalibrate, EnvironmentInlineValuesAndFilePath) {
  ReportOnce reports;
  {
    ScopedEnv env("BRAID_CALIBRATION", "gflops_per_core=3,bandwidth_gbps=4");
    auto c = load_or_calibrate({}, reports);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->gflops_per_core, 3);
    EXPECT_EQ(c->bandwidth_gbps, 4);
  }
  testing::ScratchRoot root;
  root.write("/override.txt", "gflops_per_core=5\nbandwidth_gbps=6\n");  // no machine key: accepted
  {
    ScopedEnv env("BRAID_CALIBRATION", (root.path() + "/override.txt").c_str());
    auto c = load_or_calibrate({}, reports);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->gflops_per_core, 5);
  }
}

TEST(LoadOrCalibrate, CacheFileForThisMachineIsUsed) {
  testing::ScratchRoot root;
  CalibrationFile f;
  f.values = {11, 22, 5, "avx2"};
  f.machine = machine_key();
  root.write("/cache/braid/calibration.txt", format_calibration(f));
  ScopedEnv env("BRAID_CALIBRATION", nullptr);
  ScopedEnv xdg("XDG_CACHE_HOME", (root.path() + "/cache").c_str());
  ReportOnce reports;
  auto c = load_or_calibrate({}, reports);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->gflops_per_core, 11);
  EXPECT_EQ(c->isa, "avx2");
}

TEST(LoadOrCalibrate, ProbesOnceAndWritesTheCache) {
  testing::ScratchRoot root;
  CalibrationFile other;
  other.values = {11, 22, 5, "avx2"};
  other.machine = "another machine|cpus=64|mem_gib=512";  // a stale cache: re-measure
  root.write("/c/calibration.txt", format_calibration(other));
  ResourceMonitorOptions o;
  o.calibration_file = root.path() + "/c/calibration.txt";
  ReportOnce reports;
  BandwidthProbeOptions small;  // keep the test quick (and sanitizer builds bearable)
  small.array_bytes = 8 << 20;
  small.repetitions = 2;
  auto c = load_or_calibrate(o, reports, small);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_GT(c->gflops_per_core, 0.1);
  EXPECT_GT(c->bandwidth_gbps, 0.1);
  if (reports.in_outage("calibration cache")) GTEST_SKIP() << "the machine was too busy to cache a calibration";
  auto text = read_whole_file(o.calibration_file);
  ASSERT_TRUE(text.ok());
  auto written = parse_calibration(*text);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(written->machine, machine_key());
  EXPECT_NEAR(written->values.gflops_per_core, c->gflops_per_core, 1e-3);
  EXPECT_EQ(reports.reports(), 0);
}

TEST(FmaProbe, SelectedVariantMatchesCpuidAndAgreesWithScalar) {
  const FmaProbe p = select_fma_probe();
  ASSERT_NE(p.fn, nullptr);
  __builtin_cpu_init();
  // GCC and Clang accept the per-file ISA flags, so a CPU with AVX2 or AVX-512 gets a
  // vector variant; one without either gets the scalar loop.
  const char* expected = __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx512f") ? "avx512"
                         : __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx2")  ? "avx2"
                                                                                           : "scalar";
  EXPECT_STREQ(p.isa, expected);
  const float scalar = fma_probe_scalar(1000);
  EXPECT_TRUE(std::isfinite(scalar));
  EXPECT_TRUE(std::isfinite(p.fn(1000)));
}

TEST(BandwidthProbe, BusyMachineIsRecognised) {
  // Twice as many probe threads as CPUs: they preempt each other, so no pass can keep
  // its threads on a CPU for 85% of the time.
  BandwidthProbeOptions o;
  o.array_bytes = 16 << 20;
  o.repetitions = 1;
  o.threads = 2 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) + 2;
  auto r = run_bandwidth_probe(o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_GT(r->all_cores_gbps, 0.1);  // an estimate is still returned
#if !defined(__SANITIZE_THREAD__)     // TSan builds run the chunks serially
  EXPECT_TRUE(r->contended);
#endif
}

TEST(BandwidthProbe, SmallArraysStillMeasure) {
  BandwidthProbeOptions o;
  o.array_bytes = 4 << 20;
  o.repetitions = 2;
  auto r = run_bandwidth_probe(o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_GT(r->all_cores_gbps, 0.1);
  EXPECT_GT(r->one_core_gbps, 0.1);
  EXPECT_GE(default_bandwidth_probe_bytes(), size_t{8} << 20);
}

}  // namespace
}  // namespace braid::detail
