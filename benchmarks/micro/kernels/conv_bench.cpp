// Conv throughput for every distinct conv layer of the bundled inception (GoogLeNet v1) and
// resnet (ResNet-18 chain) models at batch 1, the ensemble's 3x3 layers, plus
// depthwise layers (the ensemble model's
// MobileNet-like branch and MobileNet-v1 sizes), through the registered Conv kernel with
// constant weights (packed at load), bias and fused ReLU. Counters: GFLOPS, pct_peak, GBps,
// pct_stream (set_ceiling_counters in ceiling.h).
// Names: BM_Conv/<model>/<k>x<k>_<cin>-<cout>_<hw>_s<stride>[_dw]/threads:<n>; BM_ConvColdWeights/...
// the same for the layers with >= 1 MB of weights, each run on weights not in any cache;
// BM_ConvMaxPool/... the layers whose MaxPool graph fusion fuses (the stems, inception's
// 3x3 64 -> 192), pooled in the kernel.
#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "ceiling.h"
#include "op_runner.h"

namespace braid::bench {
namespace {

struct ConvLayer {
  std::string model;
  int64_t cin, cout, k, stride, pad, hw, group;
  int64_t pool_k = 0;  // > 0: with a fused MaxPool (pool_k x pool_k, stride 2; braid_fused_max_pool)

  int64_t out_hw() const { return (hw + 2 * pad - k) / stride + 1; }
  // Compulsory traffic: input, weights and bias read once, output written once.
  double bytes() const {
    return 4.0 * static_cast<double>(cin * hw * hw + cout * (cin / group) * k * k + cout + cout * out_hw() * out_hw());
  }
  double flops() const {
    return 2.0 * static_cast<double>(cout) * static_cast<double>(out_hw() * out_hw()) *
           static_cast<double>(cin / group * k * k);
  }
  std::string name() const {
    return model + "/" + std::to_string(k) + "x" + std::to_string(k) + "_" + std::to_string(cin) + "-" +
           std::to_string(cout) + "_" + std::to_string(hw) + "_s" + std::to_string(stride) + (group > 1 ? "_dw" : "");
  }
  auto key() const { return std::make_tuple(cin, cout, k, stride, pad, hw, group); }
};

// The layers of tools/peer/make_models.py (same channel plans, "same" padding k/2).
std::vector<ConvLayer> model_layers() {
  std::vector<ConvLayer> all;
  auto conv = [&](const std::string& m, int64_t cin, int64_t cout, int64_t k, int64_t s, int64_t hw,
                  int64_t pad = -1, int64_t group = 1) {
    all.push_back({m, cin, cout, k, s, pad < 0 ? k / 2 : pad, hw, group});
  };
  // resnet: stem, then (cout, stride) stages with 3x3 pairs and 1x1 projections.
  conv("resnet", 3, 64, 7, 2, 224, 3);
  int64_t c = 64, hw = 56;
  for (auto [cout, s] : std::vector<std::pair<int64_t, int64_t>>{{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1},
                                                                   {512, 2}, {512, 1}}) {
    conv("resnet", c, cout, 3, s, hw);
    const int64_t out = (hw + 2 - 3) / s + 1;
    conv("resnet", cout, cout, 3, 1, out);
    if (s != 1 || c != cout) conv("resnet", c, cout, 1, s, hw, 0);
    c = cout;
    hw = out;
  }
  // inception: stem, then modules (cin, c1, c3r, c3, c5r, c5, cp) at 28, 14 and 7.
  conv("inception", 3, 64, 7, 2, 224, 3);
  conv("inception", 64, 64, 1, 1, 56);
  conv("inception", 64, 192, 3, 1, 56);
  struct Module {
    int64_t c1, c3r, c3, c5r, c5, cp, hw;
  };
  const Module modules[] = {{64, 96, 128, 16, 32, 32, 28},     {128, 128, 192, 32, 96, 64, 28},
                            {192, 96, 208, 16, 48, 64, 14},    {160, 112, 224, 24, 64, 64, 14},
                            {128, 128, 256, 24, 64, 64, 14},   {112, 144, 288, 32, 64, 64, 14},
                            {256, 160, 320, 32, 128, 128, 14}, {256, 160, 320, 32, 128, 128, 7},
                            {384, 192, 384, 48, 128, 128, 7}};
  c = 192;
  for (const Module& m : modules) {
    conv("inception", c, m.c1, 1, 1, m.hw);
    conv("inception", c, m.c3r, 1, 1, m.hw);
    conv("inception", m.c3r, m.c3, 3, 1, m.hw);
    conv("inception", c, m.c5r, 1, 1, m.hw);
    conv("inception", m.c5r, m.c5, 5, 1, m.hw);
    conv("inception", c, m.cp, 1, 1, m.hw);
    c = m.c1 + m.c3 + m.c5 + m.cp;
  }
  // The ensemble's layers on its 3-channel input (the narrow-input kernel on AVX-512).
  conv("ensemble", 3, 32, 3, 1, 64);
  conv("ensemble", 3, 48, 5, 2, 64);
  conv("ensemble", 3, 32, 3, 2, 64);
  // ... and its 3x3 layers past them, whose rows (64, 32, 16, 8) are not whole 14-position
  // tiles: the GEMM paths.
  conv("ensemble", 32, 32, 3, 1, 64);
  conv("ensemble", 32, 64, 3, 1, 32);
  conv("ensemble", 64, 128, 3, 1, 16);
  conv("ensemble", 128, 256, 3, 1, 8);
  conv("ensemble", 48, 96, 3, 2, 32);
  conv("ensemble", 96, 96, 3, 1, 16);
  conv("ensemble", 96, 192, 3, 2, 16);
  // Depthwise: the ensemble's MobileNet-like branch and MobileNet-v1 sizes.
  for (auto [ch, s, hw] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {32, 1, 32}, {64, 2, 32}, {128, 1, 16}, {128, 2, 16}, {256, 1, 8}, {32, 1, 112}, {512, 1, 14}})
    conv("depthwise", ch, ch, 3, s, hw, 1, ch);
  // Drop repeated shapes (the first model that has one names it).
  std::vector<ConvLayer> unique;
  std::set<decltype(all[0].key())> seen;
  for (const ConvLayer& l : all)
    if (seen.insert(l.key()).second) unique.push_back(l);
  return unique;
}

Tensor random_tensor(const Shape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  Tensor t = Tensor::empty(DataType::kFloat32, shape).value();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

std::unique_ptr<BenchOp> make_conv(const ConvLayer& l, uint32_t weight_seed) {
  auto op = std::make_unique<BenchOp>("Conv", 11);
  op->input(random_tensor({1, l.cin, l.hw, l.hw}, 1), false);
  op->input(random_tensor({l.cout, l.cin / l.group, l.k, l.k}, weight_seed), true);
  op->input(random_tensor({l.cout}, 3), true);
  op->attr_ints("kernel_shape", {l.k, l.k});
  op->attr_ints("strides", {l.stride, l.stride});
  op->attr_ints("pads", {l.pad, l.pad, l.pad, l.pad});
  op->attr_int("group", l.group);
  op->attr_string("braid_fused_activation", "Relu");
  if (l.pool_k > 0) op->attr_ints("braid_fused_max_pool", {l.pool_k, 2, l.pool_k == 3 ? 1 : 0});
  return op;
}

double weight_bytes(const ConvLayer& l) { return 4.0 * static_cast<double>(l.cout * (l.cin / l.group) * l.k * l.k); }

// Cold weights: in a model the next run finds a layer's weights evicted by the other
// layers' (resnet's 45 MB exceed a 32 MB L3), while a benchmark repeating one layer keeps
// them in cache. `copies` > 1 cycles through that many instances of the layer, each with
// its own weights, so that each run streams its weights from memory.
void run_conv(benchmark::State& state, const ConvLayer& l, int threads, int copies = 1) {
  peak_gflops_per_core();
  stream_gbps();
  std::vector<std::unique_ptr<BenchOp>> ops;
  for (int i = 0; i < copies; ++i) {
    ops.push_back(make_conv(l, 2 + static_cast<uint32_t>(i)));
    if (Status s = ops.back()->create(); !s.ok()) {
      state.SkipWithError(s.to_string().c_str());
      return;
    }
  }
  tbb::task_arena arena(threads);
  size_t next = 0;
  arena.execute([&] {
    for (auto _ : state) {
      if (Status s = ops[next]->run(threads); !s.ok()) {
        state.SkipWithError(s.to_string().c_str());
        break;
      }
      next = next + 1 == ops.size() ? 0 : next + 1;
    }
  });
  set_ceiling_counters(state, l.flops(), l.bytes(), threads);
  state.counters["MFLOP"] = l.flops() * 1e-6;
}

const bool kRegistered = [] {
  for (const ConvLayer& l : model_layers()) {
    for (int threads : {1, 2}) {
      auto* b = benchmark::RegisterBenchmark(("BM_Conv/" + l.name() + "/threads:" + std::to_string(threads)).c_str(),
                                             [l, threads](benchmark::State& s) { run_conv(s, l, threads); });
      // One thread: CPU time (robust to preemption on a shared machine); two: wall time.
      if (threads > 1) b->UseRealTime();
    }
  }
  // The layers with the 3x3 stride-2 MaxPool after them fused (graph fusion does it): the
  // stems of both models (against BM_Conv's stem plus BM_MaxPool/resnet/3x3_64_112_s2) and
  // inception's 3x3 64 -> 192 at 56 (against BM_Conv's plus BM_MaxPool/inception/3x3_192_56_s2).
  for (ConvLayer l : model_layers()) {
    if (!(l.cin <= 4 && l.k == 7) && !(l.model == "inception" && l.cin == 64 && l.cout == 192)) continue;
    l.pool_k = 3;
    for (int threads : {1, 2}) {
      auto* b = benchmark::RegisterBenchmark(("BM_ConvMaxPool/" + l.name() + "/threads:" + std::to_string(threads)).c_str(),
                                             [l, threads](benchmark::State& s) { run_conv(s, l, threads); });
      if (threads > 1) b->UseRealTime();
    }
  }
  // The layers with at least 1 MB of weights again, cold: copies totalling >= 96 MB.
  for (const ConvLayer& l : model_layers()) {
    const double w = weight_bytes(l);
    if (w < (1 << 20)) continue;
    const int copies = static_cast<int>(std::ceil(96.0 * (1 << 20) / w));
    for (int threads : {1, 2}) {
      auto* b = benchmark::RegisterBenchmark(
          ("BM_ConvColdWeights/" + l.name() + "/threads:" + std::to_string(threads)).c_str(),
          [l, threads, copies](benchmark::State& s) { run_conv(s, l, threads, copies); });
      if (threads > 1) b->UseRealTime();
    }
  }
  return true;
}();

}  // namespace
}  // namespace braid::bench
