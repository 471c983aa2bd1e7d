// CgroupPaths: finds this process's cgroup directories, v1 per controller and the v2
// unified one, from /proc/self/cgroup and /proc/self/mountinfo under a root prefix.
// Handles pure v1, pure v2, the hybrid layout (v1 controllers + an empty v2 at
// /sys/fs/cgroup/unified, as on this project's build machine) and container views where
// the cgroup path is not visible below the mount.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "braid/status.h"

namespace braid::detail {

// One line of /proc/self/cgroup: "4:memory:/a/b" (v1) or "0::/a/b" (v2).
struct CgroupMembership {
  int hierarchy_id = -1;
  std::vector<std::string> controllers;  // empty for v2; "name=systemd" kept as is
  std::string path;
};

// A cgroup or cgroup2 line of /proc/self/mountinfo.
struct CgroupMount {
  std::string root;         // the cgroup path shown at the mount point ("/" usually)
  std::string mount_point;  // with \040-style escapes decoded
  bool v2 = false;
  std::vector<std::string> options;  // super options: "rw", "cpu", "cpuacct", ...
};

// Thread-safe. Lines that do not parse are errors (hostile input is reported, not guessed).
Result<std::vector<CgroupMembership>> parse_proc_self_cgroup(std::string_view text);
// Non-cgroup mounts are skipped. Thread-safe.
Result<std::vector<CgroupMount>> parse_cgroup_mounts(std::string_view mountinfo);

struct CgroupDir {
  std::string dir;    // our cgroup's directory, root prefix included
  std::string mount;  // the mount point it lives under, root prefix included
  bool found() const noexcept { return !dir.empty(); }
};

struct CgroupPaths {
  CgroupDir v2;  // the unified hierarchy (may have no controllers in a hybrid layout)
  // v1 directory for a controller ("cpu", "memory"); not found() when not mounted.
  CgroupDir v1(std::string_view controller) const;

  struct V1Entry {
    std::string controller;
    CgroupDir dir;
  };
  std::vector<V1Entry> v1_entries;
};

// Combines both files into directories under `root`. Fails only when /proc/self/cgroup
// or /proc/self/mountinfo cannot be read or parsed. Thread-safe.
Result<CgroupPaths> locate_cgroups(const std::string& root);
// Same, from file contents (for tests and for callers that already read them).
CgroupPaths resolve_cgroups(const std::string& root, const std::vector<CgroupMembership>& memberships,
                            const std::vector<CgroupMount>& mounts);

// `dir` and its parents up to and including `mount`, leaf first. Thread-safe.
std::vector<std::string> cgroup_ancestry(const std::string& dir, const std::string& mount);

}  // namespace braid::detail
