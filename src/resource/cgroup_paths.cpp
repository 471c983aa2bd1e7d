#include "resource/cgroup_paths.h"

#include <algorithm>

#include "resource/text_file.h"
#include "resource/text_scan.h"

namespace braid::detail {
namespace {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const size_t i = s.find(sep);
    out.emplace_back(s.substr(0, i));
    if (i == std::string_view::npos) break;
    s.remove_prefix(i + 1);
  }
  return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' &&
        s[i + 3] <= '7') {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string strip_trailing_slashes(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// Directory of cgroup `path` under `mount` (whose own cgroup path is mount.root).
std::string cgroup_dir(const std::string& root, const CgroupMount& mount, const std::string& path) {
  const std::string mount_dir = strip_trailing_slashes(rooted_path(root, mount.mount_point));
  std::string relative;
  const std::string mroot = strip_trailing_slashes(mount.root);
  if (mroot == "/") {
    relative = path;
  } else if (path.compare(0, mroot.size(), mroot) == 0 && (path.size() == mroot.size() || path[mroot.size()] == '/')) {
    relative = path.substr(mroot.size());
  } else {
    return mount_dir;  // our cgroup is outside what this mount shows (a container view)
  }
  if (relative.empty() || relative == "/") return mount_dir;
  if (relative.find("/..") != std::string::npos) return mount_dir;  // never escape the mount
  std::string dir = strip_trailing_slashes(mount_dir + relative);
  // A cgroup namespace can show a path the mount does not have: use the mount itself.
  return path_exists(dir) ? dir : mount_dir;
}

}  // namespace

Result<std::vector<CgroupMembership>> parse_proc_self_cgroup(std::string_view text) {
  std::vector<CgroupMembership> out;
  std::string_view line;
  while (next_line(text, line)) {
    line = trim(line);
    if (line.empty()) continue;
    const size_t c1 = line.find(':');
    const size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) return invalid_argument("/proc/self/cgroup: bad line '" + std::string(line) + "'");
    auto id = parse_int64(line.substr(0, c1));
    const std::string_view path = line.substr(c2 + 1);
    if (!id || *id < 0 || path.empty() || path.front() != '/')
      return invalid_argument("/proc/self/cgroup: bad line '" + std::string(line) + "'");
    CgroupMembership m;
    m.hierarchy_id = static_cast<int>(*id);
    const std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
    if (!controllers.empty()) m.controllers = split(controllers, ',');
    m.path = std::string(path);
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<CgroupMount>> parse_cgroup_mounts(std::string_view mountinfo) {
  std::vector<CgroupMount> out;
  std::string_view line;
  while (next_line(mountinfo, line)) {
    if (trim(line).empty()) continue;
    const size_t dash = line.find(" - ");
    if (dash == std::string_view::npos) return invalid_argument("mountinfo: no separator in '" + std::string(line) + "'");
    std::string_view head = line.substr(0, dash);
    std::string_view tail = line.substr(dash + 3);
    const std::string_view fs_type = next_token(tail);
    if (fs_type != "cgroup" && fs_type != "cgroup2") continue;
    std::string_view fields[5];
    for (auto& f : fields) f = next_token(head);
    if (fields[4].empty()) return invalid_argument("mountinfo: truncated line '" + std::string(line) + "'");
    next_token(tail);  // mount source
    CgroupMount m;
    m.root = unescape_octal(fields[3]);
    m.mount_point = unescape_octal(fields[4]);
    m.v2 = fs_type == "cgroup2";
    m.options = split(next_token(tail), ',');
    out.push_back(std::move(m));
  }
  return out;
}

CgroupDir CgroupPaths::v1(std::string_view controller) const {
  for (const V1Entry& e : v1_entries) {
    if (e.controller == controller) return e.dir;
  }
  return {};
}

CgroupPaths resolve_cgroups(const std::string& root, const std::vector<CgroupMembership>& memberships,
                            const std::vector<CgroupMount>& mounts) {
  CgroupPaths out;
  for (const CgroupMembership& m : memberships) {
    if (m.hierarchy_id == 0 && m.controllers.empty()) {
      for (const CgroupMount& mount : mounts) {
        if (!mount.v2) continue;
        out.v2.dir = cgroup_dir(root, mount, m.path);
        out.v2.mount = strip_trailing_slashes(rooted_path(root, mount.mount_point));
        break;
      }
      continue;
    }
    for (const std::string& controller : m.controllers) {
      for (const CgroupMount& mount : mounts) {
        if (mount.v2 || std::find(mount.options.begin(), mount.options.end(), controller) == mount.options.end())
          continue;
        CgroupPaths::V1Entry e;
        e.controller = controller;
        e.dir.dir = cgroup_dir(root, mount, m.path);
        e.dir.mount = strip_trailing_slashes(rooted_path(root, mount.mount_point));
        out.v1_entries.push_back(std::move(e));
        break;
      }
    }
  }
  return out;
}

Result<CgroupPaths> locate_cgroups(const std::string& root) {
  BRAID_ASSIGN_OR_RETURN(std::string cgroup_text, read_whole_file(rooted_path(root, "/proc/self/cgroup")));
  BRAID_ASSIGN_OR_RETURN(std::string mountinfo_text, read_whole_file(rooted_path(root, "/proc/self/mountinfo")));
  BRAID_ASSIGN_OR_RETURN(auto memberships, parse_proc_self_cgroup(cgroup_text));
  BRAID_ASSIGN_OR_RETURN(auto mounts, parse_cgroup_mounts(mountinfo_text));
  return resolve_cgroups(root, memberships, mounts);
}

std::vector<std::string> cgroup_ancestry(const std::string& dir, const std::string& mount) {
  std::vector<std::string> out;
  std::string d = strip_trailing_slashes(dir);
  const std::string m = strip_trailing_slashes(mount);
  if (d.compare(0, m.size(), m) != 0) return {d};
  for (;;) {
    out.push_back(d);
    if (d.size() <= m.size()) break;
    const size_t slash = d.rfind('/');
    if (slash == std::string::npos || slash < m.size()) break;
    d.resize(slash);
  }
  return out;
}

}  // namespace braid::detail
