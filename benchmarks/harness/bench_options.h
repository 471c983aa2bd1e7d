// Command-line options of braid-bench, parsed without exceptions: bad input gives a clear
// message and a non-zero exit.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "braid/options.h"
#include "braid/precision.h"
#include "braid/runtime.h"
#include "braid/status.h"

namespace braid::bench {

struct Interference {
  enum class Kind { kNone, kCpu, kBursty, kMemory } kind = Kind::kNone;
  int threads = 0;
  int on_ms = 0, off_ms = 0;
  size_t memory_bytes = 0;  // kMemory: the buffer streamed through (read-modify-write)
};
const char* interference_kind_name(Interference::Kind k) noexcept;  // "none", "cpu", "bursty", "mem"

// --shape name:d1xd2x...: the dims of one dynamic input.
struct InputShape {
  std::string name;
  std::vector<int64_t> dims;
};
// --input name=file.pb (or file.pb alone for a model with one input): an ONNX TensorProto.
struct InputFile {
  std::string name;  // empty: the model's only input
  std::string path;
};

// MLPerf LoadGen-style scenarios.
enum class Scenario {
  kSingleStream,  // one request at a time, latency percentiles
  kMultiStream,   // `concurrency` clients, each one request at a time
  kServer,        // Poisson arrivals at `qps` (Session::submit), latency from arrival
  kOffline,       // as many requests in flight as allowed: throughput
};
const char* scenario_name(Scenario s) noexcept;

// --policy: "hybrid", "critical-path", "compute-first", "memory-first".
const char* scheduling_policy_name(SchedulingPolicyOption p) noexcept;
Result<SchedulingPolicyOption> parse_scheduling_policy(const std::string& s);
// --precision: one mode, or "all" (f32, bf16, int8, adaptive: one row each).
Result<std::vector<PrecisionMode>> parse_precisions(const std::string& s);

// --compare ort: the peer runtime measured beside Braid (benchmarks/harness/compare.h).
enum class Peer { kNone, kOrt };

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
  std::string trace_path;  // --trace: Chrome trace (Trace Event Format)
  std::string html_path;   // --html: self-contained report page
  bool profile = false;    // --profile: per op type and slowest nodes, printed per model x mode
  std::vector<InputShape> shapes;  // --shape
  int batch = 0;                   // --batch: first dim of inputs whose first dim is dynamic (0: 1)
  std::vector<InputFile> input_files;  // --input
  enum class Progress { kAuto, kOn, kOff } progress = Progress::kAuto;  // --progress / --no-progress
  GraphOptimization graph_optimization = GraphOptimization::kBasic;  // --graph-optimization
  bool together = false;  // --together: all models at once, one client thread each
  bool cached_ceilings = false;  // --cached-ceilings: the runtime's calibration, not measured now
  bool serve = false;  // --serve: answer load/run requests on stdin (serve.h)
  Scenario scenario = Scenario::kSingleStream;
  int concurrency = 2;            // multi-stream clients / offline and server in-flight bound
  double qps = 0;                 // server: target arrivals per second (0: required)
  // --qps MODEL=Q: a model's own rate (MODEL: its file stem), e.g. under --together.
  std::vector<std::pair<std::string, double>> model_qps;
  // The server rate of the model at `path`: its own --qps MODEL=Q, else --qps Q.
  double qps_for(const std::string& path) const;
  double latency_bound_ms = 0;    // server: report the share of requests over it (0: none)
  size_t memory_budget = 0;       // --memory-budget: SessionOptions::memory_budget_bytes
  // --precision: SessionOptions::precision of the Braid sessions; several: one row each.
  std::vector<PrecisionMode> precisions{PrecisionMode::kF32};
  // --policy: the scheduling policy of one Runtime that every session shares; unset: the
  // process-wide default runtime (policy hybrid).
  bool policy_given = false;
  SchedulingPolicyOption policy = SchedulingPolicyOption::kHybrid;
  Peer compare = Peer::kNone;  // --compare ort
  int rounds = 4;              // --rounds: interleaved rounds of --compare
  bool help = false;
};

// "2GiB", "512MiB", "1024" -> bytes.
Result<size_t> parse_bytes(const std::string& s);
// "cpu:1", "bursty:1:50:50", "mem:2" (GiB; fractions allowed: "mem:0.25").
Result<Interference> parse_interference(const std::string& s);
// "data:1x3x224x224" -> {data, {1, 3, 224, 224}}.
Result<InputShape> parse_shape(const std::string& s);
Result<BenchOptions> parse_options(int argc, const char* const* argv);
const char* usage();

}  // namespace braid::bench
