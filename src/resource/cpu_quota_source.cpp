#include "resource/cpu_quota_source.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "resource/cgroup_paths.h"
#include "resource/text_file.h"
#include "resource/text_scan.h"

namespace braid::detail {
namespace {

constexpr double kUnlimited = std::numeric_limits<double>::infinity();

Result<std::vector<int>> process_affinity() {
  // The process's (main thread's) mask: the sampler thread may have been pinned.
  for (size_t cpus = 1024; cpus <= (1u << 20); cpus *= 4) {
    cpu_set_t* set = CPU_ALLOC(cpus);
    if (set == nullptr) return out_of_memory("sched_getaffinity: cannot allocate a cpu set");
    const size_t bytes = CPU_ALLOC_SIZE(cpus);
    CPU_ZERO_S(bytes, set);
    if (::sched_getaffinity(::getpid(), bytes, set) == 0) {
      std::vector<int> ids;
      for (size_t c = 0; c < cpus; ++c) {
        if (CPU_ISSET_S(c, bytes, set)) ids.push_back(static_cast<int>(c));
      }
      CPU_FREE(set);
      return ids;
    }
    const int err = errno;
    CPU_FREE(set);
    if (err != EINVAL) return invalid_argument("sched_getaffinity failed");
  }
  return invalid_argument("sched_getaffinity: mask too large");
}

// Quota of one cgroup directory, in cores.
Result<double> read_v2_quota(const std::string& dir) {
  BRAID_ASSIGN_OR_RETURN(std::string text, read_whole_file(dir + "/cpu.max"));
  return parse_cgroup_v2_cpu_max(text);
}

Result<double> read_v1_quota(const std::string& dir) {
  BRAID_ASSIGN_OR_RETURN(std::string quota, read_whole_file(dir + "/cpu.cfs_quota_us"));
  BRAID_ASSIGN_OR_RETURN(std::string period, read_whole_file(dir + "/cpu.cfs_period_us"));
  return parse_cgroup_v1_cpu_quota(quota, period);
}

}  // namespace

Result<double> parse_cgroup_v2_cpu_max(std::string_view text) {
  std::string_view rest = trim(text);
  const std::string_view quota = next_token(rest);
  const std::string_view period = next_token(rest);
  if (quota.empty() || !next_token(rest).empty())
    return invalid_argument("cpu.max: expected '<quota|max> [period]', got '" + std::string(trim(text)) + "'");
  // The period is optional on write but always printed; default 100000 like the kernel.
  int64_t period_us = 100000;
  if (!period.empty()) {
    auto p = parse_int64(period);
    if (!p || *p <= 0) return invalid_argument("cpu.max: bad period '" + std::string(period) + "'");
    period_us = *p;
  }
  if (quota == "max") return kUnlimited;
  auto q = parse_int64(quota);
  if (!q || *q <= 0) return invalid_argument("cpu.max: bad quota '" + std::string(quota) + "'");
  return static_cast<double>(*q) / static_cast<double>(period_us);
}

Result<double> parse_cgroup_v1_cpu_quota(std::string_view quota_text, std::string_view period_text) {
  auto q = parse_int64(trim(quota_text));
  auto p = parse_int64(trim(period_text));
  if (!p || *p <= 0)
    return invalid_argument("cpu.cfs_period_us: bad period '" + std::string(trim(period_text)) + "'");
  if (!q || (*q <= 0 && *q != -1))
    return invalid_argument("cpu.cfs_quota_us: bad quota '" + std::string(trim(quota_text)) + "'");
  if (*q == -1) return kUnlimited;
  return static_cast<double>(*q) / static_cast<double>(*p);
}

CpuQuotaSource::CpuQuotaSource(CpuQuotaSourceOptions options) : options_(std::move(options)) {
  options_.refresh_every_samples = std::max(1, options_.refresh_every_samples);
  if (!options_.affinity) options_.affinity = process_affinity;
}

Result<CpuLimits> CpuQuotaSource::refresh() {
  CpuLimits limits;
  limits.quota_cores = kUnlimited;

  // Online CPUs; without the file, whatever the affinity says.
  auto online_text = read_whole_file(rooted_path(options_.root, "/sys/devices/system/cpu/online"));
  if (online_text.ok()) {
    auto ids = parse_cpu_list(*online_text);
    if (ids && !ids->empty()) {
      limits.online = std::move(*ids);
      reports_.recovered("online cpu list");
    } else {
      reports_.failed("online cpu list", invalid_argument("bad /sys/devices/system/cpu/online '" +
                                                         std::string(trim(*online_text)) + "'"));
    }
  } else {
    reports_.failed("online cpu list", online_text.status());
  }

  auto affinity = options_.affinity();
  if (affinity.ok() && !affinity->empty()) {
    for (int id : *affinity) {
      if (limits.online.empty() || std::binary_search(limits.online.begin(), limits.online.end(), id))
        limits.allowed.push_back(id);
    }
  }
  if (limits.online.empty()) limits.online = limits.allowed;
  if (limits.allowed.empty()) limits.allowed = limits.online;  // never an empty mask
  if (limits.online.empty()) {
    return affinity.ok() ? invalid_argument("neither online CPUs nor an affinity mask are known")
                         : affinity.status();
  }

  // Quota: the tightest along the ancestry, in both hierarchies (in a hybrid layout the
  // cpu controller is in one of them only; reading both is harmless).
  auto paths = locate_cgroups(options_.root);
  Status last_error = invalid_argument("no cgroup cpu controller found");
  if (paths.ok()) {
    auto visit = [&](const CgroupDir& d, Result<double> (*read)(const std::string&)) {
      if (!d.found()) return;
      for (const std::string& dir : cgroup_ancestry(d.dir, d.mount)) {
        Result<double> q = read(dir);
        if (q.ok()) {
          limits.quota_found = true;
          limits.quota_cores = std::min(limits.quota_cores, *q);
        } else if (path_exists(dir + "/cpu.max") || path_exists(dir + "/cpu.cfs_quota_us")) {
          // Present but hostile: report it and keep what the other levels say.
          reports_.failed("cgroup cpu quota in " + dir, q.status());
          last_error = q.status();
        }
      }
    };
    visit(paths->v2, read_v2_quota);
    visit(paths->v1("cpu"), read_v1_quota);
  } else {
    last_error = paths.status();
  }
  if (limits.quota_found) {
    reports_.recovered("cgroup cpu quota");
  } else {
    reports_.failed("cgroup cpu quota", last_error);
  }
  return limits;
}

Status CpuQuotaSource::sample(ResourceVector& inout) {
  if (!have_limits_ || ++samples_since_refresh_ >= options_.refresh_every_samples) {
    samples_since_refresh_ = 0;
    Result<CpuLimits> limits = refresh();
    if (limits.ok()) {
      limits_ = std::move(*limits);
      ResourceVector scratch;
      for (int id : limits_.allowed) scratch.set_core_allowed(id, true);
      allowed_mask_ = scratch.allowed_cores;
      have_limits_ = true;
    } else if (!have_limits_) {
      return limits.status();
    }
  }
  inout.cores_total = static_cast<double>(limits_.online.size());
  inout.allowed_cores = allowed_mask_;
  inout.cpu_quota_cores = limits_.quota_cores;
  inout.cores_limit = std::min(static_cast<double>(limits_.allowed.size()), limits_.quota_cores);
  inout.set_live(ResourceSourceKind::kAffinity);
  if (limits_.quota_found) inout.set_live(ResourceSourceKind::kCpuQuota);
  return Status::ok_status();
}

}  // namespace braid::detail
