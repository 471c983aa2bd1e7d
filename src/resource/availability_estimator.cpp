#include "resource/availability_estimator.h"

#include <algorithm>
#include <cmath>

namespace braid::detail {
namespace {

StepFilterParams params_from(const ResourceFilterOptions& o) {
  StepFilterParams p;
  p.time_constant_periods = o.time_constant_periods;
  p.threshold = o.step_threshold_cores;
  p.confirm_samples = o.confirm_samples;
  p.confirm_fraction = o.confirm_fraction;
  return p;
}

bool known(double x) { return !std::isnan(x); }

}  // namespace

AvailabilityEstimator::AvailabilityEstimator(const ResourceFilterOptions& options)
    : options_(options), others_(params_from(options)), steal_(params_from(options)) {}

double AvailabilityEstimator::others_threshold(double cores) const noexcept {
  return options_.step_threshold_cores * std::sqrt(std::max(cores, 2.0) / 2.0);
}

void AvailabilityEstimator::update(ResourceVector& v, double bandwidth_feedback) {
  const int allowed = v.allowed_core_count();
  const double capacity = allowed > 0 ? allowed : v.cores_total;

  if (!known(v.cores_limit) && known(capacity)) {
    v.cores_limit = known(v.cpu_quota_cores) ? std::min(capacity, v.cpu_quota_cores) : capacity;
  }

  // CPU load of other processes: smoothed total and per core.
  if (known(v.cores_used_by_others)) {
    double others = others_.update(v.cores_used_by_others, others_threshold(capacity));
    // A run-queue count that held for the confirmation samples is the others' load now:
    // it saw the step at once, while the busy-time rate of the last two intervals has
    // only seen part of it. The filter continues from it.
    if (known(v.others_runnable) && options_.run_queue_confirm_samples > 0) {
      runnable_run_ = known(last_runnable_) && std::lround(v.others_runnable) == std::lround(last_runnable_)
                          ? runnable_run_ + 1
                          : 1;
      last_runnable_ = v.others_runnable;
      if (runnable_run_ >= options_.run_queue_confirm_samples) {
        others = std::min(static_cast<double>(std::lround(v.others_runnable)), capacity);
        others_.reset_to(others);
      }
    } else {
      last_runnable_ = std::nan("");
      runnable_run_ = 0;
    }
    v.cores_used_by_others = std::max(0.0, others);
    if (per_core_.size() < static_cast<size_t>(v.core_count)) {
      per_core_.resize(static_cast<size_t>(v.core_count), StepFilter(params_from(options_)));
    }
    for (int i = 0; i < v.core_count; ++i) {
      const double smoothed = per_core_[static_cast<size_t>(i)].update(v.other_busy[static_cast<size_t>(i)]);
      v.other_busy[static_cast<size_t>(i)] = static_cast<float>(std::clamp(smoothed, 0.0, 1.0));
    }
    if (!known(v.cores_available) && known(v.cores_limit) && known(capacity)) {
      v.cores_available = std::clamp(std::min(v.cores_limit, capacity - v.cores_used_by_others), 0.0, v.cores_limit);
    }
  }
  if (known(v.steal_fraction)) {
    const double cores = known(v.cores_total) ? std::max(v.cores_total, 1.0) : 1.0;
    v.steal_fraction = std::clamp(steal_.update(v.steal_fraction, options_.step_threshold_cores / cores), 0.0, 1.0);
  }
  if (!known(v.cores_available)) v.cores_available = v.cores_limit;

  if (!known(v.compute_gflops_available) && known(v.compute_gflops_per_core) && known(v.cores_available)) {
    v.compute_gflops_available = v.compute_gflops_per_core * v.cores_available;
  }

  if (!known(v.bandwidth_gbps_available) && known(v.bandwidth_gbps_peak)) {
    double share = 1.0;
    if (known(bandwidth_feedback)) {
      share = bandwidth_feedback;
    } else if (known(v.cores_used_by_others) && known(v.cores_total) && v.cores_total > 0) {
      share = 1.0 - v.cores_used_by_others / v.cores_total;
    }
    v.bandwidth_gbps_available = v.bandwidth_gbps_peak * std::clamp(share, 0.0, 1.0);
  }

  if (v.memory_bytes_available < 0) {
    int64_t a = v.memory_system_available;
    if (v.memory_cgroup_available >= 0) a = a < 0 ? v.memory_cgroup_available : std::min(a, v.memory_cgroup_available);
    v.memory_bytes_available = a;
  }
}

}  // namespace braid::detail
