#include "burst_split.h"

#include <gtest/gtest.h>

namespace braid::bench {
namespace {

constexpr int64_t kMs = 1'000'000;

// Back-to-back requests of `ms` each from t = 0 (one client).
std::vector<RequestSpan> back_to_back(const std::vector<int64_t>& ms) {
  std::vector<RequestSpan> spans;
  int64_t t = 0;
  for (int64_t d : ms) {
    spans.push_back({t, t + d * kMs, 1});
    t += d * kMs;
  }
  return spans;
}

TEST(BurstSplit, TheRequestInFlightAtEachBurstStartIsHit) {
  // Requests [0,2) [2,3) [3,8) [8,9) [9,10) ms; bursts start at 4 and 4.5 (one request in
  // flight for both) and 9 (the start of the last request, in flight from its first
  // instant; the one before it has ended).
  const BurstSplit s = split_by_bursts(back_to_back({2, 1, 5, 1, 1}), {9 * kMs, 4 * kMs, 9 * kMs / 2});
  EXPECT_EQ(s.bursts, 3);
  EXPECT_EQ(s.hit_ms, (std::vector<double>{5.0, 1.0}));
  EXPECT_EQ(s.other_ms, (std::vector<double>{2.0, 1.0, 1.0}));
}

TEST(BurstSplit, BurstsOutsideTheMeasuredPartAreNotCounted) {
  // Before the first request, at the last one's end (exclusive) and after it.
  const BurstSplit s = split_by_bursts(back_to_back({1, 1}), {-5 * kMs, 2 * kMs, 7 * kMs});
  EXPECT_EQ(s.bursts, 0);
  EXPECT_TRUE(s.hit_ms.empty());
  EXPECT_EQ(s.other_ms.size(), 2u);
}

TEST(BurstSplit, OverlappingClientsAreEachHit) {
  // Two clients whose requests overlap the same burst start at 3 ms.
  const std::vector<RequestSpan> spans{{0, 4 * kMs, 1}, {1 * kMs, 6 * kMs, 2}, {4 * kMs, 5 * kMs, 1}};
  const BurstSplit s = split_by_bursts(spans, {3 * kMs});
  EXPECT_EQ(s.bursts, 1);
  EXPECT_EQ(s.hit_ms, (std::vector<double>{4.0, 5.0}));
  EXPECT_EQ(s.other_ms, (std::vector<double>{1.0}));
}

TEST(BurstSplit, NoRequestsNoBursts) {
  const BurstSplit s = split_by_bursts({}, {1, 2, 3});
  EXPECT_EQ(s.bursts, 0);
  EXPECT_TRUE(s.hit_ms.empty() && s.other_ms.empty());
}

}  // namespace
}  // namespace braid::bench
