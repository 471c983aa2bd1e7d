// Fair share among sessions: the ServiceMeter's decayed core-time, and the planner's order
// (priority, then least recent service, then policy).
#include <gtest/gtest.h>

#include <vector>

#include "sched/chunk_planner.h"
#include "sched/service_meter.h"

using namespace braid::detail;

namespace {

constexpr int64_t kEpoch = int64_t{1} << ServiceMeter::kEpochShift;

TEST(ServiceMeter, AccumulatesWithinAnEpochAndHalvesPerEpoch) {
  ServiceMeter m;
  const int64_t t0 = 1000 * kEpoch;  // an epoch boundary
  EXPECT_EQ(m.value_us(t0), 0.0);
  m.add(4'000'000, t0);       // 4 ms of core time
  m.add(4'000'000, t0 + 10);  // same epoch
  EXPECT_EQ(m.value_us(t0 + 20), 8000.0);
  EXPECT_EQ(m.value_us(t0 + kEpoch), 4000.0);      // one epoch later: halved
  EXPECT_EQ(m.value_us(t0 + 3 * kEpoch), 1000.0);  // three: an eighth
  EXPECT_EQ(m.value_us(t0 + 64 * kEpoch), 0.0);    // long idle: nothing left
  m.add(2'000'000, t0 + kEpoch);  // decays the stored value first, then adds
  EXPECT_EQ(m.value_us(t0 + kEpoch), 6000.0);
}

TEST(ServiceMeter, AReaderSlightlyBehindTheWriterSeesTheCurrentValue) {
  ServiceMeter m;
  const int64_t t0 = 500 * kEpoch;
  m.add(1'000'000, t0 + kEpoch);  // written with a later clock reading ...
  EXPECT_EQ(m.value_us(t0 + kEpoch - 1), 1000.0);  // ... read with an earlier one: not "long ago"
}

ReadyCandidate cand(uint64_t key, double rank, double service, int priority = 0) {
  ReadyCandidate c;
  c.key = key;
  c.arrival = key;
  c.flops = 1e6;
  c.bytes = 1e6;
  c.working_set = 1e3;
  c.upward_rank_ns = rank;
  c.service = service;
  c.priority = priority;
  return c;
}

uint64_t first_admitted(std::vector<ReadyCandidate> ready, SchedulingPolicy p) {
  ChunkBudget b;
  b.cores_available = 1;
  b.max_threads = 1;
  PlannerConfig c;
  c.policy = p;
  ChunkDecision d;
  plan_chunk(ready, b, c, d);
  return d.admit.at(0).key;
}

TEST(FairShare, TheSessionWithLessRecentServiceGoesFirst) {
  // Session A (service 40) has the long critical path; session B (service 2) a short one.
  const std::vector<ReadyCandidate> ready = {cand(1, 1e9, 40), cand(2, 1e9, 40), cand(3, 1e3, 2)};
  for (SchedulingPolicy p : {SchedulingPolicy::kCriticalPath, SchedulingPolicy::kComputeFirst,
                             SchedulingPolicy::kMemoryFirst, SchedulingPolicy::kHybrid})
    EXPECT_EQ(first_admitted(ready, p), 3u);
}

TEST(FairShare, PriorityStillComesFirstAndPolicyOrdersWithinAService) {
  EXPECT_EQ(first_admitted({cand(1, 1e3, 40, /*priority=*/1), cand(2, 1e3, 2)}, SchedulingPolicy::kCriticalPath), 1u);
  // Same service (one request): the policy decides.
  EXPECT_EQ(first_admitted({cand(1, 1e3, 7), cand(2, 1e9, 7)}, SchedulingPolicy::kCriticalPath), 2u);
}

TEST(FairShare, TheReadyQueueKeepsTheOrderAcrossSteps) {
  ReadyQueue q;
  q.push(cand(1, 1e9, 40));
  q.push(cand(2, 1e9, 40));
  q.push(cand(3, 1e3, 2));
  q.push(cand(4, 1e6, 2));
  ChunkBudget b;
  b.cores_available = 1;
  b.max_threads = 1;
  PlannerConfig c;
  ChunkDecision d;
  std::vector<uint64_t> order;
  while (!q.empty()) {
    plan_chunk(q, b, c, d);  // nothing running: one admission per step
    for (const Admission& a : d.admit) order.push_back(a.key);
  }
  EXPECT_EQ(order, (std::vector<uint64_t>{4, 3, 1, 2}));  // B's two (by rank), then A's
}

}  // namespace
