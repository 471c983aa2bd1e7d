#include "resource/step_filter.h"

#include <algorithm>

namespace braid::detail {

StepFilter::StepFilter(StepFilterParams params) : params_(params) {
  params_.time_constant_periods = std::max(params_.time_constant_periods, 1e-3);
  params_.confirm_samples = std::max(params_.confirm_samples, 1);
  params_.threshold = std::max(params_.threshold, 0.0);
  params_.confirm_fraction = std::clamp(params_.confirm_fraction, 0.0, 1.0);
  alpha_ = 1.0 - std::exp(-1.0 / params_.time_constant_periods);
}

void StepFilter::reset() noexcept {
  y_ = std::nan("");
  run_ = 0;
}

double StepFilter::update(double x) { return update(x, params_.threshold); }

double StepFilter::update(double x, double threshold) {
  if (std::isnan(x)) return y_;
  if (std::isnan(y_)) {
    y_ = x;
    run_ = 0;
    return y_;
  }
  const double d = x - y_;
  const double a = std::fabs(d);
  const int side = d > 0 ? 1 : -1;
  // The run counts consecutive samples on one side beyond the confirmation level.
  if (a > threshold * params_.confirm_fraction) {
    run_ = (run_ * side > 0) ? run_ + side : side;
  } else {
    run_ = 0;
  }
  if (a <= threshold) {
    y_ += alpha_ * d;  // in band: EWMA
  } else if (run_ * side >= params_.confirm_samples) {
    y_ = x;  // a confirmed step (and every further sample beyond it on that side)
  }              // else: an unconfirmed candidate, held
  return y_;
}

}  // namespace braid::detail
