// The steady-state run path does not call the heap (issue 6, "RingBuffer and memory"):
// after warm-up runs, further sequential runs of the bundled models make no operator new
// call on the running thread through run_into(), and through run() only the 3 per graph
// output that the returned map hands the caller (docs/performance.md, "Heap calls per
// run"); their outputs are bitwise equal to each other and to runs without the
// activation arena. Requests that fail, run concurrently or exceed a memory budget leave
// the arena's later requests correct.
// BRAID_ALLOC_BREAKDOWN=1 prints where the remaining allocations come from (call stacks).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "braid/braid.h"
#include "common/counting_allocator.h"
#include "common/test_util.h"
#include "core/fault_injection.h"
#include "session/session_impl.h"

namespace braid {
namespace {

using testing::same_bits;

std::string model_path(const std::string& name) { return testing::bundled_models_dir() + "/" + name + ".onnx"; }

std::shared_ptr<Runtime> quiet_runtime() {
  RuntimeOptions ro;
  ro.threads = 1;
  ro.monitor_machine = false;
  ro.calibrate = false;
  return Runtime::create(ro).value();
}

Session load(const std::string& model, bool arena = true) {
  SessionOptions so;
  so.mode = ExecutionMode::kSequential;
  so.threads = 1;
  so.runtime = quiet_runtime();
  if (!arena) setenv("BRAID_ACTIVATION_ARENA", "0", 1);
  auto s = Session::load(model_path(model), so);
  if (!arena) unsetenv("BRAID_ACTIVATION_ARENA");
  EXPECT_TRUE(s.ok()) << s.status().message();
  return std::move(s).value();
}

RunOptions sequential() {
  RunOptions seq;
  seq.mode = ExecutionMode::kSequential;
  return seq;
}

class RunAllocation : public ::testing::TestWithParam<std::string> {};

// run(): 3 operator new calls per graph output and nothing else -- the returned map's
// node, the output's shape and its storage's control block, which the caller keeps
// (docs/performance.md, "Heap calls per run").
TEST_P(RunAllocation, SteadyStateSequentialRunsMakeOnlyTheOutputsAllocationsWithTheSameBits) {
  const std::string model = GetParam();
  Session s = load(model);
  Session heap = load(model, /*arena=*/false);
  ASSERT_TRUE(s.impl().use_arena);
  ASSERT_FALSE(heap.impl().use_arena);
  const NamedTensors in = testing::random_inputs(s, 7);
  auto ref = heap.run(in, sequential());
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.run(in, sequential()).ok());  // warm-up

  constexpr int kRuns = 5;
  const bool breakdown = std::getenv("BRAID_ALLOC_BREAKDOWN") != nullptr;
  std::vector<Result<NamedTensors>> outs;
  outs.reserve(kRuns);
  double per_run = 0;
  std::string report;
  {
    testing::AllocationScope scope(breakdown);
    for (int i = 0; i < kRuns; ++i) outs.push_back(s.run(in, sequential()));
    per_run = static_cast<double>(scope.count()) / kRuns;
    if (breakdown) report = scope.stack_report(8, 60);
  }
  const double bound = 3.0 * static_cast<double>(s.outputs().size());
  std::printf("%s: %.1f operator new calls per sequential run (bound %.0f)\n", model.c_str(), per_run, bound);
  if (breakdown) std::printf("%s\n", report.c_str());
  EXPECT_LE(per_run, bound);
  for (auto& out : outs) {
    ASSERT_TRUE(out.ok()) << out.status().message();
    std::string which;
    EXPECT_TRUE(same_bits(*ref, *out, &which)) << which << " differs from the run without the arena";
  }
  EXPECT_EQ(s.impl().arena->blocks_allocated(), 1u);  // one request at a time: one block, reused
}

// run_into() `kRuns` times after three warm-up runs that fill the map and the pools;
// prints and returns the operator new calls per counted run (-1 when a run failed).
double run_into_allocations(Session& s, const NamedTensors& in, NamedTensors& out, const RunOptions& o,
                            const std::string& label) {
  for (int i = 0; i < 3; ++i)
    if (!s.run_into(in, out, o).ok()) return -1;
  constexpr int kRuns = 5;
  const bool breakdown = std::getenv("BRAID_ALLOC_BREAKDOWN") != nullptr;
  bool all_ok = true;
  uint64_t count = 0;
  std::string report;
  {
    testing::AllocationScope scope(breakdown);
    for (int i = 0; i < kRuns; ++i) all_ok = s.run_into(in, out, o).ok() && all_ok;
    count = scope.count();
    if (breakdown) report = scope.stack_report(8, 20);
  }
  const double per_run = static_cast<double>(count) / kRuns;
  std::printf("%s run_into: %.1f operator new calls per run\n%s", label.c_str(), per_run, report.c_str());
  return all_ok ? per_run : -1;
}

// run_into() with the same map every time: the outputs are written in place, so a
// steady-state run makes no heap allocation at all.
TEST_P(RunAllocation, SteadyStateRunIntoMakesNoHeapAllocation) {
  const std::string model = GetParam();
  Session s = load(model);
  Session heap = load(model, /*arena=*/false);
  const NamedTensors in = testing::random_inputs(s, 8);
  auto ref = heap.run(in, sequential());
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  NamedTensors out;
  const RunOptions seq = sequential();
  ASSERT_TRUE(s.run_into(in, out, seq).ok());
  const void* first_data = out.begin()->second.raw_data();
  EXPECT_EQ(run_into_allocations(s, in, out, seq, model + " sequential"), 0.0);
  EXPECT_EQ(out.begin()->second.raw_data(), first_data);  // the same buffer, written in place
  std::string which;
  EXPECT_TRUE(same_bits(*ref, out, &which)) << which;
}

// The parallel modes over the same arena: run_into with a reused map, adaptive and static,
// on a runtime with two threads. The executor's flow graph and counters are pooled and
// the activations planned, so a steady-state request allocates nothing either; the bits
// equal the sequential run's without the arena.
TEST_P(RunAllocation, SteadyStateParallelRunIntoMakesNoHeapAllocation) {
  const std::string model = GetParam();
  Session heap = load(model, /*arena=*/false);
  SessionOptions so;
  so.threads = 2;
  RuntimeOptions ro;
  ro.threads = 2;
  ro.monitor_machine = false;
  ro.calibrate = false;
  so.runtime = Runtime::create(ro).value();
  auto loaded = Session::load(model_path(model), so);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  Session& s = *loaded;
  const NamedTensors in = testing::random_inputs(s, 9);
  auto ref = heap.run(in, sequential());
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  for (ExecutionMode mode : {ExecutionMode::kAdaptive, ExecutionMode::kStatic}) {
    RunOptions o;
    o.mode = mode;
    NamedTensors out;
    const std::string name = mode == ExecutionMode::kAdaptive ? "adaptive" : "static";
    EXPECT_EQ(run_into_allocations(s, in, out, o, model + " " + name), 0.0) << name;
    std::string which;
    EXPECT_TRUE(same_bits(*ref, out, &which)) << name << ": " << which;
  }
}

INSTANTIATE_TEST_SUITE_P(Bundled, RunAllocation,
                         ::testing::Values("inception", "resnet", "wide_mlp", "ensemble", "transformer"));

TEST(RunInto, WritesCallerBuffersInPlaceButNeverSharedStorage) {
  Session s = load("wide_mlp");
  const NamedTensors in = testing::random_inputs(s, 4);
  auto ref = s.run(in, sequential());
  ASSERT_TRUE(ref.ok());
  const std::string name = ref->begin()->first;
  const Tensor& r = ref->begin()->second;
  // A view of caller memory of the right dtype and size is filled in place.
  std::vector<float> mine(static_cast<size_t>(r.numel()), -1.0f);
  NamedTensors out{{name, Tensor::view(DataType::kFloat32, r.shape(), mine.data())}};
  ASSERT_TRUE(s.run_into(in, out, sequential()).ok());
  EXPECT_EQ(out.at(name).raw_data(), mine.data());
  EXPECT_EQ(std::memcmp(mine.data(), r.raw_data(), r.byte_size()), 0);
  // Storage another Tensor shares is replaced, not overwritten.
  Tensor kept = Tensor::zeros(DataType::kFloat32, r.shape()).value();
  NamedTensors shared{{name, kept}};
  ASSERT_TRUE(s.run_into(in, shared, sequential()).ok());
  EXPECT_NE(shared.at(name).raw_data(), kept.raw_data());
  for (int64_t i = 0; i < kept.numel(); ++i) ASSERT_EQ(kept.data<float>()[i], 0.0f);
  std::string which;
  EXPECT_TRUE(same_bits(*ref, shared, &which)) << which;
  // A wrong dtype is replaced too; an empty map is filled as run() would.
  NamedTensors wrong{{name, Tensor::zeros(DataType::kInt32, r.shape()).value()}};
  ASSERT_TRUE(s.run_into(in, wrong, sequential()).ok());
  EXPECT_TRUE(same_bits(*ref, wrong, &which)) << which;
  NamedTensors empty;
  ASSERT_TRUE(s.run_into(in, empty, sequential()).ok());
  EXPECT_TRUE(same_bits(*ref, empty, &which)) << which;
  // Without the arena (BRAID_ACTIVATION_ARENA=0) outputs are still written in place.
  Session heap = load("wide_mlp", /*arena=*/false);
  std::vector<float> mine2(static_cast<size_t>(r.numel()), -1.0f);
  NamedTensors out2{{name, Tensor::view(DataType::kFloat32, r.shape(), mine2.data())}};
  ASSERT_TRUE(heap.run_into(in, out2, sequential()).ok());
  EXPECT_EQ(out2.at(name).raw_data(), mine2.data());
  EXPECT_EQ(std::memcmp(mine2.data(), r.raw_data(), r.byte_size()), 0);
  // Other modes use the same rule (their outputs are stored, not written in place).
  RunOptions adaptive;
  adaptive.mode = ExecutionMode::kAdaptive;
  NamedTensors par;
  ASSERT_TRUE(s.run_into(in, par, adaptive).ok());
  EXPECT_TRUE(same_bits(*ref, par, &which)) << which;
}

TEST(RunArena, FailedRequestsAndConcurrentRequestsLeaveLaterResultsIntact) {
  Session s = load("inception");
  Session heap = load("inception", /*arena=*/false);
  const NamedTensors in = testing::random_inputs(s, 9);
  auto ref = heap.run(in, sequential());
  ASSERT_TRUE(ref.ok());
  // A request that fails half-way gives its block back; the next one reuses it.
  for (int nth : {1, 20, 60}) {
    detail::fail_nth_kernel_call(nth);
    auto failed = s.run(in, sequential());
    detail::fail_nth_kernel_call(0);
    EXPECT_FALSE(failed.ok());
    auto out = s.run(in, sequential());
    ASSERT_TRUE(out.ok()) << out.status().message();
    std::string which;
    EXPECT_TRUE(same_bits(*ref, *out, &which)) << which << " after a failure at kernel call " << nth;
  }
  // Concurrent requests each lease a block of their own.
  std::atomic<int> bad{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c)
    clients.emplace_back([&] {
      for (int i = 0; i < 6; ++i) {
        auto out = s.run(in, sequential());
        std::string which;
        if (!out.ok() || !same_bits(*ref, *out, &which)) ++bad;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_LE(s.impl().arena->blocks_allocated(), 4u);
  // Graph outputs are the caller's: later runs do not change an earlier result.
  auto first = s.run(in, sequential());
  ASSERT_TRUE(first.ok());
  const NamedTensors other = testing::random_inputs(s, 10);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.run(other, sequential()).ok());
  std::string which;
  EXPECT_TRUE(same_bits(*ref, *first, &which)) << which << " changed after later runs";
}

TEST(RunArena, AMemoryBudgetStillFailsARequestThatCannotFitWithOutOfMemory) {
  SessionOptions so;
  so.mode = ExecutionMode::kAdaptive;
  so.memory_budget_bytes = 4096;
  auto loaded = Session::load(model_path("inception"), so);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  Session s = std::move(loaded).value();
  const NamedTensors in = testing::random_inputs(s, 1);
  for (int i = 0; i < 3; ++i) {
    auto out = s.run(in);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), StatusCode::kOutOfMemory) << out.status().message();
  }
  // Its requests' memory went back to the pool: a sequential run (not gated by the
  // scheduler) reuses it and succeeds.
  EXPECT_TRUE(s.run(in, sequential()).ok());
  EXPECT_EQ(s.impl().arena->blocks_allocated(), 1u);
}

}  // namespace
}  // namespace braid
