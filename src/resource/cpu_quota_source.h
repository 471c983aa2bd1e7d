// CpuQuotaSource: how many CPUs Braid may use at most — the online CPUs, the process
// affinity mask (sched_getaffinity, which also reflects cpusets) and the cgroup CPU
// quota (v2 cpu.max, v1 cpu.cfs_quota_us / cpu.cfs_period_us), the tightest along the
// cgroup's ancestry. These change rarely, so files are re-read every
// `refresh_every_samples` samples and the cached result is written in between.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "braid/resource.h"
#include "resource/report_once.h"

namespace braid::detail {

// cpu.max: "max 100000" -> +inf, "150000 100000" -> 1.5 cores. Rejects garbage, zero or
// negative quota or period. Thread-safe.
Result<double> parse_cgroup_v2_cpu_max(std::string_view text);
// cpu.cfs_quota_us and cpu.cfs_period_us: quota -1 -> +inf, else quota / period cores.
// Rejects garbage, zero or negative periods and negative quotas other than -1.
// Thread-safe.
Result<double> parse_cgroup_v1_cpu_quota(std::string_view quota_text, std::string_view period_text);

struct CpuQuotaSourceOptions {
  std::string root;  // prefix for /proc and /sys paths
  int refresh_every_samples = 100;
  // CPU ids this process may run on; default sched_getaffinity of the process.
  std::function<Result<std::vector<int>>()> affinity;
};

// The result of one refresh; exposed for tests.
struct CpuLimits {
  std::vector<int> online;   // CPU ids online (from /sys/devices/system/cpu/online)
  std::vector<int> allowed;  // affinity mask intersected with the online CPUs
  double quota_cores = 0;    // +inf when unlimited
  bool quota_found = false;  // a cgroup cpu controller file was read
};

class CpuQuotaSource final : public ResourceSource {
 public:
  explicit CpuQuotaSource(CpuQuotaSourceOptions options = {});

  // Writes cores_total, cpu_quota_cores, cores_limit and the allowed mask; sets kAffinity
  // and, when a cgroup CPU controller was found, kCpuQuota. Not thread-safe.
  Status sample(ResourceVector& inout) override;
  const char* name() const override { return "cpu_quota"; }
  ResourceSourceKind kind() const override { return ResourceSourceKind::kAffinity; }

  // Reads everything now (what sample() does every refresh_every_samples). Not thread-safe.
  Result<CpuLimits> refresh();

 private:
  CpuQuotaSourceOptions options_;
  ReportOnce reports_;
  CpuLimits limits_;
  std::array<uint64_t, kMaxResourceCores / 64> allowed_mask_{};  // limits_.allowed as bits
  bool have_limits_ = false;
  int samples_since_refresh_ = 0;
};

}  // namespace braid::detail
