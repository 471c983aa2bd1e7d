// StepFilter: smooths one noisy channel (other processes' cores, steal) so that a real
// step — a process starting or stopping — is followed within two samples, while
// tick-quantisation jitter, a one-sample error and short blips only nudge the estimate.
//
//  * |x - y| <= threshold: y += alpha * (x - y), alpha = 1 - exp(-1 / tau_periods):
//    an EWMA with time constant tau for small drifts and in-band noise.
//  * |x - y| >  threshold: a step candidate. The estimate jumps to x when the
//    `confirm_samples` - 1 samples before it were on the same side by more than
//    `confirm_fraction` x threshold (the first half of a step that a two-interval rate
//    window only half saw qualifies); otherwise it holds, so a lone outlier is ignored.
//    While samples keep coming beyond the threshold on that side each one jumps again.
// See ResourceFilterOptions and docs/resource-monitor.md for the constants and why.
#pragma once

#include <cmath>

namespace braid::detail {

struct StepFilterParams {
  double time_constant_periods = 4.0;
  double threshold = 0.6;
  int confirm_samples = 2;
  double confirm_fraction = 0.5;
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
  // Sets the estimate to `y` (a value known from elsewhere) and drops any step candidate.
  // Not thread-safe.
  void reset_to(double y) noexcept {
    y_ = y;
    run_ = 0;
  }

  const StepFilterParams& params() const noexcept { return params_; }

 private:
  StepFilterParams params_;
  double alpha_;
  double y_ = std::nan("");
  int run_ = 0;  // signed count of consecutive step candidates (+ above, - below)
};

}  // namespace braid::detail
