// Command-line options of braid-bench, parsed without exceptions: bad input gives a clear
// message and a non-zero exit.
#pragma once

#include <string>
#include <vector>

#include "braid/options.h"
#include "braid/status.h"

namespace braid::bench {

struct Interference {
  enum class Kind { kNone, kCpu, kBursty } kind = Kind::kNone;
  int threads = 0;
  int on_ms = 0, off_ms = 0;
};

// MLPerf LoadGen-style scenarios.
enum class Scenario {
  kSingleStream,  // one request at a time, latency percentiles
  kMultiStream,   // `concurrency` clients, each one request at a time
  kServer,        // Poisson arrivals at `qps` (Session::submit), latency from arrival
  kOffline,       // as many requests in flight as allowed: throughput
};
const char* scenario_name(Scenario s) noexcept;

struct BenchOptions {
  std::vector<std::string> models;  // paths; empty: the bundled models in models_dir
  std::string models_dir;
  std::vector<ExecutionMode> modes{ExecutionMode::kSequential, ExecutionMode::kStatic, ExecutionMode::kAdaptive};
  int threads = 0;
  int iterations = 0;       // 0: time-based (duration_s)
  double duration_s = 3.0;  // per model and mode
  int warmup = 5;
  uint32_t seed = 42;
  Interference interference;
  std::string json_path;
  GraphOptimization graph_optimization = GraphOptimization::kBasic;  // --graph-optimization
  bool serve = false;  // --serve: answer load/run requests on stdin (serve.h)
  Scenario scenario = Scenario::kSingleStream;
  int concurrency = 2;            // multi-stream clients / offline and server in-flight bound
  double qps = 0;                 // server: target arrivals per second (0: required)
  double latency_bound_ms = 0;    // server: report the share of requests over it (0: none)
  size_t memory_budget = 0;       // --memory-budget: SessionOptions::memory_budget_bytes
  bool help = false;
};

// "2GiB", "512MiB", "1024" -> bytes.
Result<size_t> parse_bytes(const std::string& s);
// "cpu:1", "bursty:1:50:50".
Result<Interference> parse_interference(const std::string& s);
Result<BenchOptions> parse_options(int argc, const char* const* argv);
const char* usage();

}  // namespace braid::bench
