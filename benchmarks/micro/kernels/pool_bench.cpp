// MaxPool for every distinct pooling layer of the bundled inception (GoogLeNet v1) and
// resnet models (3x3 windows, pads 1) and the ensemble (2x2, stride 2, no pads) at batch 1
// (f32, NCHW), through the registered MaxPool kernel.
// Counters: ns_per_output (one output = one window) and GBps (input read once, output
// written once).
// Names: BM_MaxPool/<model>/<k>x<k>_<channels>_<hw>_s<stride>/threads:<n>.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "op_runner.h"

namespace braid::bench {
namespace {

struct PoolLayer {
  std::string model;
  int64_t channels, hw, stride, k = 3;
  int64_t pad() const { return k == 3 ? 1 : 0; }  // 3x3: pads 1 (resnet, inception); 2x2: none
  int64_t out_hw() const { return (hw + 2 * pad() - k) / stride + 1; }
  std::string name() const {
    return model + "/" + std::to_string(k) + "x" + std::to_string(k) + "_" + std::to_string(channels) + "_" +
           std::to_string(hw) + "_s" + std::to_string(stride);
  }
};

// The pools of tools/peer/make_models.py (benchmarks/peer/op_compare.py lists the same).
std::vector<PoolLayer> model_pools() {
  return {{"resnet", 64, 112, 2},     {"inception", 192, 56, 2}, {"inception", 192, 28, 1},
          {"inception", 256, 28, 1},  {"inception", 480, 28, 2}, {"inception", 480, 14, 1},
          {"inception", 512, 14, 1},  {"inception", 528, 14, 1}, {"inception", 832, 14, 2},
          {"inception", 832, 7, 1},   {"ensemble", 32, 64, 2, 2},  {"ensemble", 64, 32, 2, 2},
          {"ensemble", 128, 16, 2, 2}};
}

void run_pool(benchmark::State& state, const PoolLayer& l, int threads) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  Tensor x = Tensor::empty(DataType::kFloat32, {1, l.channels, l.hw, l.hw}).value();
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = d(rng);
  BenchOp op("MaxPool", 12);
  op.input(x, false);
  op.attr_ints("kernel_shape", {l.k, l.k});
  op.attr_ints("strides", {l.stride, l.stride});
  op.attr_ints("pads", {l.pad(), l.pad(), l.pad(), l.pad()});
  if (!run_op_in_arena(state, op, threads)) return;
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
