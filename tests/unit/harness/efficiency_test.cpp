// braid-bench's efficiencies (efficiency.h): achieved rates as shares of the calibrated
// ceilings, and what is unknown stays unknown.
#include "efficiency.h"

#include <gtest/gtest.h>

using namespace braid;
using namespace braid::bench;

TEST(Efficiency, SharesOfTheCalibratedCeilings) {
  ResourceCalibration cal;
  cal.gflops_per_core = 190;
  cal.bandwidth_gbps = 25;
  const Ceilings c = ceilings_of(cal, 2);
  EXPECT_DOUBLE_EQ(c.peak_gflops(), 380);
  const Efficiency e = efficiency({3.8e9, 5e8}, 10.0, c);  // 10 requests/s
  EXPECT_DOUBLE_EQ(e.gflops_per_s, 38);
  EXPECT_DOUBLE_EQ(e.fma_share, 0.1);
  EXPECT_DOUBLE_EQ(e.gbytes_per_s, 5);
  EXPECT_DOUBLE_EQ(e.bandwidth_share, 0.2);
  EXPECT_EQ(percent(e.fma_share), "10%");
  EXPECT_NE(describe(c).find("190.0 GFLOP/s per core x 2 = 380.0"), std::string::npos) << describe(c);
}

TEST(Efficiency, UnknownWorkOrCeilingGivesNoFigure) {
  const Ceilings none = ceilings_of(ResourceCalibration{}, 2);
  EXPECT_EQ(describe(none), "not calibrated");
  const Efficiency e = efficiency({1e9, 1e6}, 10.0, none);
  EXPECT_DOUBLE_EQ(e.gflops_per_s, 10);  // the rate is known, its share is not
  EXPECT_LT(e.fma_share, 0);
  EXPECT_LT(e.bandwidth_share, 0);
  EXPECT_EQ(percent(e.fma_share), "-");
  ResourceCalibration cal;
  cal.gflops_per_core = 100;
  const Efficiency no_work = efficiency(ModelWork{}, 10.0, ceilings_of(cal, 1));
  EXPECT_LT(no_work.gflops_per_s, 0);
  EXPECT_LT(no_work.fma_share, 0);
  EXPECT_LT(efficiency({1e9, 1e6}, 0.0, ceilings_of(cal, 1)).gflops_per_s, 0);  // nothing completed
}
