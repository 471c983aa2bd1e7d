// The scheduler's decisions, deterministic: policy order, thread budget, admission,
// delay, the progress guarantee, chunk sizing and reaction to availability changes.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sched/cache_info.h"
#include "sched/chunk_planner.h"

using namespace braid::detail;

namespace {

ReadyCandidate cand(uint64_t key, double flops, double bytes, double ws, double rank) {
  ReadyCandidate c;
  c.key = key;
  c.arrival = key;
  c.flops = flops;
  c.bytes = bytes;
  c.working_set = ws;
  c.upward_rank_ns = rank;
  return c;
}

std::vector<uint64_t> keys(const ChunkDecision& d) {
  std::vector<uint64_t> k;
  for (const auto& a : d.admit) k.push_back(a.key);
  return k;
}

// Nothing running: `cores` available to a runtime of `max_threads`.
ChunkBudget budget(double cores, int max_threads) {
  ChunkBudget b;
  b.cores_available = cores;
  b.max_threads = max_threads;
  return b;
}

int total_threads(const ChunkDecision& d) {
  int t = 0;
  for (const auto& a : d.admit) t += a.threads;
  return t;
}

}  // namespace

TEST(ThreadBudget, FollowsAvailableCoresWithinTheCap) {
  EXPECT_EQ(thread_budget(2.0, 2), 2);
  EXPECT_EQ(thread_budget(1.8, 2), 2);
  EXPECT_EQ(thread_budget(1.1, 2), 1);
  EXPECT_EQ(thread_budget(0.0, 8), 1);      // never below one
  EXPECT_EQ(thread_budget(31.9, 8), 8);     // never above the cap
  EXPECT_EQ(thread_budget(NAN, 4), 4);      // unknown: the cap
}

TEST(ChunkPlanner, ManySmallBranchesGetOneThreadEach) {
  std::vector<ReadyCandidate> ready;
  for (uint64_t i = 0; i < 8; ++i) ready.push_back(cand(i, 1e5, 1e4, 1e4, 100));
  ChunkBudget b = budget(4, 4);
  ChunkDecision d;
  plan_chunk(ready, b, PlannerConfig{}, d);
  ASSERT_EQ(d.admit.size(), 4u);
  for (const auto& a : d.admit) EXPECT_EQ(a.threads, 1);
}

TEST(ChunkPlanner, OneHeavySubgraphTakesAllFreeThreads) {
  std::vector<ReadyCandidate> ready{cand(7, 1e9, 1e6, 1e6, 100)};
  ChunkBudget b = budget(4, 4);
  ChunkDecision d;
  plan_chunk(ready, b, PlannerConfig{}, d);
  ASSERT_EQ(d.admit.size(), 1u);
  EXPECT_EQ(d.admit[0].threads, 4);
}

TEST(ChunkPlanner, HeavyAndLightShareTheThreads) {
  std::vector<ReadyCandidate> ready{cand(1, 1e9, 1e6, 1e6, 500), cand(2, 1e5, 1e4, 1e4, 10)};
  ChunkBudget b = budget(4, 4);
  ChunkDecision d;
  plan_chunk(ready, b, PlannerConfig{}, d);
  EXPECT_EQ(keys(d), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(d.admit[0].threads, 3);
  EXPECT_EQ(d.admit[1].threads, 1);
}

// A heavy branch beside a light one (resnet's downsample block: a 1.2 ms conv beside a
// 0.14 ms shortcut). Sharing two threads, one each, the chunk lasts the heavy one's
// 1.2 ms on one thread; alone on both and then the light one, about (1.2 + 0.14) / 1.8 =
// 0.75 ms. The heavy one runs alone with both threads; the light one waits.
TEST(ChunkPlanner, AHeavyBranchBesideALightOneRunsAloneOnEveryThread) {
  ReadyCandidate heavy = cand(1, 1.16e8, 1e6, 1e6, 500), light = cand(2, 1.3e7, 1e6, 1e6, 400);
  heavy.predicted_ns = 1.22e6;
  light.predicted_ns = 1.4e5;
  ChunkBudget b = budget(2, 2);
  PlannerConfig config;
  config.trace = true;
  ChunkDecision d;
  plan_chunk(std::vector<ReadyCandidate>{heavy, light}, b, config, d);
  ASSERT_EQ(keys(d), (std::vector<uint64_t>{1}));
  EXPECT_EQ(d.admit[0].threads, 2);
  EXPECT_NE(d.why.find("alone, the rest wait"), std::string::npos) << d.why;

  // Balanced branches share: alone would take (1.22 + 1.0) / 1.8 = 1.23 ms, sharing 1.22.
  light.predicted_ns = 1.0e6;
  plan_chunk(std::vector<ReadyCandidate>{heavy, light}, b, config, d);
  EXPECT_EQ(keys(d), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(total_threads(d), 2);

  // The long one behind a short head: the head does not run alone (it is not the long one).
  light.predicted_ns = 1.4e5;
  light.upward_rank_ns = 900;  // first in critical-path order
  config.policy = SchedulingPolicy::kCriticalPath;
  plan_chunk(std::vector<ReadyCandidate>{heavy, light}, b, config, d);
  EXPECT_EQ(keys(d), (std::vector<uint64_t>{2, 1}));

  // Times not known yet: never alone.
  heavy.predicted_ns = 0;
  light.upward_rank_ns = 400;
  plan_chunk(std::vector<ReadyCandidate>{heavy, light}, b, config, d);
  EXPECT_EQ(keys(d), (std::vector<uint64_t>{1, 2}));

  // One core: sequential as ever, nothing to run alone on.
  heavy.predicted_ns = 1.22e6;
  b.cores_available = 1;
  plan_chunk(std::vector<ReadyCandidate>{heavy, light}, b, config, d);
  ASSERT_EQ(keys(d), (std::vector<uint64_t>{1}));
  EXPECT_EQ(d.admit[0].threads, 1);
}

// Two sessions with requests in flight on two threads: each holds at most one. A heavy
// subgraph of the first does not take both (the second's next subgraph would wait for a
// core behind it); a session at its share waits even with a thread free; with one session
// active the share is every thread; with nothing running the head starts regardless.
TEST(ChunkPlanner, SeveralActiveSessionsEachHoldTheirShare) {
  SessionThreads a, bs;
  ReadyCandidate a1 = cand(1, 1e9, 1e6, 1e6, 900), a2 = cand(2, 1e9, 1e6, 1e6, 800), b1 = cand(3, 1e9, 1e6, 1e6, 100);
  a1.session = a2.session = &a;
  b1.session = &bs;
  ChunkBudget b = budget(2, 2);
  b.active_sessions = 2;
  PlannerConfig config;
  config.policy = SchedulingPolicy::kCriticalPath;
  config.trace = true;
  ChunkDecision d;
  plan_chunk(std::vector<ReadyCandidate>{a1, a2, b1}, b, config, d);
  EXPECT_EQ(keys(d), (std::vector<uint64_t>{1, 3})) << d.why;
  EXPECT_EQ(total_threads(d), 2);
  EXPECT_NE(d.why.find("delayed: its session holds its share"), std::string::npos) << d.why;

  // Session A already holds one thread; a thread is free but it is B's.
  a.held = 1;
  b.threads_in_use = 1;
  b.subgraphs_running = 1;
  plan_chunk(std::vector<ReadyCandidate>{a2}, b, config, d);
  EXPECT_TRUE(d.admit.empty()) << d.why;
  plan_chunk(std::vector<ReadyCandidate>{a2, b1}, b, config, d);
  EXPECT_EQ(keys(d), (std::vector<uint64_t>{3}));

  // One session active: its heavy subgraph takes both threads.
  a.held = 0;
  b.threads_in_use = 0;
  b.subgraphs_running = 0;
  b.active_sessions = 1;
  plan_chunk(std::vector<ReadyCandidate>{a1}, b, config, d);
  ASSERT_EQ(d.admit.size(), 1u);
  EXPECT_EQ(d.admit[0].threads, 2);

  // Progress: nothing running, the head starts even past its session's share.
  a.held = 1;  // (a stale count cannot block the head)
  b.active_sessions = 2;
  plan_chunk(std::vector<ReadyCandidate>{a1}, b, config, d);
  EXPECT_EQ(keys(d), (std::vector<uint64_t>{1}));
}

// A session loaded with fewer threads than the runtime has (SessionOptions::threads = 1 on
// a 2-thread runtime) holds at most that many, even alone: its heavy subgraph gets one
// thread and its second ready subgraph waits.
TEST(ChunkPlanner, ASessionNeverHoldsMoreThanItsOwnThreadCount) {
  SessionThreads one;
  one.cap = 1;
  ReadyCandidate c1 = cand(1, 1e9, 1e6, 1e6, 900), c2 = cand(2, 1e9, 1e6, 1e6, 800);
  c1.session = c2.session = &one;
  ChunkBudget b = budget(2, 2);
  ChunkDecision d;
  plan_chunk(std::vector<ReadyCandidate>{c1, c2}, b, PlannerConfig{}, d);
  ASSERT_EQ(d.admit.size(), 1u);
  EXPECT_EQ(d.admit[0].threads, 1);
  one.cap = 0;  // no cap of its own: both threads
  plan_chunk(std::vector<ReadyCandidate>{c1, c2}, b, PlannerConfig{}, d);
  EXPECT_EQ(total_threads(d), 2);
}

TEST(ChunkPlanner, OneCoreLeftMeansSequential) {
  std::vector<ReadyCandidate> ready{cand(1, 1e9, 1e6, 1e6, 500), cand(2, 1e9, 1e6, 1e6, 400)};
  ChunkBudget b = budget(1.05, 2);  // a competitor holds the other core
  ChunkDecision d;
  plan_chunk(ready, b, PlannerConfig{}, d);
  ASSERT_EQ(d.admit.size(), 1u);
  EXPECT_EQ(d.admit[0].threads, 1);
  EXPECT_EQ(d.admit[0].key, 1u);
}

TEST(ChunkPlanner, NeverMoreThreadsThanTheBudget) {
  for (int cores = 1; cores <= 8; ++cores) {
    for (int in_use = 0; in_use <= cores; ++in_use) {
      std::vector<ReadyCandidate> ready;
      for (uint64_t i = 0; i < 10; ++i) ready.push_back(cand(i, i % 2 ? 1e9 : 1e5, 1e4, 1e4, double(i)));
      ChunkBudget b;
      b.cores_available = cores;
      b.max_threads = 8;
      b.threads_in_use = in_use;
      b.subgraphs_running = in_use;
      ChunkDecision d;
      plan_chunk(ready, b, PlannerConfig{}, d);
      if (in_use == 0) {
        EXPECT_GE(d.admit.size(), 1u);
      }
      EXPECT_LE(total_threads(d) + in_use, std::max(cores, in_use)) << cores << " " << in_use;
    }
  }
}

TEST(ChunkPlanner, PoliciesOrderTheReadySet) {
  // key: flops, bytes, rank
  auto make = [] {
    return std::vector<ReadyCandidate>{cand(1, 1e6, 9e6, 1e3, 10), cand(2, 9e6, 1e6, 1e3, 5),
                                       cand(3, 5e6, 5e6, 1e3, 50)};
  };
  ChunkBudget b = budget(1, 1);
  ChunkDecision d;
  auto first = [&](SchedulingPolicy p) {
    auto r = make();
    PlannerConfig c;
    c.policy = p;
    plan_chunk(r, b, c, d);
    return d.admit.at(0).key;
  };
  EXPECT_EQ(first(SchedulingPolicy::kCriticalPath), 3u);
  EXPECT_EQ(first(SchedulingPolicy::kComputeFirst), 2u);
  EXPECT_EQ(first(SchedulingPolicy::kMemoryFirst), 2u);  // least bytes + working set
}

TEST(ChunkPlanner, HybridPicksTheBindingResourceEveryStep) {
  ChunkBudget b = budget(2, 2);
  ChunkDecision d;
  std::vector<ReadyCandidate> r{cand(1, 1e3, 1e3, 1e3, 1)};
  b.bandwidth_share = 0.2;
  b.compute_share = 0.9;
  plan_chunk(r, b, PlannerConfig{}, d);
  EXPECT_EQ(d.effective_policy, SchedulingPolicy::kMemoryFirst);
  b.bandwidth_share = 0.9;
  b.compute_share = 0.3;
  plan_chunk(r, b, PlannerConfig{}, d);
  EXPECT_EQ(d.effective_policy, SchedulingPolicy::kComputeFirst);
  b.compute_share = 1;
  plan_chunk(r, b, PlannerConfig{}, d);
  EXPECT_EQ(d.effective_policy, SchedulingPolicy::kCriticalPath);
}

TEST(ChunkPlanner, MemoryAdmissionDelaysAndTheProgressGuaranteeHolds) {
  ChunkBudget b = budget(4, 4);
  b.memory_budget = 100;
  ChunkDecision d;
  // Two fit together (40 + 50), the third (30) must wait.
  std::vector<ReadyCandidate> r{cand(1, 1e3, 1, 40, 3), cand(2, 1e3, 1, 50, 2), cand(3, 1e3, 1, 30, 1)};
  plan_chunk(r, b, PlannerConfig{}, d);
  EXPECT_EQ(keys(d), (std::vector<uint64_t>{1, 2}));
  // With 90 reserved by running work, nothing more fits.
  b.memory_in_use = 90;
  b.subgraphs_running = 2;
  b.threads_in_use = 2;
  std::vector<ReadyCandidate> r2{cand(3, 1e3, 1, 30, 1)};
  plan_chunk(r2, b, PlannerConfig{}, d);
  EXPECT_TRUE(d.admit.empty());
  // Adversarial availability (over-reserved, zero cores) with nothing running: the head
  // still starts, flagged as over budget.
  b.memory_in_use = 150;
  b.subgraphs_running = 0;
  b.threads_in_use = 0;
  b.cores_available = 0;
  plan_chunk(r2, b, PlannerConfig{}, d);
  ASSERT_EQ(d.admit.size(), 1u);
  EXPECT_TRUE(d.admit[0].over_budget);
}

TEST(ChunkPlanner, WorkLargerThanTheBudgetAloneIsRejected) {
  ChunkBudget b;
  b.memory_budget = 100;
  ChunkDecision d;
  std::vector<ReadyCandidate> r{cand(1, 1e3, 1, 500, 3)};
  plan_chunk(r, b, PlannerConfig{}, d);
  EXPECT_TRUE(d.admit.empty());
  EXPECT_EQ(d.too_big, (std::vector<uint64_t>{1}));
}

TEST(ChunkPlanner, ADropInAvailableCoresShrinksTheNextChunk) {
  ChunkBudget b;
  b.max_threads = 4;
  ChunkDecision d;
  auto ready = [] {
    std::vector<ReadyCandidate> r;
    for (uint64_t i = 0; i < 6; ++i) r.push_back(cand(i, 1e5, 1, 1, 1));
    return r;
  };
  b.cores_available = 4;
  auto r = ready();
  plan_chunk(r, b, PlannerConfig{}, d);
  EXPECT_EQ(d.admit.size(), 4u);
  b.cores_available = 2;
  r = ready();
  plan_chunk(r, b, PlannerConfig{}, d);
  EXPECT_EQ(d.admit.size(), 2u);
}

TEST(ChunkPlanner, CacheResidentWorkIsNotCoScheduledPastTheCache) {
  ChunkBudget b = budget(2, 2);
  b.cache_bytes = 1000;
  ChunkDecision d;
  std::vector<ReadyCandidate> r{cand(1, 1e3, 1, 700, 2), cand(2, 1e3, 1, 700, 1)};
  plan_chunk(r, b, PlannerConfig{}, d);
  EXPECT_EQ(keys(d), (std::vector<uint64_t>{1}));
}

TEST(ChunkPlanner, TraceExplainsDecisions) {
  ChunkBudget b = budget(1, 1);
  PlannerConfig c;
  c.trace = true;
  ChunkDecision d;
  std::vector<ReadyCandidate> r{cand(1, 1, 1, 1, 2), cand(2, 1, 1, 1, 1)};
  plan_chunk(r, b, c, d);
  EXPECT_NE(d.why.find("admit key 1"), std::string::npos) << d.why;
  EXPECT_NE(d.why.find("no free thread"), std::string::npos) << d.why;
}

TEST(ReadyQueue, KeepsTheDelayedAndAdmitsInPolicyOrderAcrossSteps) {
  ReadyQueue q;
  // Ranks 0..99 in a scrambled arrival order.
  for (uint64_t i = 0; i < 100; ++i) {
    const uint64_t key = (i * 37) % 100;
    ReadyCandidate c = cand(key, 1e3, 1, 1, static_cast<double>(key));
    c.arrival = i;
    q.push(c);
  }
  ChunkBudget b = budget(3, 3);
  ChunkDecision d;
  PlannerConfig cp;
  cp.policy = SchedulingPolicy::kCriticalPath;
  plan_chunk(q, b, cp, d);
  EXPECT_EQ(keys(d), (std::vector<uint64_t>{99, 98, 97}));
  EXPECT_EQ(q.size(), 97u);
  // Arrivals between steps join the order.
  q.push(cand(500, 1e3, 1, 1, 500));
  plan_chunk(q, b, cp, d);
  EXPECT_EQ(keys(d), (std::vector<uint64_t>{500, 96, 95}));
  // A policy change reorders what is left: most FLOPs first.
  q.push(cand(600, 9e9, 1, 1, 0));
  PlannerConfig cf;
  cf.policy = SchedulingPolicy::kComputeFirst;
  b.cores_available = 1;
  b.max_threads = 1;
  plan_chunk(q, b, cf, d);
  ASSERT_EQ(d.admit.size(), 1u);
  EXPECT_EQ(d.admit[0].key, 600u);
  // Back to the critical path: the next highest rank is 94.
  plan_chunk(q, b, cp, d);
  EXPECT_EQ(keys(d), (std::vector<uint64_t>{94}));
  EXPECT_EQ(q.size(), 94u);
}

TEST(ReadyQueue, MemoryDelayedWorkStaysQueuedAndStartsOnRelease) {
  ReadyQueue q;
  q.push(cand(1, 1e3, 1, 60, 3));
  q.push(cand(2, 1e3, 1, 60, 2));
  ChunkBudget b = budget(4, 4);
  b.memory_budget = 100;
  ChunkDecision d;
  plan_chunk(q, b, PlannerConfig{}, d);
  EXPECT_EQ(keys(d), (std::vector<uint64_t>{1}));
  EXPECT_EQ(q.size(), 1u);
  // Still reserved: the retry leaves it queued.
  b.memory_in_use = 60;
  b.subgraphs_running = 1;
  b.threads_in_use = 1;
  plan_chunk(q, b, PlannerConfig{}, d);
  EXPECT_TRUE(d.admit.empty());
  EXPECT_EQ(q.size(), 1u);
  // Released: it starts.
  b.memory_in_use = 0;
  b.subgraphs_running = 0;
  b.threads_in_use = 0;
  plan_chunk(q, b, PlannerConfig{}, d);
  EXPECT_EQ(keys(d), (std::vector<uint64_t>{2}));
  EXPECT_TRUE(q.empty());
}

TEST(CacheInfo, LastLevelPlusThePrivateL2OfItsSharers) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("braid_cache_info_" + std::to_string(::getpid()));
  auto write = [&](int index, const char* level, const char* type, const char* size, const char* shared) {
    fs::path dir = root / ("sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index));
    fs::create_directories(dir);
    std::ofstream(dir / "level") << level << "\n";
    std::ofstream(dir / "type") << type << "\n";
    std::ofstream(dir / "size") << size << "\n";
    std::ofstream(dir / "shared_cpu_list") << shared << "\n";
  };
  EXPECT_EQ(shared_cache_bytes_at(root.string()), 0u);  // nothing there
  write(0, "1", "Data", "48K", "0");
  write(1, "1", "Instruction", "32K", "0");
  write(2, "2", "Unified", "2048K", "0");
  EXPECT_EQ(shared_cache_bytes_at(root.string()), 2048u << 10);  // L2 only
  write(3, "3", "Unified", "32M", "0-3,8");
  EXPECT_EQ(shared_cache_bytes_at(root.string()), (32u << 20) + 5 * (2048u << 10));
  fs::remove_all(root);
}
