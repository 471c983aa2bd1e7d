#include "compare.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "braid/braid.h"
#include "inputs.h"
#include "machine_info.h"
#include "interference.h"
#include "compare_print.h"
#include "identity_model.h"
#include "ort_peer.h"
#include "output_check.h"
#include "scenarios.h"

namespace fs = std::filesystem;

namespace braid::bench {
namespace {

using Clock = std::chrono::steady_clock;

double load_avg_1min() {
  double l[1] = {0};
  return getloadavg(l, 1) == 1 ? l[0] : -1;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// One configuration of one model: a Braid session or an ORT server's copy of the model.
struct Config {
  std::string runtime;  // braid | ort
  std::string name;
  bool f32 = false;  // Braid in f32 (its outputs are checked against ORT's)
  std::optional<Session> session;
  OrtServer* ort = nullptr;
  std::string ort_id;
  int trace_phase = -1;  // its TraceRecorder phase (Braid, with --trace/--html)
  int requests = 0;      // run() calls made (Braid, for the trace)
  // Per phase, reset between phases:
  std::vector<double> ms;
  std::vector<double> round_p50;
  double seconds = 0;
  double outer_seconds = 0, cpu_s = 0;  // cpu_s < 0: unknown in some block
  size_t requests_in_blocks = 0;        // measured and unmeasured
  int64_t peak_activation_bytes = -1;
  double first_run_ms = 0;
  std::string error;
  void reset_phase() {
    ms.clear();
    round_p50.clear();
    seconds = outer_seconds = cpu_s = 0;
    requests_in_blocks = 0;
    peak_activation_bytes = -1;
  }
};

// One block of runs of one configuration.
struct Block {
  std::vector<double> ms;
  double wall_s = 0;
  double outer_wall_s = 0;  // the whole block, unmeasured run included, seen from braid-bench
  double cpu_s = -1;        // CPU time of the process that ran it over the block; -1: unknown
  int64_t peak_activation_bytes = -1;
  std::vector<RequestSpan> spans;  // Braid's client requests, for the trace
};

struct Model {
  std::string name, path;
  NamedTensors inputs;
  std::vector<Config> configs;
  ModelWork work;  // per request, from the cost model of its first Braid session
  int block_iters = 1;
  double block_s = 0;  // time-based blocks of the concurrent scenarios
};

// What the comparison reports to besides its tables.
struct CompareObservers {
  TraceRecorder* trace = nullptr;
  ResourceTimeline* timeline = nullptr;
};

std::string interference_spec(const Interference& it) {
  switch (it.kind) {
    case Interference::Kind::kNone: return "none";
    case Interference::Kind::kCpu: return "cpu:" + std::to_string(it.threads);
    case Interference::Kind::kBursty:
      return "bursty:" + std::to_string(it.threads) + ":" + std::to_string(it.on_ms) + ":" + std::to_string(it.off_ms);
    case Interference::Kind::kMemory:
      return "mem:" + std::to_string(static_cast<double>(it.memory_bytes) / static_cast<double>(size_t{1} << 30)).substr(0, 4);
  }
  return "?";
}

// Writes in<k>.bin (raw) and in<k>.shape for ort_serve.mjs, in the model's input order.
Status write_inputs(const Session& s, const NamedTensors& in, const fs::path& dir) {
  fs::create_directories(dir);
  for (size_t k = 0; k < s.inputs().size(); ++k) {
    const Tensor& t = in.at(s.inputs()[k].name);
    std::ofstream bin(dir / ("in" + std::to_string(k) + ".bin"), std::ios::binary);
    bin.write(static_cast<const char*>(t.raw_data()), static_cast<std::streamsize>(t.byte_size()));
    std::ofstream shape(dir / ("in" + std::to_string(k) + ".shape"));
    for (int64_t d : t.shape()) shape << d << ' ';
    if (!bin || !shape) return internal_error("cannot write the inputs to " + dir.string());
  }
  return {};
}

int os_tid() { return static_cast<int>(syscall(SYS_gettid)); }

int64_t ns_of(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// Single-stream: `warmup` unmeasured then `iters` timed run() calls, one at a time.
Result<Block> braid_block(const Session& s, const NamedTensors& in, int warmup, int iters, bool spans) {
  Block b;
  RunStats stats;
  const int tid = os_tid();
  for (int i = 0; i < warmup + iters; ++i) {
    const auto t0 = Clock::now();
    auto r = s.run(in, {}, &stats);
    const auto t1 = Clock::now();
    if (!r.ok()) return r.status();
    if (i < warmup) continue;
    b.ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    b.wall_s += b.ms.back() / 1e3;
    b.peak_activation_bytes = std::max(b.peak_activation_bytes, static_cast<int64_t>(stats.peak_activation_bytes));
    if (spans) b.spans.push_back({ns_of(t0), ns_of(t1), tid});
  }
  return b;
}

// `warmup` unmeasured then `iters` timed runs of `c`, one at a time (single-stream, and the
// warm-up of every scenario).
Result<Block> single_block(Model& m, Config& c, int warmup, int iters, bool spans) {
  if (c.ort) {
    BRAID_ASSIGN_OR_RETURN(std::string reply, c.ort->request("run " + c.ort_id + " " + std::to_string(warmup) + " " +
                                                                 std::to_string(iters)));
    BRAID_ASSIGN_OR_RETURN(BlockReply r, parse_block_reply(reply));
    Block b;
    b.ms = std::move(r.ms);
    for (double v : b.ms) b.wall_s += v / 1e3;
    return b;
  }
  c.requests += warmup + iters;
  return braid_block(*c.session, m.inputs, warmup, iters, spans);
}

// One measured block of `c` in the run's scenario: single-stream after one unmeasured run;
// the others after one unmeasured run too, `iters` requests (or m.block_s seconds when 0),
// through scenarios.h for Braid and ort_serve.mjs's `scenario` request for ORT.
Result<Block> run_block(Model& m, Config& c, const BenchOptions& o, int iters) {
  const bool spans = !o.trace_path.empty() || !o.html_path.empty();
  if (o.scenario == Scenario::kSingleStream) return single_block(m, c, 1, std::max(iters, 1), spans);
  if (c.ort) {
    char qps[32], seconds[32];
    std::snprintf(qps, sizeof qps, "%.6g", o.qps_for(m.path));
    std::snprintf(seconds, sizeof seconds, "%.6g", iters > 0 ? 0.0 : m.block_s);
    BRAID_ASSIGN_OR_RETURN(std::string reply,
                           c.ort->request("scenario " + c.ort_id + " " + scenario_name(o.scenario) + " " +
                                          std::to_string(o.concurrency) + " " + qps + " " + seconds + " " +
                                          std::to_string(std::max(iters, 0)) + " " + std::to_string(o.seed)));
    BRAID_ASSIGN_OR_RETURN(ScenarioReply r, parse_scenario_reply(reply));
    Block b;
    b.ms = std::move(r.ms);
    b.wall_s = r.wall_s;
    return b;
  }
  auto warm = c.session->run(m.inputs);  // one unmeasured run, as ort_serve.mjs does
  if (!warm.ok()) return warm.status();
  BenchOptions ob = o;
  ob.iterations = std::max(iters, 0);
  ob.duration_s = iters > 0 ? o.duration_s : m.block_s;
  BRAID_ASSIGN_OR_RETURN(ScenarioSamples samples, run_scenario(*c.session, m.inputs, ob));
  c.requests += 1 + static_cast<int>(samples.latency_ms.size());
  Block b;
  b.ms = std::move(samples.latency_ms);
  b.wall_s = samples.seconds;
  b.peak_activation_bytes = samples.peak_activation_bytes;
  b.spans = std::move(samples.spans);
  if (b.ms.empty()) return invalid_argument("no request completed in a block (a longer --duration?)");
  return b;
}

double own_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// run_block() with the CPU time of the process that runs it: ORT's node process by PID;
// braid-bench's own unless `shared_process` (--together: the models' Braid blocks run at once
// in this process, so its CPU time is not one configuration's).
Result<Block> timed_block(Model& m, Config& c, const BenchOptions& o, int iters, bool shared_process) {
  const bool own = !c.ort;
  const double cpu0 = own ? (shared_process ? -1 : own_cpu_seconds()) : process_cpu_seconds(c.ort->pid());
  const auto t0 = Clock::now();
  auto b = run_block(m, c, o, iters);
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu1 = own ? (shared_process ? -1 : own_cpu_seconds()) : process_cpu_seconds(c.ort->pid());
  if (b.ok()) {
    b->outer_wall_s = wall;
    b->cpu_s = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
  }
  return b;
}

// Adds one measured block to `c`'s figures of the phase.
void add_block(Config& c, Block& b, TraceRecorder* trace) {
  c.round_p50.push_back(median(b.ms));
  c.ms.insert(c.ms.end(), b.ms.begin(), b.ms.end());
  c.seconds += b.wall_s;
  c.outer_seconds += b.outer_wall_s;
  c.cpu_s = c.cpu_s < 0 || b.cpu_s < 0 ? -1 : c.cpu_s + b.cpu_s;
  c.requests_in_blocks += b.ms.size() + 1;  // every block starts with one unmeasured run
  c.peak_activation_bytes = std::max(c.peak_activation_bytes, b.peak_activation_bytes);
  if (trace && c.trace_phase >= 0 && !b.spans.empty()) trace->add_requests(c.trace_phase, b.spans);
}

// Loads and warms up every configuration of `path`; the first run is timed on its own.
// With a TraceRecorder each Braid configuration's warm-up is a trace phase of its own (named
// model / config), so that its later runs are attributed to it by plan.
Model prepare_model(const std::string& path, const BenchOptions& o, const std::shared_ptr<Runtime>& runtime,
                    const std::vector<std::pair<std::string, OrtServer*>>& orts, const fs::path& work, int index,
                    TraceRecorder* trace) {
  Model m;
  m.path = path;
  m.name = fs::path(path).stem().string();
  for (ExecutionMode mode : o.modes)
    for (PrecisionMode p : o.precisions) {
      Config c;
      c.runtime = "braid";
      c.name = std::string(execution_mode_name(mode)) + "/" + precision_mode_name(p);
      c.f32 = p == PrecisionMode::kF32;
      SessionOptions so;
      so.mode = mode;
      so.threads = o.threads;
      so.graph_optimization = o.graph_optimization;
      so.memory_budget_bytes = o.memory_budget;
      so.precision = p;
      so.runtime = runtime;
      so.max_in_flight = o.concurrency;  // server and offline submit() up to this many
      auto s = Session::load(path, so);
      if (!s.ok()) c.error = s.status().to_string();
      else c.session.emplace(std::move(s).value());
      if (c.session && m.work.flops < 0) m.work = model_work(*c.session);
      if (c.session && m.inputs.empty()) {
        auto in = make_inputs(*c.session, o);
        if (!in.ok()) c.error = in.status().to_string();
        else m.inputs = std::move(in).value();
        if (c.error.empty()) {
          Status st = write_inputs(*c.session, m.inputs, work / ("model" + std::to_string(index)));
          if (!st.ok()) c.error = st.to_string();
        }
      }
      if (c.error.empty() && m.inputs.empty()) c.error = "no inputs (an earlier configuration failed to load)";
      m.configs.push_back(std::move(c));
    }
  const fs::path in_dir = work / ("model" + std::to_string(index));
  for (const auto& [name, server] : orts) {
    Config c;
    c.runtime = "ort";
    c.name = name;
    c.ort = server;
    c.ort_id = "m" + std::to_string(index);
    if (m.inputs.empty()) {
      c.error = "no inputs (Braid failed to load the model)";
    } else {
      auto r = server->request("load " + c.ort_id + " sequential " + in_dir.string() + " " + fs::absolute(path).string());
      if (!r.ok()) c.error = r.status().message();
    }
    m.configs.push_back(std::move(c));
  }
  // Warm-up, and the speed that sizes a block.
  double slowest_ms = 0;
  for (Config& c : m.configs) {
    if (!c.error.empty()) continue;
    if (trace && c.session)
      c.trace_phase = trace->begin_phase(m.name, c.name, static_cast<int>(c.session->subgraph_profile().size()));
    auto first = single_block(m, c, 0, 1, false);
    auto probe = first.ok() ? single_block(m, c, std::max(0, o.warmup - 1), 3, false) : first;
    if (trace && c.session) trace->suspend_phase();
    if (!probe.ok()) {
      c.error = probe.status().to_string();
      continue;
    }
    c.first_run_ms = first->ms[0];
    slowest_ms = std::max(slowest_ms, median(probe->ms));
  }
  // Time-based: every configuration gets about --duration seconds per phase, in --rounds
  // blocks: single-stream blocks sized on the slowest configuration, so that every
  // configuration runs as often; the other scenarios' blocks last --duration / --rounds.
  if (o.iterations == 0) {
    m.block_iters = static_cast<int>(std::clamp(o.duration_s * 1000.0 / o.rounds / std::max(slowest_ms, 1e-3), 1.0, 100000.0));
    m.block_s = o.duration_s / o.rounds;
  }
  return m;
}

// Requests per block in round `r`: --iterations spread over the rounds; else single-stream's
// sized count, or 0 (time-based: m.block_s) for the concurrent scenarios.
int block_iterations(const Model& m, const BenchOptions& o, int r, int rounds) {
  if (o.iterations > 0) return o.iterations / rounds + (r < o.iterations % rounds ? 1 : 0);
  return o.scenario == Scenario::kSingleStream ? m.block_iters : 0;
}

// Runs every round of one phase.
void run_phase(std::vector<Model>& models, const BenchOptions& o, int rounds, TraceRecorder* trace) {
  for (Model& m : models)
    for (Config& c : m.configs) c.reset_phase();
  for (int r = 0; r < rounds; ++r) {
    for (Model& m : models) {
      const int iters = block_iterations(m, o, r, rounds);
      const size_t n = m.configs.size();
      for (size_t k = 0; k < n; ++k) {
        Config& c = m.configs[(k + static_cast<size_t>(r)) % n];  // rotated order
        if (!c.error.empty()) continue;
        auto b = timed_block(m, c, o, iters, false);
        if (!b.ok()) {
          c.error = b.status().to_string();
          continue;
        }
        add_block(c, *b, trace);
        // The process that ran the block goes idle (ORT's pool spins ~40 ms after its last
        // run: a core at 2 threads) before the next configuration runs.
        wait_until_idle(c.ort != nullptr ? c.ort->pid() : getpid());
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  }
}

// --together: one round runs every configuration once, and each configuration's blocks of
// all the models at the same time (one thread per model): Braid's sessions share their
// Runtime, ORT's are separate processes per model, as two services embedding it run.
// Blocks are sized per model to the same duration, so the models overlap throughout.
void run_phase_together(std::vector<Model>& models, const BenchOptions& o, int rounds, TraceRecorder* trace) {
  for (Model& m : models)
    for (Config& c : m.configs) c.reset_phase();
  size_t n = 0;
  for (const Model& m : models) n = std::max(n, m.configs.size());
  for (int r = 0; r < rounds; ++r) {
    for (size_t k = 0; k < n; ++k) {
      const size_t index = (k + static_cast<size_t>(r)) % n;  // rotated order
      std::vector<std::thread> clients;
      for (Model& m : models)
        clients.emplace_back([&m, &o, index, r, rounds, trace] {
          if (index >= m.configs.size()) return;
          Config& c = m.configs[index];
          if (!c.error.empty()) return;
          auto b = timed_block(m, c, o, block_iterations(m, o, r, rounds), true);
          if (!b.ok()) {
            c.error = b.status().to_string();
            return;
          }
          add_block(c, *b, trace);
        });
      for (std::thread& t : clients) t.join();
      for (const Model& m : models)  // every process that ran a block goes idle
        if (index < m.configs.size() && m.configs[index].ort != nullptr) wait_until_idle(m.configs[index].ort->pid());
      wait_until_idle(getpid());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

// ORT's best configuration of a model: the highest throughput in the offline scenario
// (which is about throughput), else the lowest p50.
bool better_ort(const CompareRow& a, const CompareRow& b, Scenario scenario) {
  return scenario == Scenario::kOffline ? a.throughput > b.throughput : a.latency.p50 < b.latency.p50;
}

ComparePhase summarize_phase(const std::vector<Model>& models, const std::string& name, const std::string& spec,
                             double ort_overhead_ms, const BenchOptions& o, const Ceilings& ceilings) {
  ComparePhase ph;
  ph.name = name;
  ph.interference = spec;
  const int64_t braid_rss = process_peak_rss_kib(getpid());
  for (const Model& m : models) {
    const CompareRow* best_ort = nullptr;
    const size_t first = ph.rows.size();
    for (const Config& c : m.configs) {
      CompareRow row;
      row.model = m.name;
      row.runtime = c.runtime;
      row.config = c.name;
      row.error = c.error;
      row.first_run_ms = c.first_run_ms;
      row.peak_rss_kib = c.ort ? process_peak_rss_kib(c.ort->pid()) : braid_rss;
      if (c.error.empty() && !c.ms.empty()) {
        row.runs = c.ms.size();
        row.latency = summarize(c.ms);
        row.latency_ms = c.ms;
        row.seconds = c.seconds;
        row.throughput = c.seconds > 0 ? static_cast<double>(c.ms.size()) / c.seconds : 0;
        row.peak_activation_bytes = c.peak_activation_bytes;
        row.efficiency = efficiency(m.work, row.throughput, ceilings);
        if (c.cpu_s >= 0 && c.requests_in_blocks > 0) {
          row.cpu_ms_per_request = 1e3 * c.cpu_s / static_cast<double>(c.requests_in_blocks);
          row.cores_busy = c.outer_seconds > 0 ? c.cpu_s / c.outer_seconds : -1;
        }
        row.round_p50_min = *std::min_element(c.round_p50.begin(), c.round_p50.end());
        row.round_p50_max = *std::max_element(c.round_p50.begin(), c.round_p50.end());
        if (o.scenario == Scenario::kServer && o.latency_bound_ms > 0) {
          const auto over = std::count_if(c.ms.begin(), c.ms.end(), [&](double v) { return v > o.latency_bound_ms; });
          row.over_bound_share = static_cast<double>(over) / static_cast<double>(c.ms.size());
        }
      }
      ph.rows.push_back(row);
    }
    for (size_t i = first; i < ph.rows.size(); ++i)
      if (ph.rows[i].runtime == "ort" && ph.rows[i].runs > 0 && (!best_ort || better_ort(ph.rows[i], *best_ort, o.scenario)))
        best_ort = &ph.rows[i];
    if (!best_ort) continue;
    for (size_t i = first; i < ph.rows.size(); ++i) {
      const CompareRow& b = ph.rows[i];
      if (b.runtime != "braid" || b.runs == 0) continue;
      CompareRatio k{m.name, b.config, best_ort->config, b.latency.p50 / best_ort->latency.p50,
                     b.latency.p99 / best_ort->latency.p99};
      k.throughput_ratio = best_ort->throughput > 0 ? b.throughput / best_ort->throughput : 0;
      ph.ratios.push_back(k);
    }
  }
  if (ort_overhead_ms >= 0)
    for (CompareRatio& k : ph.ratios) {
      const CompareRow* b = nullptr;
      const CompareRow* ort = nullptr;
      for (const CompareRow& r : ph.rows) {
        if (r.model != k.model) continue;
        if (r.runtime == "braid" && r.config == k.braid_config) b = &r;
        if (r.runtime == "ort" && r.config == k.ort_config) ort = &r;
      }
      k.p50_ratio_corrected = b->latency.p50 / std::max(ort->latency.p50 - ort_overhead_ms, 1e-6);
      k.p99_ratio_corrected = b->latency.p99 / std::max(ort->latency.p99 - ort_overhead_ms, 1e-6);
    }
  return ph;
}

// Every Braid configuration of `m` against ORT's first configuration, element by element,
// for one request with the shared inputs: f32 configurations must agree within
// kF32OutputTolerance; the others (bf16, int8, adaptive precision) are reported with their
// error but not checked.
std::vector<OutputCheck> check_outputs(Model& m) {
  std::vector<OutputCheck> checks;
  Config* ort = nullptr;
  for (Config& c : m.configs)
    if (!ort && c.runtime == "ort" && c.error.empty()) ort = &c;
  Result<std::vector<PeerOutput>> peer = internal_error("no ORT configuration ran");
  if (ort) {
    auto reply = ort->ort->request("outputs " + ort->ort_id);
    peer = reply.ok() ? parse_outputs_reply(*reply) : Result<std::vector<PeerOutput>>(reply.status());
  }
  for (Config& c : m.configs) {
    if (c.runtime != "braid") continue;
    OutputCheck k;
    k.model = m.name;
    k.braid_config = c.name;
    k.ort_config = ort ? ort->name : "";
    k.status = "unchecked";
    if (!c.error.empty()) {
      k.note = "this configuration failed";
    } else if (!peer.ok()) {
      k.note = peer.status().message();
    } else {
      auto out = c.session->run(m.inputs);
      ++c.requests;
      if (!out.ok()) {
        k.note = "Braid: " + out.status().to_string();
      } else {
        const OutputDiff d = diff_outputs(*out, *peer);
        if (!d.comparable) {
          k.status = "mismatch";
          k.note = d.why;
        } else {
          k.numel = d.numel;
          k.max_abs_err = d.max_abs_err;
          k.max_rel_err = d.max_rel_err;
          k.max_abs_ort = d.max_magnitude;
          if (c.f32) {
            k.tolerance = kF32OutputTolerance;
            k.status = d.max_rel_err <= kF32OutputTolerance ? "ok" : "mismatch";
            if (k.status == "mismatch") k.note = "output '" + d.worst_output + "'";
          } else {
            k.note = "not f32: reported, not checked";
          }
        }
      }
    }
    checks.push_back(std::move(k));
  }
  return checks;
}

// Median latency of the Identity model in Braid (sequential, f32) and through ORT's
// sequential server: the per-call overhead, measured once before the rounds.
void measure_overhead(CompareReport& c, const BenchOptions& o, const std::shared_ptr<Runtime>& runtime,
                      OrtServer& ort, const fs::path& work) {
  const fs::path dir = work / "identity";
  fs::create_directories(dir);
  const fs::path model = dir / "identity.onnx";
  {
    std::ofstream f(model, std::ios::binary);
    f << identity_model(1000);
  }
  SessionOptions so;
  so.mode = ExecutionMode::kSequential;
  so.threads = o.threads;
  so.runtime = runtime;
  auto s = Session::load(model.string(), so);
  if (!s.ok()) return;
  BenchOptions seeded = o;
  seeded.shapes.clear();
  seeded.input_files.clear();
  seeded.batch = 0;
  auto in = make_inputs(*s, seeded);
  if (!in.ok() || !write_inputs(*s, *in, dir).ok()) return;
  auto b = braid_block(*s, *in, 20, 200, false);
  if (b.ok()) c.braid_identity_ms = median(b->ms);
  if (!ort.request("load identity sequential " + dir.string() + " " + model.string()).ok()) return;
  auto r = ort.request("run identity 20 200");
  if (!r.ok()) return;
  auto block = parse_block_reply(*r);
  if (block.ok()) c.ort_identity_ms = median(block->ms);
}

}  // namespace

int compare_main(const BenchOptions& o, const std::shared_ptr<Runtime>& runtime, RunReport& report,
                 TraceRecorder* trace, ResourceTimeline* timeline, const Ceilings& ceilings) {
  auto where = find_ort_peer();
  if (!where.ok()) {
    std::fprintf(stderr, "braid-bench: %s\n", where.status().message().c_str());
    return 3;
  }
  signal(SIGPIPE, SIG_IGN);  // a dead ORT server is an error reply, not the end of braid-bench
  const int n = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::string ns = std::to_string(n);
  // ORT's configurations, a process each: sequential/intra=N and parallel/inter=N; in the
  // concurrent scenarios also workers=C/intra=M, C worker threads with a session each (M =
  // N / C, at least 1) so that C runs overlap, which one Node thread's runs do not.
  const int workers = o.concurrency;
  const std::string worker_intra = std::to_string(std::max(1, n / std::max(1, workers)));
  std::vector<std::pair<std::string, std::vector<std::string>>> kinds = {
      {"sequential/intra=" + ns, {"--intra", ns}},
      {"parallel/inter=" + ns, {"--mode", "parallel", "--inter", ns, "--intra", "1"}}};
  if (o.scenario != Scenario::kSingleStream)
    kinds.push_back({"workers=" + std::to_string(workers) + "/intra=" + worker_intra,
                     {"--intra", worker_intra, "--workers", std::to_string(workers)}});
  // --together: every model gets ORT processes of its own, so the models' ORT sessions run
  // side by side as two services embedding it would; otherwise all models share them.
  std::vector<std::unique_ptr<OrtServer>> servers;
  std::vector<std::vector<std::pair<std::string, OrtServer*>>> orts_of(o.models.size());
  for (size_t i = 0; i < o.models.size(); ++i) {
    if (i > 0 && !o.together) {
      orts_of[i] = orts_of[0];
      continue;
    }
    for (const auto& [name, args] : kinds) {
      auto server = OrtServer::start(*where, args);
      if (!server.ok()) {
        std::fprintf(stderr, "braid-bench: cannot start node: %s\n", server.status().message().c_str());
        return 3;
      }
      orts_of[i].push_back({name, server->get()});
      servers.push_back(std::move(server).value());
    }
  }
  OrtServer& first = *servers.front();
  CompareReport& c = report.compare;
  report.has_compare = true;
  // braid-bench's peak so far is the ceilings' bandwidth probe: Braid's rows start from here.
  c.braid_peak_rss_reset = reset_peak_rss();
  // Node with onnxruntime-node loaded and no model: what ORT's rows' peak RSS starts from.
  if (first.request("ping").ok()) c.ort_baseline_rss_kib = process_rss_kib(first.pid());
  char tmpl[] = "/tmp/braid_compare_XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::fprintf(stderr, "braid-bench: cannot make a temporary directory\n");
    return 2;
  }
  const fs::path work = tmpl;
  c.peer = "onnxruntime-node " + where->version;
  c.ceilings = ceilings;
  c.threads = n;
  c.scenario = scenario_name(o.scenario);
  c.rounds = o.iterations > 0 ? std::min(o.rounds, o.iterations) : o.rounds;
  c.iterations_per_block = o.iterations > 0 ? std::max(1, o.iterations / c.rounds) : 0;
  std::string scenario = scenario_name(o.scenario);
  if (o.scenario != Scenario::kSingleStream) {
    scenario += " (";
    char qps[64];
    if (o.scenario == Scenario::kServer && o.qps > 0) std::snprintf(qps, sizeof qps, "%g qps, ", o.qps), scenario += qps;
    if (o.scenario == Scenario::kServer)
      for (const auto& [model, q] : o.model_qps) std::snprintf(qps, sizeof qps, "%s %g qps, ", model.c_str(), q), scenario += qps;
    scenario += (o.scenario == Scenario::kMultiStream ? "concurrency " : "in flight <= ") + std::to_string(o.concurrency) + ")";
  }
  if (o.together) scenario += ", models together (Braid: one Runtime; ORT: a process per model)";
  std::printf("braid %s vs ONNX Runtime (%s, node %s) | %d threads | %s | %d rounds, %s\n", version(),
              c.peer.c_str(), where->node.c_str(), n, scenario.c_str(), c.rounds,
              o.iterations > 0 ? (std::to_string(o.iterations) + " runs per configuration and phase").c_str()
                               : ("~" + std::to_string(o.duration_s).substr(0, 4) + " s per configuration and phase").c_str());
  std::printf("ORT: sequential/intra=N (intraOpNumThreads N) and parallel/inter=N (interOpNumThreads N, intra 1); "
              "latency through Node includes the binding's overhead\n");
  if (o.scenario != Scenario::kSingleStream)
    std::printf("ORT's concurrent requests are promises in one Node process: onnxruntime-node 1.30 runs each "
                "session.run() on the JS thread, so in sequential/ and parallel/ they queue one behind another; "
                "workers=C/ gives C worker threads a session each, so C runs overlap\n");
  std::fflush(stdout);

  measure_overhead(c, o, runtime, first, work);
  if (c.ort_identity_ms >= 0)
    std::printf("Identity(1x1000), the per-call overhead: Braid %.4f ms, ORT via Node %.4f ms (subtracted from ORT's "
                "p50/p99 for the 'corr' ratios)\n",
                c.braid_identity_ms, c.ort_identity_ms);
  else
    std::printf("Identity(1x1000) overhead: not measured (no 'corr' ratios)\n");
  std::printf("ceilings: %s; %%FMA: the model's FLOPs (Braid's cost "
              "model) x runs per second over that peak\n",
              describe(c.ceilings).c_str());
  std::vector<Model> models;
  for (size_t i = 0; i < o.models.size(); ++i)
    models.push_back(prepare_model(o.models[i], o, runtime, orts_of[i], work, static_cast<int>(i), trace));
  if (trace) trace->attribute_by_plan();  // the configurations' runs interleave from here
  auto phase = [&](std::vector<Model>& ms) {
    if (o.together) run_phase_together(ms, o, c.rounds, trace);
    else run_phase(ms, o, c.rounds, trace);
  };

  const bool loaded_phase = o.interference.kind != Interference::Kind::kNone;
  {
    if (timeline) timeline->set_phase("compare/quiet");
    const double l0 = load_avg_1min();
    phase(models);
    ComparePhase ph = summarize_phase(models, "quiet", "none", c.ort_identity_ms, o, c.ceilings);
    ph.load_avg_start = l0;
    ph.load_avg_end = load_avg_1min();
    print_phase(ph, loaded_phase ? "phase 1: no competitor" : "no competitor", o);
    c.phases.push_back(std::move(ph));
  }
  // Output checks after the quiet phase: one request per configuration.
  for (Model& m : models)
    for (OutputCheck& k : check_outputs(m)) c.output_checks.push_back(std::move(k));
  if (loaded_phase) {
    const std::string spec = interference_spec(o.interference);
    if (timeline) timeline->set_phase("compare/" + spec);
    const double l0 = load_avg_1min();
    {
      Competitor competitor(o.interference);
      phase(models);
    }
    ComparePhase ph = summarize_phase(models, "interference", spec, c.ort_identity_ms, o, c.ceilings);
    ph.load_avg_start = l0;
    ph.load_avg_end = load_avg_1min();
    print_phase(ph, "phase 2: with a competing process (--interference " + spec + ")", o);
    c.phases.push_back(std::move(ph));
  }
  if (timeline) timeline->set_phase("");
  if (c.ort_baseline_rss_kib >= 0)
    std::printf("\npeak MiB: braid-bench's VmHWM (every configuration of every model loaded at once) for Braid rows, "
                "the node process's for ORT rows (Node with onnxruntime-node and no model: %.1f MiB); act MiB: "
                "Braid's peak activation memory; CPU ms/r: CPU time of that process per request, cores: that "
                "CPU time over the blocks' wall time\n",
                static_cast<double>(c.ort_baseline_rss_kib) / 1024);
  std::printf("\n");
  int failures = print_output_checks(c.output_checks);
  for (const ComparePhase& ph : c.phases)
    for (const CompareRow& r : ph.rows) failures += r.error.empty() ? 0 : 1;
  std::fflush(stdout);
  if (trace)
    for (const Model& m : models)
      for (const Config& k : m.configs)
        if (k.trace_phase >= 0) trace->end_phase(k.trace_phase, k.requests);
  models.clear();  // sessions first, then the servers (their destructors kill them by PID)
  servers.clear();
  std::error_code ec;
  fs::remove_all(work, ec);
  return failures == 0 ? 0 : 1;
}

}  // namespace braid::bench
