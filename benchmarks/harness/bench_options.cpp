#include "bench_options.h"

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace braid::bench {
namespace {

template <class T>
bool parse_number(const std::string& s, T& out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && p == end;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

}  // namespace

const char* usage() {
  return "usage: braid-bench [MODEL.onnx ...] [options]\n"
         "  (no model: the bundled inception, wide_mlp, transformer, resnet, ensemble)\n"
         "  --model PATH            add a model (repeatable)\n"
         "  --models-dir DIR        where the bundled models are\n"
         "  --mode M                sequential|static|adaptive|all (default all)\n"
         "  --threads N             threads Braid may use (default: all cores)\n"
         "  --iterations N          measured runs per model and mode\n"
         "  --duration S            seconds per model and mode when no --iterations (default 3)\n"
         "  --warmup N              unmeasured runs first (default 5)\n"
         "  --seed N                input seed (default 42)\n"
         "  --interference SPEC     cpu:K | bursty:K:ON_MS:OFF_MS | mem:GiB (a competitor process)\n"
         "  --json PATH             write every figure as JSON (docs/braid-bench-report.schema.json)\n"
         "  --trace PATH            Chrome trace of every subgraph and node run and scheduling step\n"
         "                          (open in ui.perfetto.dev)\n"
         "  --profile               per model and mode: time per op type and the slowest nodes of the\n"
         "                          measured runs (as ORT's profiler or OpenVINO's -pc; two clock reads a node)\n"
         "  --html PATH             self-contained HTML report (histograms, CDFs, timeline)\n"
         "  --shape NAME:D1xD2...   dims of a dynamic input (repeatable)\n"
         "  --batch N               first dim of inputs whose first dim is dynamic\n"
         "  --input [NAME=]FILE.pb  an input from an ONNX TensorProto file (repeatable)\n"
         "  --progress | --no-progress  live progress line (default: when stdout is a terminal)\n"
         "  --together              run all the models at once, one client thread each, one shared runtime\n"
         "  --scenario S            single-stream (default) | multi-stream | server | offline\n"
         "  --concurrency N         multi-stream clients; in-flight bound for server/offline (default 2)\n"
         "  --cached-ceilings       efficiencies against the runtime's cached calibration instead of\n"
         "                          the FMA and STREAM probes run at start (saves about a second)\n"
         "  --qps Q | MODEL=Q       server: Poisson arrivals per second (MODEL=Q: that model's own,\n"
         "                          by file stem, e.g. per model under --together; repeatable)\n"
         "  --latency-bound MS      server: report the share of requests slower than MS\n"
         "  --memory-budget SIZE    activation memory bound, e.g. 512MiB (adaptive admission)\n"
         "  --graph-optimization none|basic  load-time graph fusion (default basic)\n"
         "  --precision P           f32 (default) | bf16 | int8 | adaptive | all (one row each)\n"
         "  --policy P              hybrid | critical-path | compute-first | memory-first: the\n"
         "                          scheduling policy of one runtime shared by every session\n"
         "  --compare ort           also run ONNX Runtime 1.30 (node + onnxruntime-node) on the same\n"
         "                          inputs and scenario, interleaved in rounds; with --interference: quiet,\n"
         "                          then loaded; outputs checked element by element\n"
         "  --rounds N              interleaved rounds of --compare (default 4)\n"
         "  --serve                 time blocks of runs on requests from stdin (for peer comparisons,\n"
         "                          see benchmarks/harness/serve.h); uses --threads\n"
         "  --help\n";
}

Result<size_t> parse_bytes(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  size_t n = 0;
  if (i == 0 || !parse_number(s.substr(0, i), n)) return invalid_argument("bad byte size '" + s + "'");
  std::string unit = s.substr(i);
  size_t mul = 1;
  if (unit.empty() || unit == "B") mul = 1;
  else if (unit == "KiB" || unit == "K") mul = size_t{1} << 10;
  else if (unit == "MiB" || unit == "M") mul = size_t{1} << 20;
  else if (unit == "GiB" || unit == "G") mul = size_t{1} << 30;
  else return invalid_argument("bad byte unit in '" + s + "' (use B, KiB, MiB, GiB)");
  if (n > SIZE_MAX / mul) return invalid_argument("byte size '" + s + "' overflows");
  return n * mul;
}

const char* interference_kind_name(Interference::Kind k) noexcept {
  switch (k) {
    case Interference::Kind::kNone: return "none";
    case Interference::Kind::kCpu: return "cpu";
    case Interference::Kind::kBursty: return "bursty";
    case Interference::Kind::kMemory: return "mem";
  }
  return "unknown";
}

Result<InputShape> parse_shape(const std::string& s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
    return invalid_argument("bad --shape '" + s + "' (NAME:D1xD2x...)");
  InputShape shape;
  shape.name = s.substr(0, colon);
  for (const std::string& d : split(s.substr(colon + 1), 'x')) {
    int64_t n = 0;
    if (!parse_number(d, n) || n < 0 || n > (int64_t{1} << 32))
      return invalid_argument("bad dim '" + d + "' in --shape '" + s + "'");
    shape.dims.push_back(n);
  }
  return shape;
}

Result<Interference> parse_interference(const std::string& s) {
  auto parts = split(s, ':');
  Interference it;
  if (parts[0] == "mem" && parts.size() == 2) {
    it.kind = Interference::Kind::kMemory;
    char* end = nullptr;
    const double gib = std::strtod(parts[1].c_str(), &end);
    if (parts[1].empty() || *end != 0 || !(gib > 0) || gib > 4096)
      return invalid_argument("bad GiB in --interference '" + s + "' (mem:GiB, e.g. mem:2 or mem:0.5)");
    it.memory_bytes = static_cast<size_t>(gib * static_cast<double>(size_t{1} << 30));
    it.threads = 1;
    return it;
  }
  if (parts[0] == "cpu" && parts.size() == 2) {
    it.kind = Interference::Kind::kCpu;
    if (!parse_number(parts[1], it.threads) || it.threads < 1 || it.threads > 1024)
      return invalid_argument("bad thread count in --interference '" + s + "'");
    return it;
  }
  if (parts[0] == "bursty" && parts.size() == 4) {
    it.kind = Interference::Kind::kBursty;
    if (!parse_number(parts[1], it.threads) || it.threads < 1 || it.threads > 1024 ||
        !parse_number(parts[2], it.on_ms) || it.on_ms < 1 || !parse_number(parts[3], it.off_ms) || it.off_ms < 0)
      return invalid_argument("bad numbers in --interference '" + s + "'");
    return it;
  }
  return invalid_argument("bad --interference '" + s + "' (cpu:K, bursty:K:ON_MS:OFF_MS or mem:GiB)");
}

const char* scenario_name(Scenario s) noexcept {
  switch (s) {
    case Scenario::kSingleStream: return "single-stream";
    case Scenario::kMultiStream: return "multi-stream";
    case Scenario::kServer: return "server";
    case Scenario::kOffline: return "offline";
  }
  return "unknown";
}

const char* scheduling_policy_name(SchedulingPolicyOption p) noexcept {
  switch (p) {
    case SchedulingPolicyOption::kHybrid: return "hybrid";
    case SchedulingPolicyOption::kCriticalPath: return "critical-path";
    case SchedulingPolicyOption::kComputeFirst: return "compute-first";
    case SchedulingPolicyOption::kMemoryFirst: return "memory-first";
  }
  return "unknown";
}

Result<SchedulingPolicyOption> parse_scheduling_policy(const std::string& s) {
  for (SchedulingPolicyOption p : {SchedulingPolicyOption::kHybrid, SchedulingPolicyOption::kCriticalPath,
                                   SchedulingPolicyOption::kComputeFirst, SchedulingPolicyOption::kMemoryFirst})
    if (s == scheduling_policy_name(p)) return p;
  return invalid_argument("unknown --policy '" + s + "' (hybrid|critical-path|compute-first|memory-first)");
}

Result<std::vector<PrecisionMode>> parse_precisions(const std::string& s) {
  if (s == "all") return std::vector<PrecisionMode>{PrecisionMode::kF32, PrecisionMode::kBF16, PrecisionMode::kInt8,
                                                    PrecisionMode::kAdaptive};
  auto m = parse_precision_mode(s);
  if (!m.ok()) return invalid_argument("unknown --precision '" + s + "' (f32|bf16|int8|adaptive|all)");
  return std::vector<PrecisionMode>{*m};
}

double BenchOptions::qps_for(const std::string& path) const {
  const std::string stem = std::filesystem::path(path).stem().string();
  for (const auto& [model, q] : model_qps)
    if (model == stem) return q;
  return qps;
}

Result<BenchOptions> parse_options(int argc, const char* const* argv) {
  BenchOptions o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> Result<std::string> {
      if (i + 1 >= argc) return invalid_argument(std::string(name) + " needs a value");
      return std::string(argv[++i]);
    };
    if (a == "--help" || a == "-h") {
      o.help = true;
    } else if (a == "--serve") {
      o.serve = true;
    } else if (a == "--cached-ceilings") {
      o.cached_ceilings = true;
    } else if (a == "--together") {
      o.together = true;
    } else if (a == "--graph-optimization") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value("--graph-optimization"));
      if (v == "none") o.graph_optimization = GraphOptimization::kNone;
      else if (v == "basic") o.graph_optimization = GraphOptimization::kBasic;
      else return invalid_argument("--graph-optimization takes none or basic, got '" + v + "'");
    } else if (a == "--model") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value("--model"));
      o.models.push_back(v);
    } else if (a == "--models-dir") {
      BRAID_ASSIGN_OR_RETURN(o.models_dir, value("--models-dir"));
    } else if (a == "--mode") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value("--mode"));
      if (v == "all") o.modes = {ExecutionMode::kSequential, ExecutionMode::kStatic, ExecutionMode::kAdaptive};
      else if (v == "sequential") o.modes = {ExecutionMode::kSequential};
      else if (v == "static") o.modes = {ExecutionMode::kStatic};
      else if (v == "adaptive") o.modes = {ExecutionMode::kAdaptive};
      else return invalid_argument("unknown --mode '" + v + "' (sequential|static|adaptive|all)");
    } else if (a == "--threads" || a == "--iterations" || a == "--warmup" || a == "--seed") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value(a.c_str()));
      int64_t n = 0;
      if (!parse_number(v, n) || n < 0 || n > 1000000000) return invalid_argument("bad number for " + a + ": '" + v + "'");
      if (a == "--threads") o.threads = static_cast<int>(n);
      else if (a == "--iterations") o.iterations = static_cast<int>(n);
      else if (a == "--warmup") o.warmup = static_cast<int>(n);
      else o.seed = static_cast<uint32_t>(n);
    } else if (a == "--duration") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value("--duration"));
      char* end = nullptr;
      o.duration_s = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != 0 || !(o.duration_s > 0) || o.duration_s > 86400)
        return invalid_argument("bad --duration '" + v + "'");
    } else if (a == "--interference") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value("--interference"));
      BRAID_ASSIGN_OR_RETURN(o.interference, parse_interference(v));
    } else if (a == "--json") {
      BRAID_ASSIGN_OR_RETURN(o.json_path, value("--json"));
    } else if (a == "--trace") {
      BRAID_ASSIGN_OR_RETURN(o.trace_path, value("--trace"));
    } else if (a == "--profile") {
      o.profile = true;
    } else if (a == "--html") {
      BRAID_ASSIGN_OR_RETURN(o.html_path, value("--html"));
    } else if (a == "--progress" || a == "--no-progress") {
      o.progress = a == "--progress" ? BenchOptions::Progress::kOn : BenchOptions::Progress::kOff;
    } else if (a == "--shape") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value("--shape"));
      BRAID_ASSIGN_OR_RETURN(InputShape shape, parse_shape(v));
      for (const InputShape& other : o.shapes)
        if (other.name == shape.name) return invalid_argument("--shape given twice for input '" + shape.name + "'");
      o.shapes.push_back(std::move(shape));
    } else if (a == "--batch") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value("--batch"));
      int64_t n = 0;
      if (!parse_number(v, n) || n < 1 || n > 1000000) return invalid_argument("bad --batch '" + v + "' (1..1000000)");
      o.batch = static_cast<int>(n);
    } else if (a == "--input") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value("--input"));
      InputFile f;
      const size_t eq = v.find('=');
      if (eq != std::string::npos) {
        f.name = v.substr(0, eq);
        f.path = v.substr(eq + 1);
      } else {
        f.path = v;
      }
      if (f.path.empty() || (eq != std::string::npos && f.name.empty()))
        return invalid_argument("bad --input '" + v + "' ([NAME=]FILE.pb)");
      o.input_files.push_back(std::move(f));
    } else if (a == "--scenario") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value("--scenario"));
      if (v == "single-stream") o.scenario = Scenario::kSingleStream;
      else if (v == "multi-stream") o.scenario = Scenario::kMultiStream;
      else if (v == "server") o.scenario = Scenario::kServer;
      else if (v == "offline") o.scenario = Scenario::kOffline;
      else return invalid_argument("unknown --scenario '" + v + "' (single-stream|multi-stream|server|offline)");
    } else if (a == "--concurrency") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value("--concurrency"));
      int64_t n = 0;
      if (!parse_number(v, n) || n < 1 || n > 1024) return invalid_argument("bad --concurrency '" + v + "' (1..1024)");
      o.concurrency = static_cast<int>(n);
    } else if (a == "--qps" || a == "--latency-bound") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value(a.c_str()));
      std::string model;
      const size_t eq = v.find('=');
      if (a == "--qps" && eq != std::string::npos) {  // --qps MODEL=Q
        model = v.substr(0, eq);
        v = v.substr(eq + 1);
        if (model.empty()) return invalid_argument("bad --qps '" + model + "=" + v + "' (MODEL=Q)");
        for (const auto& [name, q] : o.model_qps)
          if (name == model) return invalid_argument("--qps given twice for model '" + model + "'");
      }
      char* end = nullptr;
      const double x = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != 0 || !(x > 0) || x > 1e7) return invalid_argument("bad " + a + " '" + v + "'");
      if (!model.empty()) o.model_qps.emplace_back(model, x);
      else (a == "--qps" ? o.qps : o.latency_bound_ms) = x;
    } else if (a == "--memory-budget") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value("--memory-budget"));
      auto bytes = parse_bytes(v);
      if (!bytes.ok()) return bytes.status().with_context("--memory-budget");
      o.memory_budget = *bytes;
    } else if (a == "--precision") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value("--precision"));
      BRAID_ASSIGN_OR_RETURN(o.precisions, parse_precisions(v));
    } else if (a == "--policy") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value("--policy"));
      BRAID_ASSIGN_OR_RETURN(o.policy, parse_scheduling_policy(v));
      o.policy_given = true;
    } else if (a == "--compare") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value("--compare"));
      if (v != "ort") return invalid_argument("unknown --compare '" + v + "' (ort)");
      o.compare = Peer::kOrt;
    } else if (a == "--rounds") {
      BRAID_ASSIGN_OR_RETURN(std::string v, value("--rounds"));
      int64_t n = 0;
      if (!parse_number(v, n) || n < 1 || n > 1000) return invalid_argument("bad --rounds '" + v + "' (1..1000)");
      o.rounds = static_cast<int>(n);
    } else if (!a.empty() && a[0] == '-') {
      return invalid_argument("unknown option '" + a + "'");
    } else {
      o.models.push_back(a);
    }
  }
  if (o.scenario == Scenario::kServer && !(o.qps > 0) && o.model_qps.empty())
    return invalid_argument("--scenario server needs --qps (target arrivals per second)");
  if (o.compare != Peer::kNone && o.serve) return invalid_argument("--compare and --serve exclude each other");
  if (o.profile && (o.compare != Peer::kNone || o.serve))
    return invalid_argument("--profile profiles braid-bench's own runs: not with --compare or --serve");
  return o;
}

}  // namespace braid::bench
