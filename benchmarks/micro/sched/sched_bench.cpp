// Scheduler micro-benchmarks (issue 6): the dispatch overhead per subgraph, measured with
// empty subgraphs through the real Dispatcher (target < 2 us), and one scheduling step
// over a 1,000-subgraph ready set: building the candidates and planning the chunk, as
// Dispatcher::step does (target < 20 us).
//
//   build/release/benchmarks/braid_sched_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <atomic>
#include <random>
#include <vector>

#include <tbb/task_group.h>

#include "sched/chunk_planner.h"
#include "sched/dispatcher.h"

namespace braid::detail {
namespace {

std::vector<ReadyCandidate> random_candidates(size_t n) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<ReadyCandidate> c(n);
  for (size_t i = 0; i < n; ++i) {
    c[i].key = i;
    c[i].arrival = i;
    c[i].flops = 1e5 + 1e7 * u(rng);
    c[i].bytes = 1e4 + 1e6 * u(rng);
    c[i].working_set = 1e4 + 1e5 * u(rng);
    c[i].upward_rank_ns = 1e6 * u(rng);
    c[i].compute_bound = u(rng) < 0.5;
  }
  return c;
}

// Arg 0: ready subgraphs; arg 1: policy.
void BM_SchedulingStep(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const std::vector<ReadyCandidate> source = random_candidates(n);
  std::vector<ReadyCandidate> ready;
  ready.reserve(n);
  ChunkBudget budget;
  budget.cores_available = 2;
  budget.max_threads = 2;
  budget.memory_budget = 1e9;
  budget.cache_bytes = 32e6;
  PlannerConfig config;
  config.policy = static_cast<SchedulingPolicy>(state.range(1));
  ChunkDecision decision;
  decision.admit.reserve(64);
  for (auto _ : state) {
    ready.assign(source.begin(), source.end());  // the step copies the candidates too
    plan_chunk(ready, budget, config, decision);
    benchmark::DoNotOptimize(decision.admit.data());
  }
  state.SetLabel(scheduling_policy_name(config.policy));
  state.counters["admitted"] = static_cast<double>(decision.admit.size());
}
BENCHMARK(BM_SchedulingStep)
    ->ArgsProduct({{10, 100, 1000}, {static_cast<int>(SchedulingPolicy::kCriticalPath),
                                      static_cast<int>(SchedulingPolicy::kMemoryFirst)}})
    ->Unit(benchmark::kMicrosecond);

// Empty subgraphs through the Dispatcher: each job returns its threads and, in the chain,
// submits its successor. Items = subgraphs.
struct EmptyGraph {
  Dispatcher* dispatcher = nullptr;
  std::vector<Job> jobs;
  bool chain = false;
  std::atomic<size_t> done{0};
};

void run_empty(Job* job, int threads) {
  auto* g = static_cast<EmptyGraph*>(job->owner);
  g->dispatcher->release(threads, 0);
  g->done.fetch_add(1, std::memory_order_relaxed);
  if (g->chain && job->index + 1 < g->jobs.size()) g->dispatcher->submit(&g->jobs[job->index + 1]);
  g->dispatcher->pump();
}

void fail_empty(Job*, Status) {}

// Arg 0: subgraphs per run; arg 1: 1 = a chain (every hand-off waits for the previous
// one), 0 = all independent; arg 2: threads.
void BM_DispatchEmptySubgraphs(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const int threads = static_cast<int>(state.range(2));
  Dispatcher dispatcher(threads, nullptr, PlannerConfig{}, 0);
  EmptyGraph g;
  g.dispatcher = &dispatcher;
  g.chain = state.range(1) != 0;
  g.jobs.resize(n);
  tbb::task_group group;
  for (size_t i = 0; i < n; ++i) {
    Job& j = g.jobs[i];
    j.group = &group;
    j.run = run_empty;
    j.fail = fail_empty;
    j.owner = &g;
    j.index = static_cast<uint32_t>(i);
    j.candidate.flops = 1e3;  // one thread each
  }
  for (auto _ : state) {
    g.done.store(0, std::memory_order_relaxed);
    dispatcher.arena().execute([&] {
      if (g.chain) {
        dispatcher.submit(&g.jobs[0]);
      } else {
        for (Job& j : g.jobs) dispatcher.submit(&j);
      }
      dispatcher.pump();
      // The jobs pump when they finish; wait until every one has run.
      while (g.done.load(std::memory_order_relaxed) < n) group.wait();
    });
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  state.counters["ns_per_subgraph"] =
      benchmark::Counter(static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate |
                                                                          benchmark::Counter::kInvert);
  state.SetLabel(g.chain ? "chain" : "independent");
}
BENCHMARK(BM_DispatchEmptySubgraphs)
    ->Args({1000, 1, 1})
    ->Args({1000, 1, 2})
    ->Args({1000, 0, 1})
    ->Args({1000, 0, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace braid::detail
