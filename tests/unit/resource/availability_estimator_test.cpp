#include "resource/availability_estimator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace braid::detail {
namespace {

ResourceVector raw(double others, int cores = 2, double quota = std::nan("")) {
  ResourceVector v;
  v.cores_total = cores;
  for (int i = 0; i < cores; ++i) v.set_core_allowed(i, true);
  v.cpu_quota_cores = quota;
  v.core_count = cores;
  v.other_busy[0] = static_cast<float>(std::min(others, 1.0));
  if (cores > 1) v.other_busy[1] = static_cast<float>(std::max(0.0, others - 1.0));
  v.cores_used_by_others = others;
  return v;
}

TEST(AvailabilityEstimator, DerivesCoresFromLimitAndOthers) {
  struct Case {
    const char* name;
    ResourceVector v;
    double cores_available;
    double cores_limit;
  };
  ResourceVector affinity_one = raw(0.5);
  affinity_one.set_core_allowed(1, false);
  affinity_one.cores_used_by_others = 0.25;
  ResourceVector scripted = raw(1.0);
  scripted.cores_available = 1.75;  // a source that knows better wins
  ResourceVector nothing;           // no source at all
  ResourceVector no_load;           // limits but no load information
  no_load.cores_total = 4;
  const Case cases[] = {
      {"idle", raw(0.0), 2.0, 2.0},
      {"one busy", raw(1.0), 1.0, 2.0},
      {"overloaded", raw(2.5), 0.0, 2.0},
      {"quota below free", raw(0.0, 2, 1.5), 1.5, 1.5},
      {"quota above free", raw(1.0, 2, 1.5), 1.0, 1.5},
      {"affinity", affinity_one, 0.75, 1.0},
      {"scripted", scripted, 1.75, 2.0},
      {"no load info", no_load, 4.0, 4.0},
  };
  for (const Case& c : cases) {
    AvailabilityEstimator e;
    ResourceVector v = c.v;
    e.update(v, std::nan(""));
    EXPECT_NEAR(v.cores_available, c.cores_available, 1e-9) << c.name;
    EXPECT_NEAR(v.cores_limit, c.cores_limit, 1e-9) << c.name;
  }
  AvailabilityEstimator e;
  ResourceVector v = nothing;
  e.update(v, std::nan(""));
  EXPECT_TRUE(std::isnan(v.cores_available));
}

TEST(AvailabilityEstimator, SmoothsAcrossSamples) {
  AvailabilityEstimator e;
  double out[10];
  // Two-interval rates: a one-tick blip (0.5, 0.5), a competitor (1, 1, 1), gone (0, 0).
  const double in[10] = {0, 0, 0.5, 0.5, 0, 1, 1, 1, 0, 0};
  for (int i = 0; i < 10; ++i) {
    ResourceVector v = raw(in[i]);
    e.update(v, std::nan(""));
    out[i] = v.cores_available;
  }
  EXPECT_DOUBLE_EQ(out[1], 2.0);
  EXPECT_GT(out[3], 1.75);        // the blip only nudges
  EXPECT_GT(out[5], 1.75);        // a whole core: held at its first sample ...
  EXPECT_DOUBLE_EQ(out[6], 1.0);  // ... followed at its second
  EXPECT_DOUBLE_EQ(out[8], 1.0);  // gone: held once ...
  EXPECT_DOUBLE_EQ(out[9], 2.0);  // ... then followed
}

// The run-queue count sees a step whole at its first sample; two agreeing samples make it
// the estimate, while the two-interval busy-time rate has only seen part of the step.
TEST(AvailabilityEstimator, AStableRunQueueCountOverridesTheLaggingRate) {
  struct Sample {
    double rate, runnable;
  };
  // A competitor starts between samples 2 and 3 and stops between 6 and 7; sample 4's
  // rate is still below the step threshold. A lone runnable thread at sample 1 is noise.
  const Sample in[10] = {{0, 0}, {0, 1}, {0, 0}, {0.25, 1}, {0.55, 1}, {1, 1}, {1, 1}, {0.5, 0}, {0.45, 0}, {0, 0}};
  auto run = [&](int confirm) {
    ResourceFilterOptions o;
    o.run_queue_confirm_samples = confirm;
    AvailabilityEstimator e(o);
    std::vector<double> out;
    for (const Sample& s : in) {
      ResourceVector v = raw(s.rate);
      v.others_runnable = s.runnable;
      e.update(v, std::nan(""));
      out.push_back(v.cores_available);
    }
    return out;
  };
  const std::vector<double> with = run(2), without = run(0);
  EXPECT_DOUBLE_EQ(with[1], 2.0);  // one sample of a runnable thread: not a step
  EXPECT_DOUBLE_EQ(with[2], 2.0);
  EXPECT_GT(with[3], 1.75);        // the step's first sample: held ...
  EXPECT_DOUBLE_EQ(with[4], 1.0);  // ... its second: followed, whatever the rate says
  EXPECT_GT(without[4], 1.5);      // the rates alone have not confirmed it yet
  EXPECT_DOUBLE_EQ(with[5], 1.0);
  EXPECT_LT(with[7], 1.25);        // gone: only nudged at the first sample ...
  EXPECT_DOUBLE_EQ(with[8], 2.0);  // ... then followed, the rate still lagging at 0.45
  EXPECT_LT(without[8], 1.75);
  EXPECT_DOUBLE_EQ(with[9], 2.0);
}

// More runnable threads than cores count as every core busy, never more.
TEST(AvailabilityEstimator, RunQueueCountIsCappedAtTheAllowedCores) {
  AvailabilityEstimator e;
  for (int i = 0; i < 3; ++i) {
    ResourceVector v = raw(2.0);
    v.others_runnable = 5;
    e.update(v, std::nan(""));
    EXPECT_DOUBLE_EQ(v.cores_used_by_others, 2.0);
    EXPECT_DOUBLE_EQ(v.cores_available, 0.0);
  }
}

TEST(AvailabilityEstimator, StepThresholdGrowsWithSqrtOfCores) {
  AvailabilityEstimator e;
  EXPECT_NEAR(e.others_threshold(2), 0.6, 1e-12);
  EXPECT_NEAR(e.others_threshold(8), 1.2, 1e-12);
  EXPECT_NEAR(e.others_threshold(1), 0.6, 1e-12);
}

TEST(AvailabilityEstimator, ComputeBandwidthAndMemory) {
  AvailabilityEstimator e;
  ResourceVector v = raw(1.0);
  v.compute_gflops_per_core = 100;
  v.bandwidth_gbps_peak = 20;
  v.memory_system_available = 1000;
  v.memory_cgroup_available = 600;
  e.update(v, std::nan(""));
  EXPECT_DOUBLE_EQ(v.compute_gflops_available, 100.0);  // 1 core free
  EXPECT_DOUBLE_EQ(v.bandwidth_gbps_available, 10.0);   // others hold half the cores
  EXPECT_EQ(v.memory_bytes_available, 600);

  AvailabilityEstimator f;
  ResourceVector w = raw(1.0);
  w.bandwidth_gbps_peak = 20;
  w.memory_system_available = 1000;  // no cgroup limit
  f.update(w, 0.25);                 // fresh kernel feedback overrides the prior
  EXPECT_DOUBLE_EQ(w.bandwidth_gbps_available, 5.0);
  EXPECT_EQ(w.memory_bytes_available, 1000);

  AvailabilityEstimator g;
  ResourceVector only_cgroup;
  only_cgroup.memory_cgroup_available = 42;
  g.update(only_cgroup, std::nan(""));
  EXPECT_EQ(only_cgroup.memory_bytes_available, 42);
  EXPECT_TRUE(std::isnan(only_cgroup.compute_gflops_available));
  EXPECT_TRUE(std::isnan(only_cgroup.bandwidth_gbps_available));
}

}  // namespace
}  // namespace braid::detail
