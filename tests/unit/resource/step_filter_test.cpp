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
  // Defaults (what the monitor uses): threshold 0.6, confirm 2 at half the threshold.
  const StepFilterParams defaults;
  const Case cases[] = {
      // A whole core: held at its first sample, followed at its second ...
      {"step up held", defaults, {0, 0, 1, 1}, 2, 0.0, 1e-12},
      {"step up", defaults, {0, 0, 1, 1}, 3, 1.0, 1e-12},
      {"step down", defaults, {2, 2, 1, 1}, 3, 1.0, 1e-12},
      // ... or at once when the sample before already showed half of it (a step the
      // two-interval window saw partly).
      {"primed step", defaults, {0, 0, 0.4, 1}, 3, 1.0, 1e-12},
      // A competitor leaving while 0.25 core of other load stays: 0.75 core down.
      {"residual", defaults, {1, 1, 0.6, 0.25}, 3, 0.25, 1e-12},
      // A one-tick blip (0.5 for two windows) only nudges the EWMA.
      {"blip", defaults, {0, 0, 0.5, 0.5}, 3, 0.5 * (1 - std::exp(-0.5)), 1e-9},
      // A lone outlier of a whole core (two CPUs' rounding at once) is ignored.
      {"outlier", defaults, {1, 1, 2, 1}, 2, 1.0, 1e-12},
      {"outlier after", defaults, {1, 1, 2, 1, 1}, 4, 1.0, 1e-12},
      // Rounding jitter around a level moves it by at most an EWMA step.
      {"jitter", defaults, {1, 1.5, 0.5, 1.5, 0.5, 1, 1}, 6, 1.0, 0.12},
      // Small changes go through the EWMA: tau = 4 periods -> 1 - e^-1 after 4 samples.
      {"drift", defaults, {0, 0.2, 0.2, 0.2, 0.2}, 4, 0.2 * (1 - std::exp(-1.0)), 1e-9},
      // Other settings: confirm 2 at a 0.3 threshold.
      {"confirm2 step", confirm(2), {0, 0, 0, 1, 1}, 4, 1.0, 1e-12},
      {"confirm2 not at 1st", confirm(2), {0, 0, 0, 1}, 3, 0.0, 1e-12},
      {"confirm2 spike", confirm(2), {1, 1, 3, 1, 1}, 2, 1.0, 1e-12},
      {"confirm2 alternating", confirm(2), {1, 1, 2, 0, 2, 0, 2, 0, 2, 0}, 9, 1.0, 1e-12},
      // A ramp keeps jumping while it continues on one side.
      {"confirm2 ramp", confirm(2), {0, 0, 0.2, 0.6, 1.0}, 3, 0.6, 1e-12},
      {"confirm2 ramp end", confirm(2), {0, 0, 0.2, 0.6, 1.0}, 4, 1.0, 1e-12},
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
  StepFilter f(confirm(1));
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
