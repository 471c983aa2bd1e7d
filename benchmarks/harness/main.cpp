// braid-bench: runs models in sequential, static and adaptive modes, optionally under a
// competing process, and prints latency percentiles side by side.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_options.h"
#include "braid/braid.h"
#include "interference.h"
#include "scenarios.h"
#include "serve.h"

using namespace braid;
using namespace braid::bench;
namespace fs = std::filesystem;

namespace {

struct Stats {
  std::string model;
  std::string mode;
  size_t runs = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, min = 0, max = 0, mean = 0;
  double throughput = 0;
  double over_bound_share = 0;  // server with --latency-bound
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  double idx = q * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(idx)), hi = static_cast<size_t>(std::ceil(idx));
  return v[lo] + (v[hi] - v[lo]) * (idx - static_cast<double>(lo));
}

Result<NamedTensors> make_inputs(const Session& s, uint32_t seed) {
  NamedTensors in;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const TensorInfo& info : s.inputs()) {
    Shape shape;
    for (int64_t d : info.shape) shape.push_back(d < 0 ? 1 : d);
    BRAID_ASSIGN_OR_RETURN(Tensor t, Tensor::empty(info.dtype, shape));
    if (info.dtype == DataType::kFloat32) {
      for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
    } else {
      std::memset(t.raw_data(), 0, t.byte_size());
    }
    in[info.name] = std::move(t);
  }
  return in;
}

Result<Stats> measure(const std::string& path, ExecutionMode mode, const BenchOptions& o) {
  SessionOptions so;
  so.mode = mode;
  so.threads = o.threads;
  so.graph_optimization = o.graph_optimization;
  so.memory_budget_bytes = o.memory_budget;
  so.max_in_flight = o.concurrency;
  BRAID_ASSIGN_OR_RETURN(Session s, Session::load(path, so));
  BRAID_ASSIGN_OR_RETURN(NamedTensors in, make_inputs(s, o.seed));
  for (int i = 0; i < o.warmup; ++i) {
    auto r = s.run(in);
    if (!r.ok()) return r.status();
  }
  BRAID_ASSIGN_OR_RETURN(ScenarioSamples samples, run_scenario(s, in, o));
  const std::vector<double>& ms = samples.latency_ms;
  if (ms.empty()) return invalid_argument("no request completed (a longer --duration?)");
  Stats st;
  st.model = fs::path(path).stem().string();
  st.mode = execution_mode_name(mode);
  st.runs = ms.size();
  st.p50 = percentile(ms, 0.5);
  st.p90 = percentile(ms, 0.9);
  st.p99 = percentile(ms, 0.99);
  st.p999 = percentile(ms, 0.999);
  st.min = *std::min_element(ms.begin(), ms.end());
  st.max = *std::max_element(ms.begin(), ms.end());
  double sum = 0;
  for (double v : ms) sum += v;
  st.mean = sum / static_cast<double>(ms.size());
  st.throughput = static_cast<double>(ms.size()) / samples.seconds;
  st.over_bound_share = static_cast<double>(samples.over_bound) / static_cast<double>(ms.size());
  return st;
}

std::string default_models_dir(const char* argv0) {
  fs::path exe = fs::weakly_canonical(fs::path(argv0));
  for (fs::path p : {exe.parent_path() / "../../models", exe.parent_path() / "../models", fs::path("models")})
    if (fs::exists(p / "inception.onnx")) return fs::weakly_canonical(p).string();
  return "models";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], "--competitor-child") == 0) {
    Interference spec;
    spec.kind = std::atoi(argv[4]) > 0 ? Interference::Kind::kBursty : Interference::Kind::kCpu;
    spec.threads = std::max(1, std::atoi(argv[2]));
    spec.on_ms = std::atoi(argv[3]);
    spec.off_ms = std::atoi(argv[4]);
    competitor_main(spec);
  }
  auto parsed = parse_options(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "braid-bench: %s\n%s", parsed.status().message().c_str(), usage());
    return 2;
  }
  BenchOptions o = std::move(parsed).value();
  if (o.help) {
    std::printf("%s", usage());
    return 0;
  }
  if (o.serve) return serve_main(o);
  if (o.models.empty()) {
    std::string dir = o.models_dir.empty() ? default_models_dir(argv[0]) : o.models_dir;
    for (const char* m : {"inception", "wide_mlp", "transformer", "resnet", "ensemble"})
      o.models.push_back(dir + "/" + m + ".onnx");
    if (o.iterations == 0 && o.duration_s == 3.0) o.duration_s = 2.0;
  }
  for (const std::string& m : o.models) {
    if (!fs::is_regular_file(m)) {
      std::fprintf(stderr, "braid-bench: model file not found: %s\n", m.c_str());
      return 2;
    }
  }
  Competitor competitor(o.interference);
  const std::string threads = o.threads > 0 ? std::to_string(o.threads) + " threads"
                                            : std::to_string(std::thread::hardware_concurrency()) + " threads (all cores)";
  std::string scenario = scenario_name(o.scenario);
  if (o.scenario == Scenario::kMultiStream || o.scenario == Scenario::kOffline)
    scenario += " (concurrency " + std::to_string(o.concurrency) + ")";
  if (o.scenario == Scenario::kServer)
    scenario += " (" + std::to_string(o.qps) + " qps, in flight <= " + std::to_string(o.concurrency) + ")";
  std::printf("braid %s | %s | %s | %s\n", version(), threads.c_str(), scenario.c_str(),
              o.interference.kind == Interference::Kind::kNone ? "quiet machine" : "with a competing process");
  std::printf("%-14s %-11s %7s %9s %9s %9s %9s %9s %9s\n", "model", "mode", "runs", "per s", "p50 ms", "p90 ms", "p99 ms",
              "max ms", "vs seq");
  std::vector<Stats> all;
  int failures = 0;
  for (const std::string& m : o.models) {
    double seq_p50 = 0;
    for (ExecutionMode mode : o.modes) {
      auto st = measure(m, mode, o);
      if (!st.ok()) {
        std::printf("%-14s %-11s FAILED: %s\n", fs::path(m).stem().c_str(), execution_mode_name(mode),
                    st.status().to_string().c_str());
        ++failures;
        continue;
      }
      if (mode == ExecutionMode::kSequential) seq_p50 = st->p50;
      std::printf("%-14s %-11s %7zu %9.1f %9.3f %9.3f %9.3f %9.3f %8.2fx", st->model.c_str(), st->mode.c_str(), st->runs,
                  st->throughput, st->p50, st->p90, st->p99, st->max, seq_p50 > 0 ? seq_p50 / st->p50 : 1.0);
      if (o.scenario == Scenario::kServer && o.latency_bound_ms > 0)
        std::printf("  %.1f%% over %.1f ms", 100.0 * st->over_bound_share, o.latency_bound_ms);
      std::printf("\n");
      std::fflush(stdout);
      all.push_back(*st);
    }
  }
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("peak RSS %.1f MiB\n", static_cast<double>(ru.ru_maxrss) / 1024.0);
  if (!o.json_path.empty()) {
    std::ofstream j(o.json_path);
    j << "{\"braid_version\": \"" << version() << "\", \"peak_rss_kib\": " << ru.ru_maxrss << ", \"results\": [";
    for (size_t i = 0; i < all.size(); ++i) {
      const Stats& s = all[i];
      j << (i ? "," : "") << "\n  {\"model\": \"" << s.model << "\", \"mode\": \"" << s.mode << "\", \"runs\": " << s.runs
        << ", \"p50_ms\": " << s.p50 << ", \"p90_ms\": " << s.p90 << ", \"p99_ms\": " << s.p99
        << ", \"p999_ms\": " << s.p999 << ", \"min_ms\": " << s.min << ", \"max_ms\": " << s.max
        << ", \"mean_ms\": " << s.mean << ", \"throughput_per_s\": " << s.throughput
        << ", \"over_bound_share\": " << s.over_bound_share << "}";
    }
    j << "\n]}\n";
  }
  return failures == 0 ? 0 : 1;
}
