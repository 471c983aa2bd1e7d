#include "resource/step_filter.h"

#include <algorithm>

namespace braid::detail {

StepFilter::StepFilter(StepFilterParams params) : params_(params) {
  params_.time_constant_periods = std::max(params_.time_constant_periods, 1e-3);
  params_.confirm_samples = std::max(params_.confirm_samples, 1);
  params_.threshold = std::max(params_.threshold, 0.0);
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
  if (std::fabs(d) <= threshold) {
    run_ = 0;
    y_ += alpha_ * d;
    return y_;
  }
  const int side = d > 0 ? 1 : -1;
  run_ = (run_ * side > 0) ? run_ + side : side;
  if (run_ * side >= params_.confirm_samples) y_ = x;
  return y_;
}

}  // namespace braid::detail
