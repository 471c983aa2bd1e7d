// Partitioner and DSDG micro-benchmarks: partition time of random DAGs (items = IR nodes)
// and the per-subgraph cost of the ready-set update (the executor's flow graph: count,
// fire, put), of record() and of predict_ns(). Targets (issue 4): 10,000-node DAG
// < 50 ms; ready-set update < 100 ns.
//
//   build/release/benchmarks/braid_partition_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <vector>

#include <tbb/flow_graph.h>

#include "dsdg/dsdg.h"
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

// The per-request ready set is a flow graph (exec/unit_executor.cpp builds it the same
// way): per subgraph a lightweight continue_node counting predecessors feeding a
// lightweight async_node gate, an edge per dependency. Here a gate's body only records
// the subgraph as ready and the loop puts its completion through the gateway at once,
// so what is timed is the ready-set update per subgraph (count, fire, put), without the
// Dispatcher. Single thread, one request per iteration.
void BM_FlowGraphReadySetUpdate(benchmark::State& state) {
  using tbb::flow::continue_msg;
  using Join = tbb::flow::continue_node<continue_msg, tbb::flow::lightweight>;
  using Gate = tbb::flow::async_node<continue_msg, continue_msg, tbb::flow::queueing_lightweight>;
  auto d = make_dsdg(static_cast<int>(state.range(0)));
  tbb::flow::graph g;
  tbb::flow::broadcast_node<continue_msg> start(g);
  std::vector<std::unique_ptr<Join>> joins;
  std::vector<std::unique_ptr<Gate>> gates;
  std::vector<SubgraphId> ready;
  ready.reserve(d->size());
  for (SubgraphId s = 0; s < d->size(); ++s) {
    joins.push_back(std::make_unique<Join>(g, [](const continue_msg& m) noexcept { return m; }));
    gates.push_back(std::make_unique<Gate>(g, tbb::flow::unlimited,
                                           [&ready, s](const continue_msg&, Gate::gateway_type&) noexcept {
                                             ready.push_back(s);
                                           }));
    tbb::flow::make_edge(*joins[s], *gates[s]);
  }
  for (SubgraphId s = 0; s < d->size(); ++s) {
    if (d->preds(s).empty()) tbb::flow::make_edge(start, *joins[s]);
    for (SubgraphId t : d->succs(s)) tbb::flow::make_edge(*gates[s], *joins[t]);
  }
  size_t done = 0;
  for (auto _ : state) {
    start.try_put(continue_msg());
    while (!ready.empty()) {
      const SubgraphId s = ready.back();
      ready.pop_back();
      gates[s]->gateway().try_put(continue_msg());
      ++done;
    }
  }
  g.wait_for_all();
  if (done != state.iterations() * d->size()) state.SkipWithError("not every subgraph became ready once");
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(d->size()));
  state.counters["subgraphs"] = static_cast<double>(d->size());
  state.counters["ns_per_update"] =
      benchmark::Counter(static_cast<double>(state.iterations() * d->size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_FlowGraphReadySetUpdate)->Arg(1000)->Arg(10000);

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
