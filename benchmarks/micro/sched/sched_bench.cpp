// Scheduler micro-benchmarks (issue 6): the dispatch overhead per subgraph, measured with
// empty subgraphs through the real Dispatcher (target < 2 us), one scheduling step over a
// 1,000-subgraph ready set, as Dispatcher::step runs it on its ReadyQueue (target
// < 20 us), the per-node cost of elastic threads (borrow + repay), and what a kernel's
// intra-op split costs in equal shares against pieces claimed from a counter, and what
// node-run tracing (braid/trace.h) costs per node: off, a tracer installed that does not
// want node runs, and one that does.
//
//   build/release/benchmarks/braid_sched_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <atomic>
#include <random>
#include <vector>

#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include "braid/braid.h"
#include "dsdg/dsdg.h"
#include "model_builder/model_builder.h"
#include "exec/unit_executor.h"
#include "kernels/parallel.h"
#include "sched/chunk_planner.h"
#include "sched/dispatcher.h"
#include "sched/spawn_job.h"

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

// One dispatcher step over a ready set of n subgraphs: two new arrivals join the queue and
// the planner admits two (2 free threads), so the set stays at n. Arg 0: n; arg 1: 0 =
// steady policy, 1 = the effective policy flips every step (the queue is re-heaped: the
// worst case).
void BM_SchedulingStep(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const bool flip = state.range(1) != 0;
  std::vector<ReadyCandidate> pool = random_candidates(n + 4096);
  ReadyQueue queue;
  queue.reserve(n + 16);
  for (size_t i = 0; i < n; ++i) queue.push(pool[i]);
  ChunkBudget budget;
  budget.cores_available = 2;
  budget.max_threads = 2;
  budget.memory_budget = 1e12;
  budget.cache_bytes = 32e6;
  PlannerConfig config[2];
  config[0].policy = SchedulingPolicy::kCriticalPath;
  config[1].policy = SchedulingPolicy::kMemoryFirst;
  ChunkDecision decision;
  decision.admit.reserve(64);
  size_t next = n, step = 0;
  for (auto _ : state) {
    for (int a = 0; a < 2; ++a) {
      ReadyCandidate c = pool[next];
      c.arrival = next++;
      if (next == pool.size()) next = 0;
      queue.push(c);
    }
    plan_chunk(queue, budget, config[flip ? (step++ & 1) : 0], decision);
    benchmark::DoNotOptimize(decision.admit.data());
  }
  state.SetLabel(flip ? "policy flips every step" : "steady policy");
  state.counters["ready"] = static_cast<double>(queue.size());
  state.counters["admitted"] = static_cast<double>(decision.admit.size());
}
BENCHMARK(BM_SchedulingStep)->ArgsProduct({{10, 100, 1000}, {0, 1}})->Unit(benchmark::kMicrosecond);

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

// Elastic intra-op threads: what a node of an adaptive ONNX subgraph pays before and
// after it runs (GraphBody::run_step): borrow the idle thread, repay it (which pumps an
// empty queue). Arg 0: 1 = a session whose held-thread count (and cap) is kept too.
void BM_BorrowRepayPerNode(benchmark::State& state) {
  Dispatcher dispatcher(2, nullptr, PlannerConfig{}, 0);
  SessionThreads session;
  session.cap = 2;
  session.held = 1;  // the node's own admitted thread
  SessionThreads* s = state.range(0) != 0 ? &session : nullptr;
  int lent = 0;
  for (auto _ : state) {
    const int got = dispatcher.borrow(1, s);
    lent += got;
    dispatcher.repay(got, s);
  }
  benchmark::DoNotOptimize(lent);
  state.SetLabel(lent == static_cast<int>(state.iterations()) ? "lent every time" : "NOT lent every time");
}
BENCHMARK(BM_BorrowRepayPerNode)->Arg(0)->Arg(1);

// A kernel's split of 56 rows with no work in them over 2 threads: one equal share each
// (parallel_for_range, arg 0) against pieces of 4 rows claimed from a counter
// (parallel_for_pieces, arg 1: 14 pieces, one atomic add each). The difference is what
// the narrow-input convolution pays per node for taking pieces (its 56 rows at 56 x 56
// take ~1.5 ms on one thread).
void BM_IntraOpSplit(benchmark::State& state) {
  const bool pieces = state.range(0) != 0;
  const int64_t rows = 56;
  tbb::task_arena arena(2);
  std::atomic<int64_t> seen{0};
  auto body = [&](int64_t begin, int64_t end) { seen.fetch_add(end - begin, std::memory_order_relaxed); };
  arena.execute([&] {
    for (auto _ : state) {
      if (pieces) parallel_for_pieces(rows, 4, 2, body);
      else parallel_for_range(rows, 1, 2, body);
    }
  });
  state.SetLabel(seen.load() == rows * static_cast<int64_t>(state.iterations()) ? "every row once"
                                                                                 : "ROWS LOST OR REPEATED");
}
BENCHMARK(BM_IntraOpSplit)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();

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
    j.arena = &dispatcher.arena();
    j.run = run_empty;
    j.fail = fail_empty;
    j.owner = &g;
    j.index = static_cast<uint32_t>(i);
    j.candidate.flops = 1e3;  // one thread each
  }
  for (auto _ : state) {
    g.done.store(0, std::memory_order_relaxed);
    dispatcher.arena().execute([&] {
      t_in_arena = &dispatcher.arena();  // as a caller in the arena: spawns stay local
      if (g.chain) {
        dispatcher.submit(&g.jobs[0]);
      } else {
        for (Job& j : g.jobs) dispatcher.submit(&j);
      }
      dispatcher.pump();
      // The jobs pump when they finish; wait until every one has run.
      while (g.done.load(std::memory_order_relaxed) < n) group.wait();
      t_in_arena = nullptr;
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

// A DSDG skeleton without IR: `n` subgraphs, each one tiny (one thread), either a chain
// (s -> s+1) or a fan-out / fan-in (0 -> 1..n-2 -> n-1).
PartitionPlan skeleton(size_t n, bool chain) {
  PartitionPlan p;
  p.subgraphs.resize(n);
  for (size_t i = 0; i < n; ++i) {
    Subgraph& s = p.subgraphs[i];
    s.id = static_cast<SubgraphId>(i);
    s.cost.flops = 1e3;
    s.cost.bytes_read = 1e3;
    s.est_ns = 100;
  }
  auto link = [&](size_t a, size_t b) {
    p.subgraphs[a].succs.push_back(static_cast<SubgraphId>(b));
    p.subgraphs[b].preds.push_back(static_cast<SubgraphId>(a));
    p.edges.push_back({static_cast<SubgraphId>(a), static_cast<SubgraphId>(b), 1e3});
  };
  for (size_t i = 0; i + 1 < n; ++i) {
    if (chain) {
      link(i, i + 1);
    } else if (i > 0) {
      link(0, i);
      link(i, n - 1);
    }
  }
  p.max_width = chain ? 1 : static_cast<int>(n - 2);
  return p;
}

class EmptyUnits final : public UnitBody {
 public:
  Status run(uint32_t, int) override { return {}; }
};

// Whole requests of empty units through UnitExecutor::run (adaptive mode): the executor's
// per-request setup, its dependency tracking and the Dispatcher, per subgraph. Arg 0:
// subgraphs; arg 1: 1 = chain, 0 = fan-out/fan-in; arg 2: threads.
void BM_ExecutorEmptyUnits(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const bool chain = state.range(1) != 0;
  const int threads = static_cast<int>(state.range(2));
  Dispatcher dispatcher(threads, nullptr, PlannerConfig{}, 0);
  Dsdg dsdg(skeleton(n, chain));
  UnitExecutor executor(dispatcher, dsdg, threads);
  EmptyUnits body;
  RunOptions options;
  for (auto _ : state) {
    Status st = executor.run(body, ExecutionMode::kAdaptive, options);
    if (!st.ok()) state.SkipWithError(st.message().c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  state.counters["ns_per_subgraph"] =
      benchmark::Counter(static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate |
                                                                          benchmark::Counter::kInvert);
  state.SetLabel(chain ? "chain" : "fan-out");
}
BENCHMARK(BM_ExecutorEmptyUnits)
    ->Args({1000, 1, 1})
    ->Args({1000, 1, 2})
    ->Args({1000, 0, 2})
    ->Args({10, 0, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// Counts node runs; wants them when `nodes`.
struct CountingTracer final : RunTracer {
  bool nodes = false;
  std::atomic<int64_t> node_runs{0};
  void on_subgraph_run(const SubgraphRunEvent&) noexcept override {}
  bool wants_node_runs() const noexcept override { return nodes; }
  void on_node_run(const NodeRunEvent&) noexcept override { node_runs.fetch_add(1, std::memory_order_relaxed); }
};

// Per node, a sequential request of 200 Relu nodes over 16 floats (the node's own work
// ~10 ns): arg 0 = 0 no tracer, 1 a tracer that does not want node runs, 2 one that does
// (run_node's two clock reads and the call). The difference is the tracing's cost.
void BM_NodeTracing(benchmark::State& state) {
  constexpr int kNodes = 200;
  modelgen::GraphBuilder b("relu_chain", 1);
  std::string x = b.input("x", modelgen::DType::kFloat, {1, 16});
  for (int i = 0; i < kNodes; ++i) x = b.op("Relu", {x});
  b.output(x, modelgen::DType::kFloat, {1, 16});
  const std::string bytes = b.serialize();
  SessionOptions so;
  so.mode = ExecutionMode::kSequential;
  so.graph_optimization = GraphOptimization::kNone;
  auto session = Session::load_from_memory(bytes.data(), bytes.size(), so);
  if (!session.ok()) {
    state.SkipWithError(session.status().to_string().c_str());
    return;
  }
  auto in = Tensor::zeros(DataType::kFloat32, {1, 16});
  if (!in.ok()) {
    state.SkipWithError(in.status().to_string().c_str());
    return;
  }
  const NamedTensors inputs{{"x", *in}};
  CountingTracer tracer;
  tracer.nodes = state.range(0) == 2;
  set_run_tracer(state.range(0) == 0 ? nullptr : &tracer);
  for (auto _ : state) {
    auto out = session->run(inputs);
    benchmark::DoNotOptimize(out);
  }
  set_run_tracer(nullptr);
  state.counters["ns_per_node"] = benchmark::Counter(static_cast<double>(state.iterations() * kNodes),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetLabel(state.range(0) == 0 ? "off" : state.range(0) == 1 ? "tracer, no node runs" : "node runs");
  if (tracer.nodes && tracer.node_runs.load() < static_cast<int64_t>(state.iterations()) * kNodes)
    state.SkipWithError("node runs were not reported");
}
BENCHMARK(BM_NodeTracing)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace braid::detail
