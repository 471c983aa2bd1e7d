// MaxPool for every distinct pooling layer of the bundled inception (GoogLeNet v1) and
// resnet models at batch 1 (f32, NCHW, 3x3 windows, pads 1), through the registered MaxPool kernel.
// Counters: ns_per_output (one output = one window of 9 taps) and GBps (input read once,
// output written once).
// Names: BM_MaxPool/<model>/3x3_<channels>_<hw>_s<stride>/threads:<n>.
#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "op_runner.h"

namespace braid::bench {
namespace {

struct PoolLayer {
  std::string model;
  int64_t channels, hw, stride;
  int64_t out_hw() const { return (hw + 2 - 3) / stride + 1; }  // pads 1, as in both models
  std::string name() const {
    return model + "/3x3_" + std::to_string(channels) + "_" + std::to_string(hw) + "_s" + std::to_string(stride);
  }
};

// The pools of tools/peer/make_models.py (benchmarks/peer/op_compare.py lists the same).
std::vector<PoolLayer> model_pools() {
  return {{"resnet", 64, 112, 2},     {"inception", 192, 56, 2}, {"inception", 192, 28, 1},
          {"inception", 256, 28, 1},  {"inception", 480, 28, 2}, {"inception", 480, 14, 1},
          {"inception", 512, 14, 1},  {"inception", 528, 14, 1}, {"inception", 832, 14, 2},
          {"inception", 832, 7, 1}};
}

void run_pool(benchmark::State& state, const PoolLayer& l, int threads) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  Tensor x = Tensor::empty(DataType::kFloat32, {1, l.channels, l.hw, l.hw}).value();
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = d(rng);
  BenchOp op("MaxPool", 12);
  op.input(x, false);
  op.attr_ints("kernel_shape", {3, 3});
  op.attr_ints("strides", {l.stride, l.stride});
  op.attr_ints("pads", {1, 1, 1, 1});
  if (Status s = op.create(); !s.ok()) {
    state.SkipWithError(s.to_string().c_str());
    return;
  }
  tbb::task_arena arena(threads);
  arena.execute([&] {
    for (auto _ : state) {
      if (Status s = op.run(threads); !s.ok()) {
        state.SkipWithError(s.to_string().c_str());
        break;
      }
    }
  });
  const double outputs = static_cast<double>(l.channels * l.out_hw() * l.out_hw());
  const double bytes = 4.0 * (static_cast<double>(l.channels * l.hw * l.hw) + outputs);
  state.counters["ns_per_output"] =
      benchmark::Counter(outputs * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["GBps"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
}

const bool kRegistered = [] {
  for (const PoolLayer& l : model_pools()) {
    for (int threads : {1, 2}) {
      auto* b = benchmark::RegisterBenchmark(("BM_MaxPool/" + l.name() + "/threads:" + std::to_string(threads)).c_str(),
                                             [l, threads](benchmark::State& s) { run_pool(s, l, threads); });
      if (threads > 1) b->UseRealTime();
    }
  }
  return true;
}();

}  // namespace
}  // namespace braid::bench
