// Graph fusion on vs off on one model, measured as *paired* runs in one process: the two
// sessions alternate run by run (ABBA order), so load from other processes hits both
// alike. Reports medians of wall time and of the calling thread's CPU time (sequential
// mode runs every kernel on the calling thread, so CPU time excludes preemption).
//
//   braid_fusion_bench build/models/resnet.onnx [iterations=200] [warmup=10]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "braid/braid.h"

using namespace braid;

namespace {

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

Result<Session> load(const std::string& path, GraphOptimization level) {
  SessionOptions o;
  o.mode = ExecutionMode::kSequential;
  o.threads = 1;
  o.graph_optimization = level;
  return Session::load(path, o);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s model.onnx [iterations=200] [warmup=10]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 200;
  const int warmup = argc > 3 ? std::atoi(argv[3]) : 10;
  auto off = load(path, GraphOptimization::kNone);
  auto on = load(path, GraphOptimization::kBasic);
  if (!off.ok() || !on.ok()) {
    std::fprintf(stderr, "load failed: %s\n", (off.ok() ? on.status() : off.status()).to_string().c_str());
    return 1;
  }
  NamedTensors in;
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const TensorInfo& info : off->inputs()) {
    Shape shape;
    for (size_t d = 0; d < info.shape.size(); ++d) shape.push_back(info.shape[d] >= 0 ? info.shape[d] : (d == 0 ? 1 : 224));
    auto t = Tensor::zeros(info.dtype, shape);
    if (!t.ok()) return 1;
    if (info.dtype == DataType::kFloat32)
      for (int64_t i = 0; i < t->numel(); ++i) t->data<float>()[i] = dist(rng);
    in[info.name] = std::move(t).value();
  }
  Session* sessions[2] = {&*off, &*on};
  std::vector<double> wall[2], cpu[2], ratio_cpu, ratio_wall;
  int64_t kernels[2] = {0, 0};
  for (int it = -warmup; it < iterations; ++it) {
    double w[2], c[2];
    for (int k = 0; k < 2; ++k) {
      const int s = (it & 1) ? 1 - k : k;  // ABBA: neither side always runs first
      RunStats stats;
      const double c0 = thread_cpu_ms();
      const auto t0 = std::chrono::steady_clock::now();
      auto r = sessions[s]->run(in, {}, &stats);
      w[s] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      c[s] = thread_cpu_ms() - c0;
      if (!r.ok()) {
        std::fprintf(stderr, "run failed: %s\n", r.status().to_string().c_str());
        return 1;
      }
      kernels[s] = stats.kernels_run;
    }
    if (it < 0) continue;
    for (int s = 0; s < 2; ++s) {
      wall[s].push_back(w[s]);
      cpu[s].push_back(c[s]);
    }
    ratio_cpu.push_back(c[1] / c[0]);
    ratio_wall.push_back(w[1] / w[0]);
  }
  std::printf("%s: %d paired runs, 1 thread, sequential\n", path.c_str(), iterations);
  std::printf("  fusion off: %3lld kernels, median wall %.3f ms, median thread CPU %.3f ms\n",
              static_cast<long long>(kernels[0]), median(wall[0]), median(cpu[0]));
  std::printf("  fusion on:  %3lld kernels, median wall %.3f ms, median thread CPU %.3f ms\n",
              static_cast<long long>(kernels[1]), median(wall[1]), median(cpu[1]));
  std::printf("  on/off: median of paired ratios: CPU %.3f, wall %.3f\n", median(ratio_cpu), median(ratio_wall));
  return 0;
}
