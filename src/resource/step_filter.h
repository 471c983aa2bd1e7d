// StepFilter: smooths one noisy channel (other processes' cores, steal) so that a real
// step — a process starting or stopping — is followed at once, while tick-quantisation
// jitter and short blips only nudge the estimate.
//
//  * |x - y| <= threshold: y += alpha * (x - y), alpha = 1 - exp(-1 / tau_periods):
//    an EWMA with time constant tau for small drifts and in-band noise.
//  * |x - y| >  threshold: a step candidate; once `confirm_samples` consecutive
//    candidates lie on the same side the estimate jumps to the latest sample (and keeps
//    jumping while candidates continue on that side); until then it holds, so with
//    confirm_samples > 1 an isolated spike is ignored entirely.
// The monitor feeds it two-interval rates with confirm_samples = 1 (see
// ResourceFilterOptions and docs/resource-monitor.md for why).
#pragma once

#include <cmath>

namespace braid::detail {

struct StepFilterParams {
  double time_constant_periods = 4.0;
  double threshold = 0.75;
  int confirm_samples = 1;
};

class StepFilter {
 public:
  explicit StepFilter(StepFilterParams params = {});

  // Feeds one sample (NaN is ignored) and returns the estimate. Not thread-safe.
  double update(double x);
  // Same, with the threshold for this sample overridden (it scales with core count).
  // Not thread-safe.
  double update(double x, double threshold);
  // The estimate (NaN before the first sample). Not thread-safe.
  double value() const noexcept { return y_; }
  // Forgets everything. Not thread-safe.
  void reset() noexcept;

  const StepFilterParams& params() const noexcept { return params_; }

 private:
  StepFilterParams params_;
  double alpha_;
  double y_ = std::nan("");
  int run_ = 0;  // signed count of consecutive step candidates (+ above, - below)
};

}  // namespace braid::detail
