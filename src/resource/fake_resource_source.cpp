#include "braid/fake_resource_source.h"

#include <algorithm>
#include <cmath>

namespace braid {
namespace {

void merge(double from, double& to) {
  if (!std::isnan(from)) to = from;
}
void merge(int64_t from, int64_t& to) {
  if (from >= 0) to = from;
}

}  // namespace

FakeResourceSource::FakeResourceSource(std::vector<Step> timeline) : timeline_(std::move(timeline)) {}

Status FakeResourceSource::sample(ResourceVector& inout) {
  calls_.fetch_add(1, std::memory_order_relaxed);
  if (timeline_.empty()) return invalid_argument("fake resource source: empty timeline");
  const size_t index = std::min(next_.load(std::memory_order_relaxed), timeline_.size() - 1);
  if (index + 1 < timeline_.size()) next_.store(index + 1, std::memory_order_relaxed);
  const Step& step = timeline_[index];
  if (!step.status.ok()) return step.status;
  const ResourceVector& v = step.vector;

  merge(v.cores_total, inout.cores_total);
  merge(v.cores_limit, inout.cores_limit);
  merge(v.cpu_quota_cores, inout.cpu_quota_cores);
  merge(v.cores_available, inout.cores_available);
  merge(v.cores_used_by_braid, inout.cores_used_by_braid);
  merge(v.cores_used_by_others, inout.cores_used_by_others);
  merge(v.steal_fraction, inout.steal_fraction);
  if (v.core_count > 0) {
    inout.core_count = v.core_count;
    inout.other_busy = v.other_busy;
    inout.allowed_cores = v.allowed_cores;
  }
  merge(v.compute_gflops_per_core, inout.compute_gflops_per_core);
  merge(v.compute_gflops_available, inout.compute_gflops_available);
  merge(v.bandwidth_gbps_peak, inout.bandwidth_gbps_peak);
  merge(v.bandwidth_gbps_available, inout.bandwidth_gbps_available);
  merge(v.memory_bytes_total, inout.memory_bytes_total);
  merge(v.memory_bytes_available, inout.memory_bytes_available);
  merge(v.memory_system_available, inout.memory_system_available);
  merge(v.memory_cgroup_limit, inout.memory_cgroup_limit);
  merge(v.memory_cgroup_usage, inout.memory_cgroup_usage);
  merge(v.memory_cgroup_available, inout.memory_cgroup_available);
  merge(v.cpu_pressure_some, inout.cpu_pressure_some);
  merge(v.cpu_pressure_full, inout.cpu_pressure_full);
  merge(v.memory_pressure_some, inout.memory_pressure_some);
  merge(v.memory_pressure_full, inout.memory_pressure_full);
  inout.live_sources |= v.live_sources;
  return Status::ok_status();
}

}  // namespace braid
