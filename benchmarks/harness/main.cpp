// braid-bench: runs models in sequential, static and adaptive modes, optionally under a
// competing process, and prints latency percentiles side by side; --json, --trace and
// --html write the figures, every subgraph run and a report page.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_options.h"
#include "burst_split.h"
#include "braid/braid.h"
#include "compare.h"
#include "efficiency.h"
#include "braid/trace.h"
#include "html_report.h"
#include "inputs.h"
#include "interference.h"
#include "machine_info.h"
#include "progress.h"
#include "report.h"
#include "resource_timeline.h"
#include "scenarios.h"
#include "serve.h"
#include "node_profile.h"
#include "trace_recorder.h"

using namespace braid;
using namespace braid::bench;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// What a measurement reports to besides its result.
struct Observers {
  ResourceTimeline* timeline = nullptr;  // null: no report asked for
  TraceRecorder* trace = nullptr;        // null: not tracing
  ProgressLine* progress = nullptr;
  std::shared_ptr<Runtime> runtime;      // null: the process-wide default (no --policy)
  bool label_precision = false;          // several precisions: phases say which
  Ceilings ceilings;                     // what the efficiencies divide by
  Competitor* competitor = nullptr;      // --interference: its bursts' starts (bursty)
};

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// A loaded, warmed-up session ready for its scenario.
struct Prepared {
  std::optional<Session> session;
  NamedTensors inputs;
  int phase = -1;    // its trace phase
  int requests = 0;  // run() calls made so far (warm-up)
};

// Loads `r.model_path` in `mode` and warms it up (traced as a phase of its own).
Status prepare(ModeResult& r, Prepared& p, ExecutionMode mode, PrecisionMode precision, const BenchOptions& o,
               const Observers& obs) {
  SessionOptions so;
  so.mode = mode;
  so.precision = precision;
  so.runtime = obs.runtime;
  so.threads = o.threads;
  so.graph_optimization = o.graph_optimization;
  so.memory_budget_bytes = o.memory_budget;
  so.max_in_flight = o.concurrency;
  const auto load_start = Clock::now();
  BRAID_ASSIGN_OR_RETURN(Session loaded, Session::load(r.model_path, so));
  r.load_ms = ms_since(load_start);
  const Session& s = p.session.emplace(std::move(loaded));
  BRAID_ASSIGN_OR_RETURN(p.inputs, make_inputs(s, o));
  for (const auto& [name, t] : p.inputs) {
    bool from_file = false;
    for (const InputFile& f : o.input_files) from_file |= f.name == name || (f.name.empty() && s.inputs().size() == 1);
    r.inputs.push_back({name, dtype_name(t.dtype()), t.shape(), from_file});
  }
  if (obs.trace)
    p.phase = obs.trace->begin_phase(r.model, obs.label_precision ? r.mode + "/" + r.precision : r.mode,
                                     static_cast<int>(s.subgraph_profile().size()));
  for (int i = 0; i < o.warmup; ++i) {
    const auto t0 = Clock::now();
    auto out = s.run(p.inputs);
    ++p.requests;
    if (i == 0) r.first_run_ms = ms_since(t0);
    if (!out.ok()) return out.status();
  }
  return {};
}

// The figures of `samples` into `r`.
Status summarize_into(ModeResult& r, Result<ScenarioSamples> samples, const BenchOptions& o, const Ceilings& ceilings) {
  if (!samples.ok()) return samples.status();
  if (samples->latency_ms.empty()) return invalid_argument("no request completed (a longer --duration?)");
  r.efficiency = efficiency(r.work, static_cast<double>(samples->latency_ms.size()) / samples->seconds, ceilings);
  std::copy(samples->kernels_by_precision, samples->kernels_by_precision + kPrecisionCount, r.kernels_by_precision);
  r.peak_activation_bytes = samples->peak_activation_bytes;
  r.iterations = samples->latency_ms.size();
  r.seconds = samples->seconds;
  r.throughput = static_cast<double>(r.iterations) / samples->seconds;
  r.latency = summarize(samples->latency_ms);
  if (o.scenario == Scenario::kServer && o.latency_bound_ms > 0)
    r.over_bound_share = static_cast<double>(samples->over_bound) / static_cast<double>(r.iterations);
  r.latency_ms = std::move(samples->latency_ms);
  return {};
}

// The requests in flight at a burst start and the others, summarised into `r`.
void split_into(ModeResult& r, BurstSplit split) {
  r.bursts = split.bursts;
  r.burst_hit_runs = split.hit_ms.size();
  r.burst_other_runs = split.other_ms.size();
  if (!split.hit_ms.empty()) r.burst_hit = summarize(std::move(split.hit_ms));
  if (!split.other_ms.empty()) r.burst_other = summarize(std::move(split.other_ms));
}

ModeResult new_result(const std::string& path, ExecutionMode mode, PrecisionMode precision) {
  ModeResult r;
  r.model = fs::path(path).stem().string();
  r.model_path = path;
  r.mode = execution_mode_name(mode);
  r.precision = precision_mode_name(precision);
  return r;
}

std::string phase_label(const ModeResult& r, const Observers& obs) {
  return r.model + "/" + r.mode + (obs.label_precision ? "/" + r.precision : "");
}

// One model in one mode: load, warm up, run the scenario.
ModeResult measure(const std::string& path, ExecutionMode mode, PrecisionMode precision, const BenchOptions& all,
                   const Observers& obs) {
  BenchOptions o = all;
  o.qps = all.qps_for(path);
  ModeResult r = new_result(path, mode, precision);
  if (obs.timeline) obs.timeline->set_phase(phase_label(r, obs));
  r.peak_rss_reset = reset_peak_rss();
  Prepared p;
  Status st = prepare(r, p, mode, precision, o, obs);
  if (st.ok()) {
    std::atomic<size_t> completed{0};
    if (obs.progress)
      obs.progress->begin(r.model + " " + r.mode, &completed, static_cast<size_t>(o.iterations), o.duration_s);
    r.work = model_work(*p.session);
    if (obs.trace) obs.trace->begin_measured(p.phase);
    auto samples = run_scenario(*p.session, p.inputs, o, &completed);
    if (obs.progress) obs.progress->end();
    if (obs.trace && samples.ok()) obs.trace->add_requests(p.phase, samples->spans);
    if (obs.competitor && o.interference.kind == Interference::Kind::kBursty && samples.ok() &&
        !samples->spans.empty())
      split_into(r, split_by_bursts(samples->spans, obs.competitor->burst_starts()));
    p.requests += static_cast<int>(completed.load());
    st = summarize_into(r, std::move(samples), o, obs.ceilings);
  }
  if (obs.trace && p.phase >= 0) obs.trace->end_phase(p.phase, p.requests);
  r.trace_phase = p.phase;
  if (!st.ok()) r.error = st.to_string();
  r.peak_rss_kib = peak_rss_kib();
  if (obs.timeline) obs.timeline->set_phase("");
  return r;
}

// --together: every model at once in `mode`, one client (its own scenario) per model on
// its own thread, the sessions sharing the default Runtime. Loads and warm-ups run one
// after the other first; the peak RSS is the group's.
std::vector<ModeResult> measure_together(const std::vector<std::string>& paths, ExecutionMode mode,
                                         PrecisionMode precision, const BenchOptions& o, const Observers& obs) {
  const size_t n = paths.size();
  std::vector<ModeResult> rs;
  for (const std::string& path : paths) rs.push_back(new_result(path, mode, precision));
  std::vector<Prepared> ps(n);
  std::vector<Status> st(n);
  if (obs.timeline)
    obs.timeline->set_phase(std::string("together/") + execution_mode_name(mode) +
                            (obs.label_precision ? std::string("/") + precision_mode_name(precision) : ""));
  const bool reset = reset_peak_rss();
  for (size_t i = 0; i < n; ++i) {
    st[i] = prepare(rs[i], ps[i], mode, precision, o, obs);
    if (obs.trace) obs.trace->suspend_phase();
    if (obs.trace && ps[i].phase >= 0) obs.trace->begin_measured(ps[i].phase);
    rs[i].trace_phase = ps[i].phase;
  }
  if (obs.trace) obs.trace->attribute_by_plan();  // the models' runs interleave from here
  std::atomic<size_t> completed{0};
  if (obs.progress)
    obs.progress->begin(std::to_string(n) + " models together, " + execution_mode_name(mode), &completed,
                        static_cast<size_t>(o.iterations) * n, o.duration_s);
  std::vector<std::optional<Result<ScenarioSamples>>> samples(n);
  {
    std::vector<std::thread> clients;
    for (size_t i = 0; i < n; ++i)
      if (st[i].ok())
        clients.emplace_back([&, i] {
          BenchOptions mine = o;  // --qps MODEL=Q: each model at its own rate
          mine.qps = o.qps_for(paths[i]);
          samples[i] = run_scenario(*ps[i].session, ps[i].inputs, mine, &completed);
        });
    for (std::thread& t : clients) t.join();
  }
  if (obs.progress) obs.progress->end();
  const int64_t peak = peak_rss_kib();
  for (size_t i = 0; i < n; ++i) {
    if (st[i].ok()) {
      ps[i].requests += samples[i]->ok() ? static_cast<int>((*samples[i])->latency_ms.size()) : 0;
      if (obs.trace && samples[i]->ok()) obs.trace->add_requests(ps[i].phase, (*samples[i])->spans);
      rs[i].work = model_work(*ps[i].session);
      st[i] = summarize_into(rs[i], std::move(*samples[i]), o, obs.ceilings);
    }
    if (obs.trace && ps[i].phase >= 0) obs.trace->end_phase(ps[i].phase, ps[i].requests);
    if (!st[i].ok()) rs[i].error = st[i].to_string();
    rs[i].peak_rss_kib = peak;
    rs[i].peak_rss_reset = reset;
  }
  if (obs.timeline) obs.timeline->set_phase("");
  return rs;
}

void print_row(const ModeResult& r, double seq_p50, const BenchOptions& o) {
  if (!r.ok()) {
    std::printf("%-14s %-11s %-9s FAILED: %s\n", r.model.c_str(), r.mode.c_str(), r.precision.c_str(), r.error.c_str());
    std::fflush(stdout);
    return;
  }
  const std::string kernels = r.kernels_by_precision[0] < 0
                                  ? "-"  // server and offline: no RunStats through submit()
                                  : std::to_string(r.kernels_by_precision[0]) + "/" +
                                        std::to_string(r.kernels_by_precision[1]) + "/" +
                                        std::to_string(r.kernels_by_precision[2]);
  char activation[16] = "-";  // server and offline: no RunStats
  if (r.peak_activation_bytes >= 0)
    std::snprintf(activation, sizeof activation, "%.1f", static_cast<double>(r.peak_activation_bytes) / (1 << 20));
  char gflops[16] = "-";
  if (r.efficiency.gflops_per_s >= 0) std::snprintf(gflops, sizeof gflops, "%.1f", r.efficiency.gflops_per_s);
  std::printf("%-14s %-11s %-9s %7zu %9.1f %9.3f %9.3f %9.3f %9.3f %8.2fx %9.1f %8s %14s %8s %5s %5s", r.model.c_str(),
              r.mode.c_str(), r.precision.c_str(), r.iterations, r.throughput, r.latency.p50, r.latency.p90,
              r.latency.p99, r.latency.max, seq_p50 > 0 ? seq_p50 / r.latency.p50 : 1.0,
              static_cast<double>(r.peak_rss_kib) / 1024.0, activation, kernels.c_str(), gflops,
              percent(r.efficiency.fma_share).c_str(), percent(r.efficiency.bandwidth_share).c_str());
  if (r.over_bound_share >= 0) std::printf("  %.1f%% over %.1f ms", 100.0 * r.over_bound_share, o.latency_bound_ms);
  std::printf("\n");
  if (r.bursts >= 0)
    std::printf("%-14s %-11s %d bursts began: the %zu requests in flight at one p50 %.3f p99 %.3f mean %.3f ms, "
                "the other %zu p50 %.3f p99 %.3f ms\n",
                "", "", r.bursts, r.burst_hit_runs, r.burst_hit.p50, r.burst_hit.p99, r.burst_hit.mean,
                r.burst_other_runs, r.burst_other.p50, r.burst_other.p99);
  std::fflush(stdout);
}

// --profile: the node tables of one measured model x mode, printed after its row and kept
// for --json.
void print_node_profile(const TraceRecorder& trace, ModeResult& r, const Observers& obs) {
  if (!r.ok() || r.trace_phase < 0) return;
  auto p = std::make_shared<const NodeProfile>(
      profile_nodes(trace.measured_nodes(r.trace_phase), trace.node_info(r.trace_phase)));
  print_profile(stdout, phase_label(r, obs), *p, r.latency.p50);
  r.profile = std::move(p);
}

std::string default_models_dir(const char* argv0) {
  fs::path exe = fs::weakly_canonical(fs::path(argv0));
  for (fs::path p : {exe.parent_path() / "../../models", exe.parent_path() / "../models", fs::path("models")})
    if (fs::exists(p / "inception.onnx")) return fs::weakly_canonical(p).string();
  return "models";
}

bool write_file(const std::string& path, const char* what, const std::function<void(std::ostream&)>& body) {
  std::ofstream f(path);
  if (f) body(f);
  if (!f) {
    std::fprintf(stderr, "braid-bench: cannot write the %s to %s\n", what, path.c_str());
    return false;
  }
  return true;
}

// Writes the --json, --trace and --html files that `o` asks for (`trace` is set whenever
// --trace or --html is); false when one could not be written.
bool write_reports(const BenchOptions& o, const RunReport& report, TraceRecorder* trace) {
  bool written = true;
  if (!o.json_path.empty())
    written &= write_file(o.json_path, "JSON report", [&](std::ostream& os) { write_json(os, report); });
  if (!o.trace_path.empty())
    written &= write_file(o.trace_path, "trace", [&](std::ostream& os) { trace->write(os, report.timeline); });
  if (!o.html_path.empty())
    written &= write_file(o.html_path, "HTML report",
                          [&](std::ostream& os) { write_html(os, report, trace->runs(), trace->phases()); });
  return written;
}

}  // namespace

int main(int argc, char** argv) {
  if ((argc == 5 || argc == 6) && std::strcmp(argv[1], "--competitor-child") == 0) {
    Interference spec;
    spec.kind = std::atoi(argv[4]) > 0 ? Interference::Kind::kBursty : Interference::Kind::kCpu;
    spec.threads = std::max(1, std::atoi(argv[2]));
    spec.on_ms = std::atoi(argv[3]);
    spec.off_ms = std::atoi(argv[4]);
    competitor_main(spec, argc == 6 ? std::atoi(argv[5]) : -1);
  }
  if (argc == 3 && std::strcmp(argv[1], "--competitor-child-mem") == 0) {
    Interference spec;
    spec.kind = Interference::Kind::kMemory;
    spec.memory_bytes = std::strtoull(argv[2], nullptr, 10);
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
    if (o.scenario == Scenario::kServer && !(o.qps_for(m) > 0)) {
      std::fprintf(stderr, "braid-bench: --scenario server: no --qps for %s (give --qps Q or --qps %s=Q)\n",
                   m.c_str(), fs::path(m).stem().string().c_str());
      return 2;
    }
  }
  for (const auto& [model, q] : o.model_qps)
    if (std::none_of(o.models.begin(), o.models.end(),
                     [&](const std::string& m) { return fs::path(m).stem().string() == model; })) {
      std::fprintf(stderr, "braid-bench: --qps %s=%g names no model being measured\n", model.c_str(), q);
      return 2;
    }
  RunReport report;
  report.command_line.assign(argv, argv + argc);
  report.created_utc = utc_now_iso8601();
  // The runtime sessions share when SessionOptions::runtime is null: its monitor is the
  // resource vector they schedule by.
  std::shared_ptr<Runtime> runtime = Runtime::default_runtime();
  std::shared_ptr<Runtime> session_runtime;  // what SessionOptions::runtime gets
  if (o.policy_given) {
    // --policy: one runtime with that scheduling policy, shared by every session.
    RuntimeOptions ro;
    ro.threads = o.threads;
    ro.policy = o.policy;
    auto created = Runtime::create(ro);
    if (!created.ok()) {
      std::fprintf(stderr, "braid-bench: cannot create the runtime: %s\n", created.status().to_string().c_str());
      return 2;
    }
    runtime = session_runtime = std::move(created).value();
  }
  const bool reports = !o.json_path.empty() || !o.html_path.empty() || !o.trace_path.empty();
  std::unique_ptr<ResourceTimeline> timeline;
  if (reports) timeline = std::make_unique<ResourceTimeline>(&runtime->monitor(), std::chrono::milliseconds(50));
  std::unique_ptr<TraceRecorder> trace;
  if (!o.trace_path.empty() || !o.html_path.empty() || o.profile) {
    trace = std::make_unique<TraceRecorder>(timeline ? timeline->start() : Clock::now(),
                                            /*nodes=*/o.profile || !o.trace_path.empty(),
                                            /*steps=*/!o.trace_path.empty());
    set_run_tracer(trace.get());
  }
  const int cores = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // The ceilings the efficiencies divide by, measured now unless --cached-ceilings.
  Ceilings ceilings = ceilings_of(runtime->monitor().calibration(), cores);
  if (!o.cached_ceilings && !o.serve) {
    auto measured = measure_ceilings(cores);
    if (measured.ok()) ceilings = *measured;
    else std::fprintf(stderr, "braid-bench: measuring the ceilings failed (%s); using the runtime's calibration\n",
                      measured.status().to_string().c_str());
  }
  report.ceilings = ceilings;
  const bool tty = isatty(STDOUT_FILENO) == 1;
  ProgressLine progress(o.progress == BenchOptions::Progress::kOn || (o.progress == BenchOptions::Progress::kAuto && tty), tty);
  Observers obs{timeline.get(), trace.get(), &progress, session_runtime, o.precisions.size() > 1, ceilings};

  if (o.compare != Peer::kNone) {
    const int rc = compare_main(o, session_runtime, report, trace.get(), timeline.get(), ceilings);
    if (trace) set_run_tracer(nullptr);
    if (rc == 3 || !reports) return rc;
    report.versions = read_version_info();
    report.machine = read_machine_info(&runtime->monitor());
    report.options = o;
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    report.peak_rss_kib = ru.ru_maxrss;
    report.timeline_period_ms = static_cast<double>(timeline->period().count());
    report.timeline = timeline->finish();
    return write_reports(o, report, trace.get()) ? rc : 2;
  }
  Competitor competitor(o.interference);
  obs.competitor = &competitor;
  const std::string threads = o.threads > 0 ? std::to_string(o.threads) + " threads"
                                            : std::to_string(std::thread::hardware_concurrency()) + " threads (all cores)";
  std::string scenario = scenario_name(o.scenario);
  if (o.scenario == Scenario::kMultiStream || o.scenario == Scenario::kOffline)
    scenario += " (concurrency " + std::to_string(o.concurrency) + ")";
  if (o.scenario == Scenario::kServer) {
    std::string rates;
    char buf[64];
    if (o.qps > 0) std::snprintf(buf, sizeof buf, "%g qps", o.qps), rates = buf;
    for (const auto& [model, q] : o.model_qps)
      std::snprintf(buf, sizeof buf, "%s%s %g qps", rates.empty() ? "" : ", ", model.c_str(), q), rates += buf;
    scenario += " (" + rates + ", in flight <= " + std::to_string(o.concurrency) + ")";
  }
  std::printf("braid %s | %s | %s | %s%s%s\n", version(), threads.c_str(), scenario.c_str(),
              o.interference.kind == Interference::Kind::kNone ? "quiet machine" : "with a competing process",
              o.together ? " | models run together" : "",
              o.policy_given ? (std::string(" | policy ") + scheduling_policy_name(o.policy)).c_str() : "");
  std::printf("ceilings: %s; GFLOP/s: the model's FLOPs (Braid's cost "
              "model) x requests per second, %%FMA and %%BW its share of them\n",
              describe(ceilings).c_str());
  std::printf("%-14s %-11s %-9s %7s %9s %9s %9s %9s %9s %9s %9s %8s %14s %8s %5s %5s\n", "model", "mode", "precision",
              "runs", "per s", "p50 ms", "p90 ms", "p99 ms", "max ms", "vs seq", "peak MiB", "act MiB", "f32/bf16/int8",
              "GFLOP/s", "%FMA", "%BW");
  std::fflush(stdout);
  int failures = 0;
  const size_t np = o.precisions.size();
  if (o.together) {
    // seq_p50[model][precision]: "vs seq" compares within one precision.
    std::vector<std::vector<double>> seq_p50(o.models.size(), std::vector<double>(np, 0));
    for (ExecutionMode mode : o.modes) {
      for (size_t k = 0; k < np; ++k) {
        std::vector<ModeResult> rs = measure_together(o.models, mode, o.precisions[k], o, obs);
        for (size_t i = 0; i < rs.size(); ++i) {
          if (mode == ExecutionMode::kSequential && rs[i].ok()) seq_p50[i][k] = rs[i].latency.p50;
          failures += rs[i].ok() ? 0 : 1;
          print_row(rs[i], seq_p50[i][k], o);
          report.results.push_back(std::move(rs[i]));
        }
        if (o.profile)
          for (size_t i = report.results.size() - rs.size(); i < report.results.size(); ++i)
            print_node_profile(*trace, report.results[i], obs);
      }
    }
  } else {
    for (const std::string& m : o.models) {
      std::vector<double> seq_p50(np, 0);
      for (ExecutionMode mode : o.modes) {
        for (size_t k = 0; k < np; ++k) {
          ModeResult r = measure(m, mode, o.precisions[k], o, obs);
          if (mode == ExecutionMode::kSequential && r.ok()) seq_p50[k] = r.latency.p50;
          failures += r.ok() ? 0 : 1;
          print_row(r, seq_p50[k], o);
          if (o.profile) print_node_profile(*trace, r, obs);
          report.results.push_back(std::move(r));
        }
      }
    }
  }
  if (trace) set_run_tracer(nullptr);  // requests are over: nothing reports to it any more
  // Resetting VmHWM per mode resets ru_maxrss too: the process's peak is the largest seen.
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  int64_t process_peak_kib = ru.ru_maxrss;
  for (const ModeResult& r : report.results) process_peak_kib = std::max(process_peak_kib, r.peak_rss_kib);
  std::printf("peak RSS %.1f MiB (the whole process)\n", static_cast<double>(process_peak_kib) / 1024.0);
  if (!reports) return failures == 0 ? 0 : 1;

  report.versions = read_version_info();
  report.machine = read_machine_info(&runtime->monitor());
  report.options = o;
  report.peak_rss_kib = process_peak_kib;
  report.timeline_period_ms = static_cast<double>(timeline->period().count());
  report.timeline = timeline->finish();
  if (!write_reports(o, report, trace.get())) return 2;
  return failures == 0 ? 0 : 1;
}
