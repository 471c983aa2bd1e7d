#include "resource/cgroup_paths.h"

#include <gtest/gtest.h>

#include "resource_test_util.h"

namespace braid::detail {
namespace {

using testing::resource_data;

TEST(CgroupPaths, ParsesProcSelfCgroupTableDriven) {
  struct Case {
    const char* text;
    bool ok;
    size_t lines;
  };
  const Case cases[] = {
      {"0::/\n", true, 1},
      {"4:memory:/a/b\n1:cpu,cpuacct:/\n0::/\n", true, 3},
      {"9:name=systemd:/\n", true, 1},
      {"", true, 0},
      {"garbage\n", false, 0},
      {"x::/\n", false, 0},
      {"4:memory:relative\n", false, 0},
      {"4:memory\n", false, 0},
  };
  for (const Case& c : cases) {
    auto r = parse_proc_self_cgroup(c.text);
    EXPECT_EQ(r.ok(), c.ok) << c.text;
    if (c.ok && r.ok()) { EXPECT_EQ(r->size(), c.lines) << c.text; }
  }
  auto r = parse_proc_self_cgroup("1:cpu,cpuacct:/x\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ((*r)[0].path, "/x");
}

TEST(CgroupPaths, ParsesMountinfoWithOptionalFieldsAndEscapes) {
  auto r = parse_cgroup_mounts(
      "22 1 0:21 / /proc rw - proc proc rw\n"
      "30 23 0:26 / /sys/fs/cgroup rw,nosuid shared:4 master:1 - cgroup2 cgroup2 rw,nsdelegate\n"
      "32 31 0:29 /docker /sys/fs/cgroup/cpu\\054cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE((*r)[0].v2);
  EXPECT_EQ((*r)[0].mount_point, "/sys/fs/cgroup");
  EXPECT_FALSE((*r)[1].v2);
  EXPECT_EQ((*r)[1].root, "/docker");
  EXPECT_EQ((*r)[1].mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_FALSE(parse_cgroup_mounts("no separator here\n").ok());
  EXPECT_FALSE(parse_cgroup_mounts("1 2 - cgroup2 cgroup2 rw\n").ok());  // truncated head
}

TEST(CgroupPaths, LocatesTheCapturedHybridLayoutOfThisMachine) {
  const std::string root = resource_data("this_machine");
  auto p = locate_cgroups(root);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->v2.dir, root + "/sys/fs/cgroup/unified");
  EXPECT_EQ(p->v1("cpu").dir, root + "/sys/fs/cgroup/cpu");
  EXPECT_EQ(p->v1("memory").dir, root + "/sys/fs/cgroup/memory/process_api/c6e30f7c849307faec4c9039a39023ca");
  EXPECT_EQ(p->v1("memory").mount, root + "/sys/fs/cgroup/memory");
  EXPECT_FALSE(p->v1("hugetlb").found());
}

TEST(CgroupPaths, LocatesPureV1AndV2AndNamespacedTrees) {
  struct Case {
    const char* tree;
    const char* v2_dir;      // relative to the tree, "" = not found
    const char* v1_cpu_dir;  // relative to the tree, "" = not found
  };
  const Case cases[] = {
      {"v2_limited", "/sys/fs/cgroup/system.slice/braid.service", ""},
      {"v2_nested", "/sys/fs/cgroup/kubepods.slice/pod1/braid", ""},
      {"v1_limited", "", "/sys/fs/cgroup/cpu,cpuacct/docker/abc123"},
      {"mixed_v1_v2", "/sys/fs/cgroup/unified/batch/job7", "/sys/fs/cgroup/cpu/batch/job7"},
      {"container_ns", "/sys/fs/cgroup", ""},
  };
  for (const Case& c : cases) {
    const std::string root = resource_data(c.tree);
    auto p = locate_cgroups(root);
    ASSERT_TRUE(p.ok()) << c.tree << ": " << p.status().to_string();
    EXPECT_EQ(p->v2.dir, *c.v2_dir ? root + c.v2_dir : "") << c.tree;
    EXPECT_EQ(p->v1("cpu").dir, *c.v1_cpu_dir ? root + c.v1_cpu_dir : "") << c.tree;
  }
}

TEST(CgroupPaths, MissingOrTruncatedFilesAreErrorsNotCrashes) {
  EXPECT_FALSE(locate_cgroups(resource_data("missing")).ok());
  // hostile_truncated: mountinfo's last line is cut; the cgroup file's last line too.
  auto p = locate_cgroups(resource_data("hostile_truncated"));
  EXPECT_FALSE(p.ok());
}

TEST(CgroupPaths, AncestryWalksUpToTheMount) {
  EXPECT_EQ(cgroup_ancestry("/r/sys/fs/cgroup/a/b", "/r/sys/fs/cgroup"),
            (std::vector<std::string>{"/r/sys/fs/cgroup/a/b", "/r/sys/fs/cgroup/a", "/r/sys/fs/cgroup"}));
  EXPECT_EQ(cgroup_ancestry("/m", "/m"), (std::vector<std::string>{"/m"}));
  EXPECT_EQ(cgroup_ancestry("/elsewhere", "/m"), (std::vector<std::string>{"/elsewhere"}));
}

}  // namespace
}  // namespace braid::detail
