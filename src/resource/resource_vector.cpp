#include <bit>

#include "braid/resource.h"

namespace braid {

const char* resource_source_kind_name(ResourceSourceKind kind) noexcept {
  switch (kind) {
    case ResourceSourceKind::kNone: return "none";
    case ResourceSourceKind::kProcStat: return "proc_stat";
    case ResourceSourceKind::kAffinity: return "affinity";
    case ResourceSourceKind::kCpuQuota: return "cpu_quota";
    case ResourceSourceKind::kMemInfo: return "meminfo";
    case ResourceSourceKind::kCgroupMemory: return "cgroup_memory";
    case ResourceSourceKind::kPsiCpu: return "psi_cpu";
    case ResourceSourceKind::kPsiMemory: return "psi_memory";
    case ResourceSourceKind::kComputeCalibration: return "compute_calibration";
    case ResourceSourceKind::kBandwidthCalibration: return "bandwidth_calibration";
    case ResourceSourceKind::kKernelFeedback: return "kernel_feedback";
    case ResourceSourceKind::kFake: return "fake";
    case ResourceSourceKind::kHost: return "host";
  }
  return "unknown";
}

int ResourceVector::allowed_core_count() const noexcept {
  int n = 0;
  for (uint64_t word : allowed_cores) n += std::popcount(word);
  return n;
}

}  // namespace braid
