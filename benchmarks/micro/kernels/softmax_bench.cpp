// Softmax over the last axis through the registered kernel, at the transformer's attention
// shape (one head: 128 query rows of 128 scores) and two wider rows. Counter: ns_per_element
// (one element = read once, one exp, written once).
// Names: BM_Softmax/<rows>x<n>/threads:<t>.
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "op_runner.h"

namespace braid::bench {
namespace {

void run_softmax(benchmark::State& state, int64_t rows, int64_t n, int threads) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-8.0f, 8.0f);
  Tensor x = Tensor::empty(DataType::kFloat32, {1, rows, n}).value();
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = d(rng);
  BenchOp op("Softmax", 13);
  op.input(x, false);
  if (!run_op_in_arena(state, op, threads)) return;
  state.counters["ns_per_element"] = benchmark::Counter(
      static_cast<double>(rows * n) * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

const bool kRegistered = [] {
  const int64_t shapes[][2] = {{128, 128}, {64, 1000}, {8, 4096}};
  for (const auto& s : shapes) {
    for (int threads : {1, 2}) {
      const std::string name =
          "BM_Softmax/" + std::to_string(s[0]) + "x" + std::to_string(s[1]) + "/threads:" + std::to_string(threads);
      auto* b = benchmark::RegisterBenchmark(name.c_str(), [r = s[0], n = s[1], threads](benchmark::State& st) {
        run_softmax(st, r, n, threads);
      });
      if (threads > 1) b->UseRealTime();
    }
  }
  return true;
}();

}  // namespace
}  // namespace braid::bench
