#include <gtest/gtest.h>

#include "resource/cgroup_memory_source.h"
#include "resource/meminfo_source.h"
#include "resource/text_file.h"
#include "resource_test_util.h"

namespace braid::detail {
namespace {

using testing::resource_data;
constexpr int64_t kMiB = int64_t{1} << 20;

TEST(MemInfoParser, FilesTableDriven) {
  struct Case {
    const char* file;
    bool ok;
    int64_t total;
    int64_t available;
    bool estimated;
  };
  const Case cases[] = {
      {"this_machine/proc/meminfo", true, 24684096 * int64_t{1024}, -2, false},
      {"hostile/meminfo.no_memavailable", true, 1000 * 1024, 400 * 1024, true},
      {"hostile/meminfo.available_above_total", false, 0, 0, false},
      {"hostile/meminfo.mb_unit", false, 0, 0, false},
      {"hostile_garbage/proc/meminfo", false, 0, 0, false},
      // Cut before MemAvailable and mid-"Cached": estimated from MemFree + Buffers.
      {"hostile_truncated/proc/meminfo", true, 24684096 * int64_t{1024}, (24206484 + 17800) * int64_t{1024}, true},
  };
  for (const Case& c : cases) {
    auto text = read_whole_file(resource_data(c.file));
    ASSERT_TRUE(text.ok()) << c.file;
    auto m = parse_meminfo(*text);
    EXPECT_EQ(m.ok(), c.ok) << c.file << ": " << m.status().to_string();
    if (!c.ok || !m.ok()) continue;
    EXPECT_EQ(m->total_bytes, c.total) << c.file;
    if (c.available != -2) { EXPECT_EQ(m->available_bytes, c.available) << c.file; }
    EXPECT_GT(m->available_bytes, 0) << c.file;
    EXPECT_LE(m->available_bytes, m->total_bytes) << c.file;
    EXPECT_EQ(m->available_estimated, c.estimated) << c.file;
  }
  EXPECT_FALSE(parse_meminfo("").ok());
  EXPECT_FALSE(parse_meminfo("MemTotal: 5 kB extra\n").ok());
}

TEST(CgroupMemoryParser, ValuesTableDriven) {
  struct Case {
    const char* file;
    bool ok;
    int64_t value;
  };
  const Case cases[] = {
      {"hostile/memory.max.v1_unlimited", true, -1},
      {"hostile/memory.max.negative", false, 0},
      {"hostile/memory.max.garbage", false, 0},
      {"v2_limited/sys/fs/cgroup/system.slice/memory.max", true, -1},
      {"v2_limited/sys/fs/cgroup/system.slice/braid.service/memory.max", true, 2048 * kMiB},
      {"hostile_truncated/sys/fs/cgroup/memory/process_api/x/memory.usage_in_bytes", false, 0},
  };
  for (const Case& c : cases) {
    auto text = read_whole_file(resource_data(c.file));
    ASSERT_TRUE(text.ok()) << c.file;
    auto v = parse_cgroup_memory_value(*text);
    EXPECT_EQ(v.ok(), c.ok) << c.file;
    if (c.ok && v.ok()) { EXPECT_EQ(*v, c.value) << c.file; }
  }
}

TEST(CgroupMemoryParser, MemoryStatFields) {
  EXPECT_EQ(parse_memory_stat_field("anon 5\ninactive_file 7\n", "inactive_file").value(), 7);
  EXPECT_EQ(parse_memory_stat_field("anon 5\n", "inactive_file").value(), -1);
  EXPECT_FALSE(parse_memory_stat_field("inactive_file x\n", "inactive_file").ok());
  EXPECT_FALSE(parse_memory_stat_field("inactive_file -3\n", "inactive_file").ok());
}

TEST(CgroupMemorySource, CapturedTreesTableDriven) {
  struct Case {
    const char* tree;
    bool ok;
    const char* version;
    int64_t limit;
    int64_t usage;
    int64_t available;
  };
  const Case cases[] = {
      // This machine: v1 memory, no limit anywhere.
      {"this_machine", true, "v1", -1, 215879680, -1},
      // 2 GiB - 512 MiB + 100 MiB inactive file.
      {"v2_limited", true, "v2", 2048 * kMiB, 512 * kMiB, (2048 - 512 + 100) * kMiB},
      // Leaf memory.high 768 MiB -> 356 MiB; parent 1 GiB - 900 MiB -> 124 MiB wins.
      {"v2_nested", true, "v2", 1024 * kMiB, 900 * kMiB, 124 * kMiB},
      // 1 GiB - 256 MiB + 64 MiB total_inactive_file.
      {"v1_limited", true, "v1", 1024 * kMiB, 256 * kMiB, (1024 - 256 + 64) * kMiB},
      // v2 has no memory controller here (no memory.current): v1 is used.
      {"mixed_v1_v2", true, "v1", 512 * kMiB, 128 * kMiB, 384 * kMiB},
      {"container_ns", true, "v2", 4096 * kMiB, 1024 * kMiB, 3072 * kMiB},
      {"hostile_garbage", false, "v2", 0, 0, 0},
      {"hostile_truncated", false, "", 0, 0, 0},
      {"missing", false, "", 0, 0, 0},
  };
  for (const Case& c : cases) {
    CgroupMemorySourceOptions o;
    o.root = resource_data(c.tree);
    CgroupMemorySource s(o);
    ResourceVector v;
    Status st = s.sample(v);
    EXPECT_EQ(st.ok(), c.ok) << c.tree << ": " << st.to_string();
    EXPECT_EQ(s.version(), c.version) << c.tree;
    if (!c.ok || !st.ok()) continue;
    EXPECT_EQ(v.memory_cgroup_limit, c.limit) << c.tree;
    EXPECT_EQ(v.memory_cgroup_usage, c.usage) << c.tree;
    EXPECT_EQ(v.memory_cgroup_available, c.available) << c.tree;
  }
}

TEST(CgroupMemorySource, UsageIsReadEverySampleLimitsOnRefresh) {
  testing::ScratchRoot root;
  root.write("/proc/self/cgroup", "0::/job\n");
  root.write("/proc/self/mountinfo", "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  root.write("/sys/fs/cgroup/job/memory.max", "1000000\n");
  root.write("/sys/fs/cgroup/job/memory.current", "100000\n");
  CgroupMemorySourceOptions o;
  o.root = root.path();
  o.refresh_every_samples = 1000;
  CgroupMemorySource s(o);
  ResourceVector v;
  ASSERT_TRUE(s.sample(v).ok());
  EXPECT_EQ(v.memory_cgroup_available, 900000);
  root.write("/sys/fs/cgroup/job/memory.current", "700000\n");
  ResourceVector w;
  ASSERT_TRUE(s.sample(w).ok());
  EXPECT_EQ(w.memory_cgroup_available, 300000);
  root.write("/sys/fs/cgroup/job/memory.current", "1200000\n");  // over the limit: clamp
  ResourceVector x;
  ASSERT_TRUE(s.sample(x).ok());
  EXPECT_EQ(x.memory_cgroup_available, 0);
}

TEST(CgroupMemorySource, UsageEveryNSamplesWritesCachedValuesBetween) {
  testing::ScratchRoot root;
  root.write("/proc/self/cgroup", "0::/job\n");
  root.write("/proc/self/mountinfo", "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  root.write("/sys/fs/cgroup/job/memory.max", "1000000\n");
  root.write("/sys/fs/cgroup/job/memory.current", "100000\n");
  CgroupMemorySourceOptions o;
  o.root = root.path();
  o.usage_every_samples = 2;
  CgroupMemorySource s(o);
  ResourceVector a, b, c;
  ASSERT_TRUE(s.sample(a).ok());
  root.write("/sys/fs/cgroup/job/memory.current", "400000\n");
  ASSERT_TRUE(s.sample(b).ok());
  ASSERT_TRUE(s.sample(c).ok());
  EXPECT_EQ(a.memory_cgroup_available, 900000);
  EXPECT_EQ(b.memory_cgroup_available, 900000);  // cached, still written
  EXPECT_EQ(b.memory_cgroup_limit, 1000000);
  EXPECT_EQ(c.memory_cgroup_available, 600000);
}

TEST(MemInfoSource, RereadsEveryNSamples) {
  testing::ScratchRoot root;
  root.write("/proc/meminfo", "MemTotal: 1000 kB\nMemAvailable: 800 kB\n");
  MemInfoSource s(root.path(), /*refresh_every_samples=*/2);
  ResourceVector v;
  ASSERT_TRUE(s.sample(v).ok());
  EXPECT_EQ(v.memory_system_available, 800 * 1024);
  root.write("/proc/meminfo", "MemTotal: 1000 kB\nMemAvailable: 300 kB\n");
  ResourceVector w;
  ASSERT_TRUE(s.sample(w).ok());
  EXPECT_EQ(w.memory_system_available, 800 * 1024);  // cached values are still written
  ResourceVector x;
  ASSERT_TRUE(s.sample(x).ok());
  EXPECT_EQ(x.memory_system_available, 300 * 1024);
}

TEST(MemInfoSource, CapturedAndMissing) {
  MemInfoSource captured(resource_data("this_machine"));
  ResourceVector v;
  ASSERT_TRUE(captured.sample(v).ok());
  EXPECT_EQ(v.memory_bytes_total, 24684096 * int64_t{1024});
  EXPECT_GT(v.memory_system_available, 0);
  MemInfoSource missing(resource_data("missing"));
  ResourceVector w;
  EXPECT_FALSE(missing.sample(w).ok());
  EXPECT_EQ(w.memory_system_available, -1);
}

}  // namespace
}  // namespace braid::detail
