#include "resource/cgroup_memory_source.h"

#include <algorithm>
#include <iterator>

#include "resource/cgroup_paths.h"
#include "resource/text_scan.h"

namespace braid::detail {
namespace {

// v1 prints PAGE_COUNTER_MAX * page size for "no limit"; anything this large is none.
constexpr int64_t kV1Unlimited = int64_t{1} << 62;

// Returns -1 (unlimited) when the file is missing: the root cgroup has no limit files.
int64_t read_limit_or_unlimited(const std::string& path, ReportOnce& reports) {
  auto text = read_whole_file(path);
  if (!text.ok()) return -1;
  auto v = parse_cgroup_memory_value(*text);
  if (!v.ok()) {
    reports.failed("cgroup memory limit " + path, v.status());
    return -1;
  }
  return *v;
}

int64_t read_reclaimable(const std::string& dir, bool v2) {
  auto text = read_whole_file(dir + "/memory.stat");
  if (!text.ok()) return 0;
  // v1's total_* fields include the descendants, like v2's plain ones.
  static constexpr std::string_view kV2Keys[] = {"inactive_file"};
  static constexpr std::string_view kV1Keys[] = {"total_inactive_file", "inactive_file"};
  const std::string_view* begin = v2 ? std::begin(kV2Keys) : std::begin(kV1Keys);
  const std::string_view* end = v2 ? std::end(kV2Keys) : std::end(kV1Keys);
  for (const std::string_view* key = begin; key != end; ++key) {
    auto v = parse_memory_stat_field(*text, *key);
    if (v.ok() && *v >= 0) return *v;
  }
  return 0;
}

int64_t min_limit(int64_t a, int64_t b) {
  if (a < 0) return b;
  if (b < 0) return a;
  return std::min(a, b);
}

}  // namespace

Result<int64_t> parse_cgroup_memory_value(std::string_view text) {
  const std::string_view t = trim(text);
  if (t == "max") return int64_t{-1};
  auto v = parse_int64(t);
  if (!v || *v < 0) return invalid_argument("cgroup memory value: expected bytes or 'max', got '" + std::string(t) + "'");
  if (*v >= kV1Unlimited) return int64_t{-1};
  return *v;
}

Result<int64_t> parse_memory_stat_field(std::string_view text, std::string_view key) {
  std::string_view line;
  while (next_line(text, line)) {
    std::string_view rest = line;
    if (next_token(rest) != key) continue;
    auto v = parse_int64(next_token(rest));
    if (!v || *v < 0 || !next_token(rest).empty())
      return invalid_argument("memory.stat: bad line '" + std::string(line) + "'");
    return *v;
  }
  return int64_t{-1};
}

CgroupMemorySource::CgroupMemorySource(CgroupMemorySourceOptions options) : options_(std::move(options)) {
  options_.refresh_every_samples = std::max(1, options_.refresh_every_samples);
}

Status CgroupMemorySource::refresh() {
  BRAID_ASSIGN_OR_RETURN(CgroupPaths paths, locate_cgroups(options_.root));
  // v2 has memory.current only where the memory controller is enabled; in a hybrid
  // layout the memory controller lives in v1.
  CgroupDir dir;
  bool v2 = false;
  if (paths.v2.found() && path_exists(paths.v2.dir + "/memory.current")) {
    dir = paths.v2;
    v2 = true;
  } else if (CgroupDir d1 = paths.v1("memory"); d1.found() && path_exists(d1.dir + "/memory.usage_in_bytes")) {
    dir = d1;
  } else {
    version_.clear();
    return invalid_argument("no memory cgroup (neither v2 memory.current nor v1 memory.usage_in_bytes)");
  }
  version_ = v2 ? "v2" : "v1";
  const char* usage_file = v2 ? "/memory.current" : "/memory.usage_in_bytes";
  if (leaf_usage_.path() != dir.dir + usage_file) leaf_usage_ = TextFile(dir.dir + usage_file);

  levels_.clear();
  for (const std::string& d : cgroup_ancestry(dir.dir, dir.mount)) {
    int64_t limit = v2 ? min_limit(read_limit_or_unlimited(d + "/memory.max", reports_),
                                   read_limit_or_unlimited(d + "/memory.high", reports_))
                       : read_limit_or_unlimited(d + "/memory.limit_in_bytes", reports_);
    if (limit < 0) continue;
    Level level;
    level.dir = d;
    level.limit = limit;
    level.reclaimable = read_reclaimable(d, v2);
    level.usage = TextFile(d + usage_file);
    levels_.push_back(std::move(level));
  }
  return Status::ok_status();
}

Status CgroupMemorySource::sample(ResourceVector& inout) {
  bool read_usage = !have_usage_ || ++samples_since_usage_ >= options_.usage_every_samples;
  if (!have_layout_ || ++samples_since_refresh_ >= options_.refresh_every_samples) {
    samples_since_refresh_ = 0;
    Status s = refresh();
    have_layout_ = s.ok();
    if (!s.ok()) {
      have_usage_ = false;
      return s;
    }
    read_usage = true;
  }
  if (read_usage) {
    samples_since_usage_ = 0;
    have_usage_ = false;
    BRAID_ASSIGN_OR_RETURN(std::string_view leaf_text, leaf_usage_.read());
    BRAID_ASSIGN_OR_RETURN(int64_t leaf_usage, parse_cgroup_memory_value(leaf_text));
    if (leaf_usage < 0) return invalid_argument("cgroup memory usage: 'max' is not a usage");
    usage_ = leaf_usage;
    limit_ = -1;
    available_ = -1;
    for (Level& level : levels_) {
      auto text = level.usage.read();
      if (!text.ok()) {
        reports_.failed("cgroup memory usage " + level.usage.path(), text.status());
        continue;
      }
      auto usage = parse_cgroup_memory_value(*text);
      if (!usage.ok() || *usage < 0) {
        reports_.failed("cgroup memory usage " + level.usage.path(),
                        usage.ok() ? invalid_argument("'max' is not a usage") : usage.status());
        continue;
      }
      const int64_t available = std::clamp(level.limit - *usage + level.reclaimable, int64_t{0}, level.limit);
      if (available_ < 0 || available < available_) {
        available_ = available;
        limit_ = level.limit;
        usage_ = *usage;
      }
    }
    have_usage_ = true;
  }
  inout.memory_cgroup_usage = usage_;
  inout.memory_cgroup_limit = limit_;
  inout.memory_cgroup_available = available_;
  return Status::ok_status();
}

}  // namespace braid::detail
