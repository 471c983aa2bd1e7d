// DSDG: estimates and their fallbacks, EWMA convergence (synthetic and on real timings),
// upward ranks from measurements and re-estimation for new shapes. (The per-request
// dependency tracking is the executor's flow graph: tests/unit/exec/unit_executor_test.cpp.)
#include "dsdg/dsdg.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cmath>
#include <random>
#include <thread>

#include <time.h>

#include "partition/partitioner.h"
#include "unit/partition/test_graphs.h"

namespace braid::detail {
namespace {

using testing::TestGraph;

PartitionOptions fine_options() {
  PartitionOptions o;
  o.balance = nominal_machine_balance();
  return o;
}

DsdgOptions dsdg_options() {
  DsdgOptions o;
  o.balance = nominal_machine_balance();
  return o;
}

// x -> A -> {B, C} -> D, with a MatMul in B so that one subgraph is compute-bound (at
// batch 64: 2 x 64 x 256 x 256 FLOPs over 384 KiB, 21 FLOP/B).
Graph diamond(int64_t batch_dim = 64, bool symbolic = false) {
  TestGraph b;
  ValueId x = symbolic ? b.input("x", {-1, 256}, {"batch"}) : b.input("x", {batch_dim, 256});
  const int64_t n = symbolic ? -1 : batch_dim;
  ValueId a = b.op("Relu", {x}, {n, 256}, "A");
  ValueId w = b.constant("w", {256, 256});
  ValueId l = b.op("MatMul", {a, w}, {n, 256}, "B");
  ValueId r = b.op("Sigmoid", {a}, {n, 256}, "C");
  ValueId d = b.op("Add", {l, r}, {n, 256}, "D");
  return b.finish({d});
}

TEST(Dsdg, ThreadBuckets) {
  EXPECT_EQ(thread_bucket(0), 0);
  EXPECT_EQ(thread_bucket(1), 0);
  EXPECT_EQ(thread_bucket(2), 1);
  EXPECT_EQ(thread_bucket(3), 2);
  EXPECT_EQ(thread_bucket(4), 2);
  EXPECT_EQ(thread_bucket(5), 3);
  EXPECT_EQ(thread_bucket(16), 4);
  EXPECT_EQ(thread_bucket(1000), kThreadBuckets - 1);
  EXPECT_EQ(bucket_threads(2), 4);
}

TEST(Dsdg, StructureAndEstimatesComeFromThePlan) {
  Graph g = diamond();
  auto plan = partition(g, fine_options());
  ASSERT_TRUE(plan.ok());
  Dsdg d(*plan, dsdg_options());
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(std::vector<SubgraphId>(d.sources().begin(), d.sources().end()), std::vector<SubgraphId>{0});
  EXPECT_EQ(std::vector<SubgraphId>(d.succs(0).begin(), d.succs(0).end()), (std::vector<SubgraphId>{1, 2}));
  EXPECT_EQ(std::vector<SubgraphId>(d.preds(3).begin(), d.preds(3).end()), (std::vector<SubgraphId>{1, 2}));
  EXPECT_DOUBLE_EQ(d.estimated_cost(1).flops, plan->subgraphs[1].cost.flops);
  EXPECT_TRUE(d.compute_bound(1));   // the MatMul
  EXPECT_FALSE(d.compute_bound(2));  // the Sigmoid
  EXPECT_DOUBLE_EQ(d.peak_working_set(0), plan->subgraphs[0].peak_working_set);
  EXPECT_DOUBLE_EQ(d.edge_bytes(0), plan->edges[0].bytes);
  // Nothing measured: the prediction is the cost model, and so are the ranks.
  for (SubgraphId s = 0; s < 4; ++s) EXPECT_DOUBLE_EQ(d.predict_ns(s), d.model_ns(s));
  EXPECT_DOUBLE_EQ(d.upward_rank(0), d.model_ns(0) + std::max(d.model_ns(1), d.model_ns(2)) + d.model_ns(3));
  EXPECT_DOUBLE_EQ(d.critical_path_ns(), d.upward_rank(0));
  EXPECT_TRUE(std::isnan(d.measured_ns(0, Precision::kF32, 1)));
}

TEST(Dsdg, PredictionFallsBackThroughBucketsAndCalibration) {
  Graph g = diamond();
  auto plan = partition(g, fine_options());
  ASSERT_TRUE(plan.ok());
  Dsdg d(*plan, dsdg_options());
  // A measurement at 1 thread answers for 1 thread, and scaled by the model for 2.
  d.record(1, Precision::kF32, 1, 10000);
  EXPECT_DOUBLE_EQ(d.predict_ns(1, Precision::kF32, 1), 10000);
  EXPECT_EQ(d.observed_count(1, Precision::kF32, 1), 1u);
  EXPECT_EQ(d.observed_count(1), 1u);
  EXPECT_NEAR(d.predict_ns(1, Precision::kF32, 2),
              10000 * d.model_ns(1, Precision::kF32, 2) / d.model_ns(1, Precision::kF32, 1), 1e-6);
  // ... and for bf16 by the model's precision ratio.
  EXPECT_NEAR(d.predict_ns(1, Precision::kBF16, 1),
              10000 * d.model_ns(1, Precision::kBF16, 1) / d.model_ns(1, Precision::kF32, 1), 1e-6);
  // The compute-bound sample calibrated ns per FLOP for f32 at 1 thread.
  const double npf = d.ns_per_flop(Precision::kF32, 1);
  EXPECT_DOUBLE_EQ(npf, 10000 / d.estimated_cost(1).flops);
  EXPECT_TRUE(std::isnan(d.ns_per_byte(Precision::kF32, 1)));
  // Unmeasured memory-bound subgraph 2 uses the calibration (ns per byte derived from it).
  const double p2 = d.predict_ns(2, Precision::kF32, 1);
  EXPECT_NE(p2, d.model_ns(2));
  d.record(2, Precision::kF32, 1, 777, 4096);
  EXPECT_DOUBLE_EQ(d.ns_per_byte(Precision::kF32, 1), 777 / d.estimated_cost(2).bytes());
  EXPECT_DOUBLE_EQ(d.observed_bytes(2), 4096);
  // Subgraph 3 (memory-bound, unmeasured) now predicts from ns per byte.
  EXPECT_NEAR(d.predict_ns(3), std::max(d.estimated_cost(3).flops * d.ns_per_flop(Precision::kF32, 1),
                                        d.estimated_cost(3).bytes() * d.ns_per_byte(Precision::kF32, 1)),
              1e-9);
  // Garbage is ignored.
  d.record(0, Precision::kF32, 1, -5);
  d.record(0, Precision::kF32, 1, std::nan(""));
  d.record(99, Precision::kF32, 1, 5);
  EXPECT_EQ(d.observed_count(0), 0u);
}

TEST(Dsdg, FirstRunIsReportedOncePerSubgraphAndPrecision) {
  Graph g = diamond();
  auto plan = partition(g, fine_options());
  ASSERT_TRUE(plan.ok());
  Dsdg d(*plan, dsdg_options());
  EXPECT_TRUE(d.first_run(1, Precision::kF32));
  EXPECT_FALSE(d.first_run(1, Precision::kF32));
  EXPECT_TRUE(d.first_run(1, Precision::kBF16));  // lowered weights and kernels: cold again
  EXPECT_TRUE(d.first_run(2, Precision::kF32));
  EXPECT_FALSE(d.first_run(1, Precision::kBF16));
  EXPECT_FALSE(d.first_run(99, Precision::kF32));  // no such subgraph
  EXPECT_EQ(d.observed_count(1), 0u);              // first_run records nothing itself
}

// A slow sample in a bucket the planner then stops choosing must not decide for good
// (session 21: the ensemble's branches run alone on both threads after one slow
// one-thread run). After more than 16 samples elsewhere the fresh bucket stands in.
TEST(Dsdg, AStaleBucketGivesWayToAFreshOne) {
  Graph g = diamond();
  auto plan = partition(g, fine_options());
  ASSERT_TRUE(plan.ok());
  Dsdg d(*plan, dsdg_options());
  const double scale = d.model_ns(1, Precision::kF32, 1) / d.model_ns(1, Precision::kF32, 2);
  d.record(1, Precision::kF32, 1, 20000);
  for (int i = 0; i < 16; ++i) d.record(1, Precision::kF32, 2, 5000);
  EXPECT_DOUBLE_EQ(d.predict_ns(1, Precision::kF32, 1), 20000);  // 16 later samples: still its own
  d.record(1, Precision::kF32, 2, 5000);
  EXPECT_NEAR(d.predict_ns(1, Precision::kF32, 1), 5000 * scale, 1e-6);  // stale: the fresh bucket
  EXPECT_DOUBLE_EQ(d.predict_ns(1, Precision::kF32, 2), 5000);
  EXPECT_DOUBLE_EQ(d.measured_ns(1, Precision::kF32, 1), 20000);  // the slot itself is kept
  // Measured again, the slot is its own answer.
  d.record(1, Precision::kF32, 1, 9000);
  EXPECT_DOUBLE_EQ(d.predict_ns(1, Precision::kF32, 1), d.measured_ns(1, Precision::kF32, 1));
  // Other subgraphs' samples do not age it.
  for (int i = 0; i < 40; ++i) d.record(2, Precision::kF32, 2, 700);
  EXPECT_DOUBLE_EQ(d.predict_ns(1, Precision::kF32, 1), d.measured_ns(1, Precision::kF32, 1));
}

TEST(Dsdg, EwmaConvergesToTheMedianOfNoisySamples) {
  Graph g = diamond();
  auto plan = partition(g, fine_options());
  ASSERT_TRUE(plan.ok());
  Dsdg d(*plan, dsdg_options());
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> noise(-0.1, 0.1);
  std::uniform_real_distribution<double> u(0, 1);
  const double truth[4] = {5e3, 8e4, 3e3, 2e3};
  std::vector<double> samples[4];
  for (int run = 0; run < 60; ++run)
    for (SubgraphId s = 0; s < 4; ++s) {
      // +-10% jitter and 5% preempted runs that take 5x as long.
      double t = truth[s] * (1 + noise(rng));
      if (u(rng) < 0.05) t *= 5;
      samples[s].push_back(t);
      d.record(s, Precision::kF32, 2, t);
    }
  for (SubgraphId s = 0; s < 4; ++s) {
    std::vector<double> v = samples[s];
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    const double median = v[v.size() / 2];
    EXPECT_NEAR(d.predict_ns(s, Precision::kF32, 2), median, 0.10 * median) << "subgraph " << s;
  }
  // A real change (the machine got twice as slow) is followed.
  for (int run = 0; run < 40; ++run) d.record(0, Precision::kF32, 2, 2 * truth[0] * (1 + noise(rng)));  // ~28 needed
  EXPECT_NEAR(d.predict_ns(0, Precision::kF32, 2), 2 * truth[0], 0.1 * 2 * truth[0]);
}

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return 1e9 * static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec);
}

TEST(Dsdg, ConvergesOnRealTimingsOfThisMachine) {
  if (kSanitized) GTEST_SKIP() << "a timing claim: sanitizer instrumentation makes the loops' times meaningless";
  // Four "subgraphs" that run real loops of different lengths; after 40 runs the
  // prediction of each must be within 10% of the median of its last 20 runs (the level it
  // should track; docs/partitioning.md). The times are the thread's CPU time, not wall
  // time: on a shared machine (CI runs two test binaries on two cores) a preemption
  // inside a 5-50 us loop is a 4 ms step that says nothing about the estimator; the loops'
  // own variation (caches, frequency, the sibling hyperthread) stays in. An attempt that is
  // still disturbed is retried (up to 3).
  Graph g = diamond();
  auto plan = partition(g, fine_options());
  ASSERT_TRUE(plan.ok());
  std::vector<float> buf(1 << 16, 1.0f);
  const size_t work[4] = {2000, 20000, 8000, 4000};
  volatile float sink = 0;
  double worst = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    Dsdg d(*plan, dsdg_options());
    std::vector<double> samples[4];
    for (int run = 0; run < 40; ++run)
      for (SubgraphId s = 0; s < 4; ++s) {
        const double t0 = thread_cpu_ns();
        float acc = 0;
        for (size_t i = 0; i < work[s]; ++i) acc = acc * 0.999f + buf[i % buf.size()];
        sink = sink + acc;
        const double ns = thread_cpu_ns() - t0;
        samples[s].push_back(ns);
        d.record(s, Precision::kF32, 1, ns);
      }
    worst = 0;
    for (SubgraphId s = 0; s < 4; ++s) {
      std::vector<double> v(samples[s].end() - 20, samples[s].end());
      std::sort(v.begin(), v.end());
      const double median = v[v.size() / 2];
      const double err = std::abs(d.predict_ns(s) - median) / median;
      worst = std::max(worst, err);
      std::printf("attempt %d subgraph %u: median %.0f ns, predicted %.0f ns, error %.1f%%\n", attempt, s, median,
                  d.predict_ns(s), 100 * err);
    }
    if (worst <= 0.10) break;
  }
  ::testing::Test::RecordProperty("worst_rel_error", std::to_string(worst));
  EXPECT_LE(worst, 0.10);
}

TEST(Dsdg, RanksFollowMeasurements) {
  TestGraph b;
  ValueId x = b.input("x", {1, 16});
  ValueId a = b.op("Relu", {x}, {1, 16}, "A");
  ValueId l = b.op("Relu", {a}, {1, 16}, "B");
  ValueId r = b.op("Sigmoid", {a}, {1, 16}, "C");
  ValueId dd = b.op("Add", {l, r}, {1, 16}, "D");
  Graph g = b.finish({dd});
  auto plan = partition(g, fine_options());
  ASSERT_TRUE(plan.ok());
  DsdgOptions o = dsdg_options();
  o.rank_refresh_records = 1000;  // manual
  Dsdg d(*plan, o);
  d.record(0, Precision::kF32, 1, 100);
  d.record(1, Precision::kF32, 1, 200);
  d.record(2, Precision::kF32, 1, 5000);
  d.record(3, Precision::kF32, 1, 300);
  d.recompute_ranks();
  EXPECT_DOUBLE_EQ(d.upward_rank(3), 300);
  EXPECT_DOUBLE_EQ(d.upward_rank(1), 500);
  EXPECT_DOUBLE_EQ(d.upward_rank(2), 5300);
  EXPECT_DOUBLE_EQ(d.upward_rank(0), 5400);
  EXPECT_DOUBLE_EQ(d.critical_path_ns(), 5400);
  // Automatic refresh every N records.
  DsdgOptions autoo = dsdg_options();
  autoo.rank_refresh_records = 4;
  Dsdg e(*plan, autoo);
  for (SubgraphId s = 0; s < 4; ++s) e.record(s, Precision::kF32, 1, 1000);
  EXPECT_DOUBLE_EQ(e.upward_rank(0), 3000);
}

TEST(Dsdg, ReestimatesForNewShapes) {
  Graph g = diamond(1, /*symbolic=*/true);
  auto plan = partition(g, fine_options());
  ASSERT_TRUE(plan.ok());
  Dsdg d(*plan, dsdg_options());
  const Cost before = d.estimated_cost(1);
  const double model_before = d.model_ns(1);
  const double edge_before = d.edge_bytes(0);
  d.record(1, Precision::kF32, 1, 20000);
  const uint64_t epoch = d.shape_epoch();

  auto bound = bind_input_shapes(g, {{"x", {8, 256}}});
  ASSERT_TRUE(bound.ok());
  ASSERT_TRUE(d.reestimate(g, *bound).ok());
  EXPECT_EQ(d.shape_epoch(), epoch + 1);
  EXPECT_DOUBLE_EQ(d.estimated_cost(1).flops, 8 * before.flops);
  EXPECT_DOUBLE_EQ(d.edge_bytes(0), 8 * edge_before);
  EXPECT_GT(d.peak_working_set(0), plan->subgraphs[0].peak_working_set);
  // The measurement is carried over by the model's ratio.
  EXPECT_NEAR(d.predict_ns(1), 20000 * d.model_ns(1) / model_before, 1e-6);
  EXPECT_GT(d.critical_path_ns(), 0);
  // Back to batch 1: the original estimates again.
  auto one = bind_input_shapes(g, {{"x", {1, 256}}});
  ASSERT_TRUE(d.reestimate(g, *one).ok());
  EXPECT_DOUBLE_EQ(d.estimated_cost(1).flops, before.flops);
  EXPECT_NEAR(d.predict_ns(1), 20000, 1e-6);
  // A different graph is refused.
  Graph other = testing::random_dag(10, 1);
  EXPECT_FALSE(d.reestimate(other, {}).ok());
}

// ---- ready sets

}  // namespace
}  // namespace braid::detail
