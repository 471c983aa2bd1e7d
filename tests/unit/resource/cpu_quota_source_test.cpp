#include "resource/cpu_quota_source.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "resource/text_file.h"
#include "resource_test_util.h"

namespace braid::detail {
namespace {

using testing::resource_data;
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(CpuQuotaParser, CgroupV2CpuMaxFilesTableDriven) {
  struct Case {
    const char* file;
    bool ok;
    double cores;
  };
  const Case cases[] = {
      {"cpu.max.max", true, kInf},          {"cpu.max.max_no_period", true, kInf},
      {"cpu.max.half", true, 1.5},          {"cpu.max.zero_period", false, 0},
      {"cpu.max.negative_period", false, 0}, {"cpu.max.negative_quota", false, 0},
      {"cpu.max.zero_quota", false, 0},     {"cpu.max.garbage", false, 0},
      {"cpu.max.three_fields", false, 0},   {"cpu.max.empty", false, 0},
      {"cpu.max.overflow", false, 0},
  };
  for (const Case& c : cases) {
    auto text = read_whole_file(resource_data(std::string("hostile/") + c.file));
    ASSERT_TRUE(text.ok()) << c.file;
    auto q = parse_cgroup_v2_cpu_max(*text);
    EXPECT_EQ(q.ok(), c.ok) << c.file << ": " << q.status().to_string();
    if (c.ok && q.ok()) { EXPECT_EQ(*q, c.cores) << c.file; }
  }
}

TEST(CpuQuotaParser, CgroupV1QuotaAndPeriodTableDriven) {
  struct Case {
    const char* quota;
    const char* period;
    bool ok;
    double cores;
  };
  const Case cases[] = {
      {"-1\n", "100000\n", true, kInf}, {"50000\n", "100000\n", true, 0.5}, {"250000", "100000", true, 2.5},
      {"50000", "0", false, 0},         {"50000", "-100000", false, 0},     {"-7", "100000", false, 0},
      {"0", "100000", false, 0},        {"abc", "100000", false, 0},        {"50000", "", false, 0},
      {"", "100000", false, 0},
  };
  for (const Case& c : cases) {
    auto q = parse_cgroup_v1_cpu_quota(c.quota, c.period);
    EXPECT_EQ(q.ok(), c.ok) << c.quota << "/" << c.period;
    if (c.ok && q.ok()) { EXPECT_EQ(*q, c.cores) << c.quota << "/" << c.period; }
  }
}

CpuQuotaSource source_for(const std::string& tree, std::vector<int> affinity) {
  CpuQuotaSourceOptions o;
  o.root = resource_data(tree);
  o.affinity = [affinity]() -> Result<std::vector<int>> { return affinity; };
  return CpuQuotaSource(o);
}

TEST(CpuQuotaSource, CapturedTreesTableDriven) {
  struct Case {
    const char* tree;
    std::vector<int> affinity;
    double total;
    double quota;
    double limit;
    bool quota_live;
  };
  const Case cases[] = {
      {"this_machine", {0, 1}, 2, kInf, 2, true},        // v1 cpu: quota -1
      {"v2_limited", {0, 1, 2, 3}, 4, 1.5, 1.5, true},    // leaf 150000/100000
      {"v2_nested", {0, 1}, 2, 0.5, 0.5, true},           // parent tighter than leaf
      {"v1_limited", {0, 1}, 2, 0.5, 0.5, true},          // docker quota 50000/100000
      {"mixed_v1_v2", {0, 1}, 2, 1.0, 1.0, true},         // v2 1 core beats v1 3 cores
      {"container_ns", {0, 1}, 2, 2.0, 2.0, true},        // namespaced: the mount's own cpu.max
      {"this_machine", {1}, 2, kInf, 1, true},            // affinity restricts
      {"v2_limited", {0, 7}, 4, 1.5, 1, true},            // CPU 7 is not online: ignored
      {"hostile_quota", {0, 1}, 2, kInf, 2, false},       // all quotas invalid: unlimited
      {"hostile_garbage", {0, 1}, 2, kInf, 2, false},     // online list garbage: affinity
  };
  for (const Case& c : cases) {
    CpuQuotaSource s = source_for(c.tree, c.affinity);
    ResourceVector v;
    Status st = s.sample(v);
    ASSERT_TRUE(st.ok()) << c.tree << ": " << st.to_string();
    EXPECT_EQ(v.cores_total, c.total) << c.tree;
    EXPECT_EQ(v.cpu_quota_cores, c.quota) << c.tree;
    EXPECT_EQ(v.cores_limit, c.limit) << c.tree;
    EXPECT_EQ(v.is_live(ResourceSourceKind::kCpuQuota), c.quota_live) << c.tree;
    EXPECT_TRUE(v.is_live(ResourceSourceKind::kAffinity)) << c.tree;
  }
}

TEST(CpuQuotaSource, AllowedMaskFollowsAffinityAndOnlineCpus) {
  CpuQuotaSource s = source_for("v2_limited", {1, 3, 9});
  ResourceVector v;
  ASSERT_TRUE(s.sample(v).ok());
  EXPECT_FALSE(v.is_core_allowed(0));
  EXPECT_TRUE(v.is_core_allowed(1));
  EXPECT_TRUE(v.is_core_allowed(3));
  EXPECT_FALSE(v.is_core_allowed(9));
  EXPECT_EQ(v.allowed_core_count(), 2);
}

TEST(CpuQuotaSource, MissingRootFallsBackToAffinity) {
  CpuQuotaSource s = source_for("missing", {0, 1, 2});
  ResourceVector v;
  ASSERT_TRUE(s.sample(v).ok());
  EXPECT_EQ(v.cores_total, 3);
  EXPECT_EQ(v.cores_limit, 3);
  EXPECT_FALSE(v.is_live(ResourceSourceKind::kCpuQuota));
}

TEST(CpuQuotaSource, FailsOnlyWhenNothingIsKnown) {
  CpuQuotaSourceOptions o;
  o.root = resource_data("missing");
  o.affinity = []() -> Result<std::vector<int>> { return invalid_argument("no affinity"); };
  CpuQuotaSource s(o);
  ResourceVector v;
  EXPECT_FALSE(s.sample(v).ok());
}

TEST(CpuQuotaSource, RefreshesOnlyEveryNSamples) {
  testing::ScratchRoot root;
  root.write("/proc/self/cgroup", "0::/\n");
  root.write("/proc/self/mountinfo", "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  root.write("/sys/devices/system/cpu/online", "0-3\n");
  root.write("/sys/fs/cgroup/cpu.max", "200000 100000\n");
  CpuQuotaSourceOptions o;
  o.root = root.path();
  o.refresh_every_samples = 3;
  o.affinity = []() -> Result<std::vector<int>> { return std::vector<int>{0, 1, 2, 3}; };
  CpuQuotaSource s(o);
  ResourceVector v;
  ASSERT_TRUE(s.sample(v).ok());
  EXPECT_EQ(v.cpu_quota_cores, 2.0);
  root.write("/sys/fs/cgroup/cpu.max", "100000 100000\n");
  ASSERT_TRUE(s.sample(v).ok());
  ASSERT_TRUE(s.sample(v).ok());
  EXPECT_EQ(v.cpu_quota_cores, 2.0);  // cached
  ASSERT_TRUE(s.sample(v).ok());
  EXPECT_EQ(v.cpu_quota_cores, 1.0);  // refreshed
}

TEST(CpuQuotaSource, ReadsTheLiveMachine) {
  CpuQuotaSource s;
  ResourceVector v;
  ASSERT_TRUE(s.sample(v).ok());
  EXPECT_GE(v.cores_total, 1);
  EXPECT_GE(v.cores_limit, 0.01);
  EXPECT_LE(v.cores_limit, v.cores_total);
}

}  // namespace
}  // namespace braid::detail
