#include "resource/step_filter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace braid::detail {
namespace {

std::vector<double> run(StepFilter& f, const std::vector<double>& xs) {
  std::vector<double> ys;
  for (double x : xs) ys.push_back(f.update(x));
  return ys;
}

TEST(StepFilter, FirstSampleInitialises) {
  StepFilter f;
  EXPECT_TRUE(std::isnan(f.value()));
  EXPECT_EQ(f.update(1.25), 1.25);
  EXPECT_EQ(f.update(std::nan("")), 1.25);  // NaN is ignored
}

StepFilterParams confirm(int n, double threshold = 0.3) {
  StepFilterParams p;
  p.confirm_samples = n;
  p.threshold = threshold;
  return p;
}

TEST(StepFilter, TableOfInputSequences) {
  struct Case {
    const char* name;
    StepFilterParams params;
    std::vector<double> in;
    size_t check_at;  // index of the output to check
    double expect;
    double tolerance;
  };
  const StepFilterParams defaults;  // threshold 0.75, confirm 1: what the monitor uses
  const Case cases[] = {
      // Defaults: a step of a whole core is followed at its first sample ...
      {"step up", defaults, {0, 0, 1, 1}, 2, 1.0, 1e-12},
      {"step down", defaults, {2, 2, 1, 1}, 2, 1.0, 1e-12},
      // ... a half-core blip (one tick in a two-interval window) only nudges the EWMA ...
      {"blip", defaults, {0, 0, 0.5, 0.5, 0}, 3, 0.5 * (1 - std::exp(-0.5)), 1e-9},
      // ... and tick jitter around a level never moves it by more than the EWMA step.
      {"jitter", defaults, {1, 1.5, 0.5, 1.5, 0.5, 1, 1}, 6, 1.0, 0.12},
      // confirm_samples = 2: a step is followed at its 2nd sample, a spike is ignored.
      {"confirm2 step", confirm(2), {0, 0, 0, 1, 1}, 4, 1.0, 1e-12},
      {"confirm2 not at 1st", confirm(2), {0, 0, 0, 1}, 3, 0.0, 1e-12},
      {"confirm2 spike", confirm(2), {1, 1, 3, 1, 1}, 2, 1.0, 1e-12},
      {"confirm2 spike after", confirm(2), {1, 1, 3, 1, 1}, 4, 1.0, 1e-12},
      {"confirm2 alternating", confirm(2), {1, 1, 2, 0, 2, 0, 2, 0, 2, 0}, 9, 1.0, 1e-12},
      // A step the rate window only half saw: jump to 0.5, then keep following to 1.
      {"confirm2 ramp", confirm(2), {0, 0, 0.5, 1.0, 1.0}, 3, 1.0, 1e-12},
      {"confirm2 ramp 2", confirm(2), {0, 0, 0.2, 0.6, 1.0}, 4, 1.0, 1e-12},
      // Small changes go through the EWMA: tau = 4 periods -> 1 - e^-1 after 4 samples.
      {"drift", defaults, {0, 0.2, 0.2, 0.2, 0.2}, 4, 0.2 * (1 - std::exp(-1.0)), 1e-9},
  };
  for (const Case& c : cases) {
    StepFilter f(c.params);
    std::vector<double> ys = run(f, c.in);
    EXPECT_NEAR(ys[c.check_at], c.expect, c.tolerance) << c.name;
  }
}

TEST(StepFilter, ConfirmSamplesIsConfigurable) {
  StepFilterParams p = confirm(3);
  StepFilter f(p);
  std::vector<double> ys = run(f, {0, 1, 1, 1});
  EXPECT_EQ(ys[2], 0.0);
  EXPECT_EQ(ys[3], 1.0);
  p.confirm_samples = 1;
  StepFilter g(p);
  EXPECT_EQ(run(g, {0, 1})[1], 1.0);
}

TEST(StepFilter, ThresholdOverridePerSample) {
  StepFilter f;
  f.update(0);
  f.update(0.5, 1.0);  // within a 1.0 threshold: EWMA, not a step candidate
  EXPECT_LT(f.value(), 0.5);
  f.update(2.0, 1.0);  // beyond it: a step
  EXPECT_EQ(f.value(), 2.0);
  f.update(2.5, 0.25);
  EXPECT_EQ(f.value(), 2.5);
}

TEST(StepFilter, GaussianNoiseBelowThresholdDoesNotFlap) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(1.0, 0.15);
  StepFilter f;
  double lo = 10, hi = -10;
  for (int i = 0; i < 5000; ++i) {
    const double y = f.update(noise(rng));
    if (i > 20) {
      lo = std::min(lo, y);
      hi = std::max(hi, y);
    }
  }
  EXPECT_GT(lo, 0.7);
  EXPECT_LT(hi, 1.3);
}

TEST(StepFilter, ResetForgets) {
  StepFilter f;
  f.update(3);
  f.reset();
  EXPECT_TRUE(std::isnan(f.value()));
  EXPECT_EQ(f.update(1), 1.0);
}

}  // namespace
}  // namespace braid::detail
