// Partitioner and DSDG micro-benchmarks: partition time of random DAGs (items = IR nodes)
// and the per-subgraph cost of the ready-set update (claim + complete), of record() and
// of predict_ns(). Targets (issue 4): 10,000-node DAG < 50 ms; ready-set update < 100 ns.
//
//   build/release/benchmarks/braid_partition_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <map>
#include <memory>

#include "dsdg/dsdg.h"
#include "dsdg/dsdg_request.h"
#include "partition/partitioner.h"
#include "unit/partition/test_graphs.h"

namespace braid::detail {
namespace {

const Graph& dag(int nodes) {
  static std::map<int, Graph> cache;
  auto it = cache.find(nodes);
  if (it == cache.end()) it = cache.emplace(nodes, testing::random_dag(nodes, 42)).first;
  return it->second;
}

// Arg 0: nodes; arg 1: merge threshold in ns (0: fork/join + chains only).
void BM_Partition(benchmark::State& state) {
  const Graph& g = dag(static_cast<int>(state.range(0)));
  PartitionOptions o;
  o.min_subgraph_cost_ns = static_cast<double>(state.range(1));
  size_t subgraphs = 0;
  for (auto _ : state) {
    auto plan = partition(g, o);
    if (!plan.ok()) state.SkipWithError(plan.status().message().c_str());
    subgraphs = plan->subgraphs.size();
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["subgraphs"] = static_cast<double>(subgraphs);
}
BENCHMARK(BM_Partition)->Args({1000, 0})->Args({10000, 0})->Args({10000, 2000})->Args({10000, 20000})
    ->Unit(benchmark::kMillisecond);

// With precomputed node costs: the partitioning itself, without the cost model.
void BM_PartitionWithCosts(benchmark::State& state) {
  const Graph& g = dag(static_cast<int>(state.range(0)));
  PartitionOptions o;
  o.min_subgraph_cost_ns = static_cast<double>(state.range(1));
  const std::vector<Cost> costs = estimate_node_costs(g);
  std::vector<double> ns(costs.size());
  for (size_t n = 0; n < costs.size(); ++n) ns[n] = estimate_time_ns(costs[n], o.balance);
  for (auto _ : state) {
    auto plan = partition_with_costs(g, costs, ns, o);
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PartitionWithCosts)->Args({10000, 0})->Args({10000, 20000})->Unit(benchmark::kMillisecond);

std::unique_ptr<Dsdg> make_dsdg(int nodes) {
  PartitionOptions o;  // no cost merging: thousands of subgraphs
  auto plan = partition(dag(nodes), o);
  return std::make_unique<Dsdg>(std::move(plan).value());
}

// One ready-set update per item: try_claim(s) + complete(s) over a whole request in
// topological order, single thread (the request is reset between passes, included).
void BM_ReadySetUpdate(benchmark::State& state) {
  auto d = make_dsdg(static_cast<int>(state.range(0)));
  DsdgRequest req(*d);
  size_t ready = 0;
  for (auto _ : state) {
    req.reset();
    for (SubgraphId s = 0; s < d->size(); ++s) {
      req.try_claim(s);
      req.complete(s, [&](SubgraphId) { ++ready; });
    }
  }
  benchmark::DoNotOptimize(ready);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(d->size()));
  state.counters["subgraphs"] = static_cast<double>(d->size());
  state.counters["ns_per_update"] =
      benchmark::Counter(static_cast<double>(state.iterations() * d->size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ReadySetUpdate)->Arg(1000)->Arg(10000);

// The same on several threads, each with its own request over one shared Dsdg.
void BM_ReadySetUpdateConcurrentRequests(benchmark::State& state) {
  static std::unique_ptr<Dsdg> shared;
  if (state.thread_index() == 0) shared = make_dsdg(2000);
  // Wait for thread 0's setup: google benchmark starts timing after all threads arrive.
  DsdgRequest* req = nullptr;
  std::unique_ptr<DsdgRequest> own;
  for (auto _ : state) {
    if (req == nullptr) {
      own = std::make_unique<DsdgRequest>(*shared);
      req = own.get();
    }
    req->reset();
    for (SubgraphId s = 0; s < shared->size(); ++s) {
      req->try_claim(s);
      req->complete(s, [](SubgraphId) {});
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(shared->size()));
}
BENCHMARK(BM_ReadySetUpdateConcurrentRequests)->Threads(1)->Threads(2)->UseRealTime();

void BM_DsdgRecord(benchmark::State& state) {
  auto d = make_dsdg(1000);
  SubgraphId s = 0;
  for (auto _ : state) {
    d->record(s, Precision::kF32, 2, 1000.0 + s);
    s = s + 1 == d->size() ? 0 : s + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DsdgRecord);

void BM_DsdgPredict(benchmark::State& state) {
  auto d = make_dsdg(1000);
  for (SubgraphId s = 0; s < d->size(); s += 2) d->record(s, Precision::kF32, 1, 1000.0);
  SubgraphId s = 0;
  double sum = 0;
  for (auto _ : state) {
    sum += d->predict_ns(s, Precision::kF32, 1);
    s = s + 1 == d->size() ? 0 : s + 1;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DsdgPredict);

}  // namespace
}  // namespace braid::detail
