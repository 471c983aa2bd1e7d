// AvailabilityEstimator: turns the raw fields the sources wrote into what Braid may use.
// It smooths the noisy CPU channels (StepFilter) and derives every availability field no
// source set itself, so a FakeResourceSource that scripts cores_available directly gets
// exactly what it scripted, while one that scripts raw per-core load goes through the
// same filter as /proc/stat.
//
//   cores_limit              = min(allowed CPUs, cgroup quota)
//   cores_available          = clamp(min(cores_limit, allowed - others_smoothed), 0, limit)
//                              (others_smoothed = the run-queue count once it is stable)
//   compute_gflops_available = gflops_per_core x cores_available
//   bandwidth_gbps_available = peak x (kernel feedback ratio when fresh,
//                                      else 1 - others / cores_total)
//   memory_bytes_available   = min(MemAvailable, cgroup limit - usage + reclaimable)
#pragma once

#include <cmath>
#include <vector>

#include "braid/resource.h"
#include "resource/step_filter.h"

namespace braid::detail {

class AvailabilityEstimator {
 public:
  explicit AvailabilityEstimator(const ResourceFilterOptions& options = {});

  // Smooths `v`'s raw CPU channels in place and fills the derived fields that are still
  // unknown. `bandwidth_feedback` is Braid's kernels' achieved / predicted bandwidth
  // ratio, NaN when there is no fresh feedback. Not thread-safe.
  void update(ResourceVector& v, double bandwidth_feedback);

  // Step threshold for the total of other processes' load over `cores` CPUs: the tick
  // noise of independent CPUs adds up like sqrt(cores), so above 2 CPUs it grows as
  // sqrt(cores / 2). Thread-safe.
  double others_threshold(double cores) const noexcept;

 private:
  ResourceFilterOptions options_;
  StepFilter others_;
  double last_runnable_ = std::nan("");  // the previous sample's others_runnable
  int runnable_run_ = 0;                 // consecutive samples with that same count
  StepFilter steal_;
  std::vector<StepFilter> per_core_;
};

}  // namespace braid::detail
