// The figures of one braid-bench run, kept for the reports: per model x mode the latency
// distribution and throughput, the peak RSS, the machine and the options. write_json()
// writes them in the layout of docs/braid-bench-report.schema.json (docs/harness.md).
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "bench_options.h"
#include "efficiency.h"
#include "machine_info.h"
#include "resource_timeline.h"

namespace braid::bench {

struct NodeProfile;  // node_profile.h

struct LatencySummary {
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, min = 0, max = 0, mean = 0;
};
// Linear interpolation between order statistics; `ms` need not be sorted.
LatencySummary summarize(std::vector<double> ms);

// One input as fed to the model.
struct FedInput {
  std::string name;
  std::string dtype;  // dtype_name()
  std::vector<int64_t> shape;
  bool from_file = false;  // --input
};

// One model in one mode under the run's scenario.
struct ModeResult {
  std::string model;       // file stem
  std::string model_path;
  std::string mode;        // sequential | static | adaptive
  std::string precision = "f32";  // --precision: precision_mode_name()
  // RunStats::kernels_by_precision of the last measured request (single- and multi-stream;
  // -1: not measured).
  int64_t kernels_by_precision[kPrecisionCount] = {-1, -1, -1};
  // Largest RunStats::peak_activation_bytes of the measured requests (-1: not measured).
  int64_t peak_activation_bytes = -1;
  std::string error;       // empty when the measurement succeeded
  int trace_phase = -1;    // its TraceRecorder phase (--trace, --html, --profile; -1: none)
  std::shared_ptr<const NodeProfile> profile;  // --profile: its node tables (null otherwise)
  std::vector<FedInput> inputs;  // empty when the model failed to load
  size_t iterations = 0;   // completed measured requests
  double seconds = 0;      // wall time of the measured part
  double throughput = 0;   // requests per second
  LatencySummary latency;  // ms
  double over_bound_share = -1;  // server with --latency-bound; -1: not measured
  // A bursty competitor, single- and multi-stream: the burst starts seen in the measured
  // part (-1: not measured), the requests in flight at one of them and the others
  // (burst_split.h).
  int bursts = -1;
  size_t burst_hit_runs = 0, burst_other_runs = 0;
  LatencySummary burst_hit, burst_other;  // ms
  double load_ms = 0;            // Session::load
  double first_run_ms = 0;       // the first (warm-up) run
  int64_t peak_rss_kib = 0;      // VmHWM after this mode (reset before it when possible)
  bool peak_rss_reset = false;   // the peak was reset before this mode
  ModelWork work;                  // per request, from the cost model (-1: unknown)
  Efficiency efficiency;           // at `throughput`, against the run's Ceilings
  std::vector<double> latency_ms;  // every sample, for the HTML charts (not in the JSON)
  bool ok() const { return error.empty(); }
};

// --compare ort: one configuration (a Braid mode/precision or an ORT configuration) of one
// model in one phase, over every round.
struct CompareRow {
  std::string model;
  std::string runtime;  // "braid" | "ort"
  std::string config;   // "adaptive/f32", "sequential/intra=2", "parallel/inter=2"
  size_t runs = 0;
  LatencySummary latency;
  double round_p50_min = 0, round_p50_max = 0;  // spread of the per-round medians
  double first_run_ms = 0;
  double seconds = 0;             // wall time of its blocks, summed
  double throughput = 0;          // runs / seconds
  double over_bound_share = -1;   // server with --latency-bound; -1: not measured
  // CPU time of the process that ran it (braid-bench for Braid, its node process for ORT)
  // over its blocks, per request (the blocks' unmeasured runs included), and over the
  // blocks' wall time (cores busy on average); -1: unknown (Braid rows under --together,
  // whose models share one process).
  double cpu_ms_per_request = -1, cores_busy = -1;
  // Braid: the largest RunStats::peak_activation_bytes of its runs (-1: not measured, e.g.
  // server/offline, whose requests go through submit()). ORT: -1.
  int64_t peak_activation_bytes = -1;
  // VmHWM at the end of the phase of the process that ran it: braid-bench itself for Braid
  // rows (every configuration of every model loaded in it), the node process for ORT rows
  // (every model that process holds). -1: unknown.
  int64_t peak_rss_kib = -1;
  Efficiency efficiency;  // the model's work (cost model) at `throughput`, against the ceilings
  std::vector<double> latency_ms;  // every run, for the HTML charts (not in the JSON)
  std::string error;  // empty when it ran
};

// One Braid configuration against the best ORT configuration (lowest p50) of its model.
struct CompareRatio {
  std::string model, braid_config, ort_config;
  double p50_ratio = 0, p99_ratio = 0;  // Braid / ORT
  double throughput_ratio = 0;          // Braid / ORT (higher is better for Braid)
  // Against ORT less its Identity-model latency (the Node binding's overhead); -1: unknown.
  double p50_ratio_corrected = -1, p99_ratio_corrected = -1;
};

struct ComparePhase {
  std::string name;          // "quiet" | "interference"
  std::string interference;  // "none", "cpu:1", ...
  std::vector<CompareRow> rows;
  std::vector<CompareRatio> ratios;
  double load_avg_start = 0, load_avg_end = 0;  // 1-minute load average
};

// Output agreement of one Braid configuration of one model with ORT, element by element
// (output_check.h), for one request with the shared inputs.
struct OutputCheck {
  std::string model, braid_config, ort_config;
  std::string status;      // "ok" | "mismatch" | "unchecked"
  int64_t numel = 0;       // elements compared
  double tolerance = -1;   // max relative error allowed; -1: not checked (bf16/int8/adaptive)
  double max_abs_err = -1, max_rel_err = -1;  // -1: not computed
  double max_abs_ort = -1;  // the largest |ORT value| of the worst output
  std::string note;  // why it was not checked or not comparable
};

struct CompareReport {
  std::string peer;         // "onnxruntime-node 1.30.0"
  int threads = 0;          // N of intra=N / inter=N
  int rounds = 0;
  int iterations_per_block = 0;  // 0: sized per model from its speed
  // Median latency of a one-Identity model ([1, 1000] floats): per-call overhead; -1: unknown.
  double braid_identity_ms = -1, ort_identity_ms = -1;
  // VmRSS of ORT's server right after it started (Node with onnxruntime-node loaded, no
  // model), to subtract from its rows' peak RSS; -1: unknown.
  int64_t ort_baseline_rss_kib = -1;
  // braid-bench's VmHWM was reset before the models were loaded (else Braid rows' peak RSS
  // includes whatever came before, e.g. the ceilings' bandwidth probe).
  bool braid_peak_rss_reset = false;
  std::string scenario;  // single-stream | multi-stream | server | offline
  Ceilings ceilings;     // the efficiencies' ceilings
  std::vector<ComparePhase> phases;
  std::vector<OutputCheck> output_checks;
};

struct RunReport {
  std::vector<std::string> command_line;
  std::string created_utc;  // ISO 8601
  VersionInfo versions;
  MachineInfo machine;
  BenchOptions options;
  Ceilings ceilings;  // what efficiencies are measured against
  std::vector<ModeResult> results;
  int64_t peak_rss_kib = 0;  // the whole process (getrusage ru_maxrss)
  double timeline_period_ms = 0;
  std::vector<ResourceSample> timeline;
  bool has_compare = false;
  CompareReport compare;
};

// Writes `r` as JSON (schema_version 1). Not thread-safe.
void write_json(std::ostream& os, const RunReport& r);
// "2026-11-26T01:02:03Z". Thread-safe.
std::string utc_now_iso8601();

}  // namespace braid::bench
