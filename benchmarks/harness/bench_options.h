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
  bool help = false;
};

// "2GiB", "512MiB", "1024" -> bytes.
Result<size_t> parse_bytes(const std::string& s);
// "cpu:1", "bursty:1:50:50".
Result<Interference> parse_interference(const std::string& s);
Result<BenchOptions> parse_options(int argc, const char* const* argv);
const char* usage();

}  // namespace braid::bench
