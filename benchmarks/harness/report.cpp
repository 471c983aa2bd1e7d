#include "report.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "json_writer.h"
#include "node_profile.h"

namespace braid::bench {
namespace {

double percentile_sorted(const std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const double idx = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(idx)), hi = static_cast<size_t>(std::ceil(idx));
  return v[lo] + (v[hi] - v[lo]) * (idx - static_cast<double>(lo));
}

void write_options(JsonWriter& j, const BenchOptions& o) {
  j.key("options").begin_object();
  j.array("models", o.models);
  j.key("modes").begin_array();
  for (ExecutionMode m : o.modes) j.value(execution_mode_name(m));
  j.end_array();
  j.field("scenario", scenario_name(o.scenario)).field("together", o.together);
  j.field("threads", o.threads).field("iterations", o.iterations).field("duration_s", o.duration_s);
  j.field("warmup", o.warmup).field("seed", static_cast<uint64_t>(o.seed)).field("concurrency", o.concurrency);
  j.field("qps", o.qps).field("latency_bound_ms", o.latency_bound_ms);
  j.key("model_qps").begin_array();
  for (const auto& [model, q] : o.model_qps) j.begin_object().field("model", model).field("qps", q).end_object();
  j.end_array();
  j.field("memory_budget_bytes", static_cast<uint64_t>(o.memory_budget));
  j.field("graph_optimization", o.graph_optimization == GraphOptimization::kNone ? "none" : "basic");
  j.key("precisions").begin_array();
  for (PrecisionMode p : o.precisions) j.value(precision_mode_name(p));
  j.end_array();
  j.key("policy");
  if (o.policy_given) j.value(scheduling_policy_name(o.policy));
  else j.null();
  j.field("compare", o.compare == Peer::kOrt ? "ort" : "none").field("rounds", o.rounds);
  j.key("interference").begin_object();
  j.field("kind", interference_kind_name(o.interference.kind)).field("threads", o.interference.threads);
  j.field("on_ms", o.interference.on_ms).field("off_ms", o.interference.off_ms);
  j.field("memory_bytes", static_cast<uint64_t>(o.interference.memory_bytes));
  j.end_object();
  j.key("shapes").begin_array();
  for (const InputShape& s : o.shapes) {
    j.begin_object().field("name", s.name).key("dims").begin_array();
    for (int64_t d : s.dims) j.value(d);
    j.end_array().end_object();
  }
  j.end_array();
  j.field("batch", o.batch);
  j.key("inputs").begin_array();
  for (const InputFile& f : o.input_files) j.begin_object().field("name", f.name).field("path", f.path).end_object();
  j.end_array();
  j.end_object();
}

void number_or_null(JsonWriter& j, const char* key, double v) {
  j.key(key);
  if (v >= 0) j.value(v);
  else j.null();
}

void write_efficiency(JsonWriter& j, const Efficiency& e) {
  number_or_null(j, "gflops_per_s", e.gflops_per_s);
  number_or_null(j, "fma_peak_share", e.fma_share);
  number_or_null(j, "gbytes_per_s", e.gbytes_per_s);
  number_or_null(j, "bandwidth_share", e.bandwidth_share);
}

// --profile: every node (slowest first) and every op type, as printed (node_profile.h).
void write_profile(JsonWriter& j, const NodeProfile& p) {
  j.key("profile").begin_object();
  j.field("requests", static_cast<uint64_t>(p.requests)).field("node_ms_per_request", p.node_ms_per_request);
  j.key("ops").begin_array();
  for (const OpProfileRow& op : p.ops) {
    j.begin_object().field("op", op.op).field("nodes", static_cast<int64_t>(op.nodes));
    j.field("ms_per_request", op.ms_per_request).field("share", op.share).end_object();
  }
  j.end_array().key("nodes").begin_array();
  for (const NodeProfileRow& n : p.nodes) {
    j.begin_object().field("node", static_cast<uint64_t>(n.node)).field("name", n.name).field("op", n.op);
    j.field("runs", static_cast<uint64_t>(n.runs)).field("mean_us", n.mean_us).field("median_us", n.median_us);
    j.field("max_threads", static_cast<int64_t>(n.max_threads)).end_object();
  }
  j.end_array().end_object();
}

void write_latency(JsonWriter& j, const LatencySummary& l) {
  j.key("latency_ms").begin_object();
  j.field("p50", l.p50).field("p90", l.p90).field("p99", l.p99);
  j.field("p999", l.p999).field("min", l.min).field("max", l.max);
  j.field("mean", l.mean).end_object();
}

void write_result(JsonWriter& j, const ModeResult& r) {
  j.begin_object();
  j.field("model", r.model).field("model_path", r.model_path).field("mode", r.mode);
  j.field("precision", r.precision);
  j.key("kernels_by_precision");
  if (r.kernels_by_precision[0] >= 0) {
    j.begin_object();
    for (int p = 0; p < kPrecisionCount; ++p)
      j.field(precision_name(static_cast<Precision>(p)), r.kernels_by_precision[p]);
    j.end_object();
  } else {
    j.null();
  }
  j.key("peak_activation_bytes");
  if (r.peak_activation_bytes >= 0) j.value(r.peak_activation_bytes);
  else j.null();
  j.field("status", r.ok() ? "ok" : "failed");
  if (!r.ok()) j.field("error", r.error);
  j.key("inputs").begin_array();
  for (const FedInput& in : r.inputs) {
    j.begin_object().field("name", in.name).field("dtype", in.dtype).key("shape").begin_array();
    for (int64_t d : in.shape) j.value(d);
    j.end_array().field("from_file", in.from_file).end_object();
  }
  j.end_array();
  j.field("iterations", static_cast<uint64_t>(r.iterations)).field("seconds", r.seconds);
  j.field("throughput_per_s", r.throughput);
  write_latency(j, r.latency);
  j.key("over_bound_share");
  if (r.over_bound_share >= 0) j.value(r.over_bound_share);
  else j.null();
  j.key("bursts");
  if (r.bursts >= 0) {
    j.begin_object().field("count", r.bursts);
    j.key("hit").begin_object().field("runs", static_cast<uint64_t>(r.burst_hit_runs));
    write_latency(j, r.burst_hit);
    j.end_object();
    j.key("other").begin_object().field("runs", static_cast<uint64_t>(r.burst_other_runs));
    write_latency(j, r.burst_other);
    j.end_object().end_object();
  } else {
    j.null();
  }
  j.field("load_ms", r.load_ms).field("first_run_ms", r.first_run_ms);
  j.field("peak_rss_kib", r.peak_rss_kib).field("peak_rss_reset", r.peak_rss_reset);
  number_or_null(j, "flops_per_request", r.work.flops);
  number_or_null(j, "bytes_per_request", r.work.bytes);
  write_efficiency(j, r.efficiency);
  if (r.profile) write_profile(j, *r.profile);
  j.end_object();
}

void write_timeline(JsonWriter& j, const RunReport& r) {
  j.key("resource_timeline").begin_object();
  j.field("period_ms", r.timeline_period_ms);
  j.key("samples").begin_array();
  for (const ResourceSample& s : r.timeline) {
    j.begin_object();
    j.field("t_ms", s.t_ms).field("phase", s.phase);
    j.field("cores_available", s.cores_available).field("cores_limit", s.cores_limit);
    j.field("cores_used_by_braid", s.cores_used_by_braid).field("cores_used_by_others", s.cores_used_by_others);
    j.field("others_runnable", s.others_runnable);
    j.key("memory_bytes_available");
    if (s.memory_bytes_available >= 0) j.value(s.memory_bytes_available);
    else j.null();
    j.field("bandwidth_gbps_available", s.bandwidth_gbps_available);
    j.end_object();
  }
  j.end_array().end_object();
}

void write_compare(JsonWriter& j, const CompareReport& c) {
  j.key("compare").begin_object();
  j.field("peer", c.peer).field("threads", c.threads).field("rounds", c.rounds);
  j.field("iterations_per_block", c.iterations_per_block).field("scenario", c.scenario);
  number_or_null(j, "fma_peak_gflops", c.ceilings.peak_gflops() > 0 ? c.ceilings.peak_gflops() : -1);
  number_or_null(j, "stream_gbps", c.ceilings.bandwidth_gbps > 0 ? c.ceilings.bandwidth_gbps : -1);
  j.field("braid_peak_rss_reset", c.braid_peak_rss_reset);
  j.key("ort_baseline_rss_kib");
  if (c.ort_baseline_rss_kib >= 0) j.value(c.ort_baseline_rss_kib);
  else j.null();
  j.key("braid_identity_ms");
  if (c.braid_identity_ms >= 0) j.value(c.braid_identity_ms);
  else j.null();
  j.key("ort_identity_ms");
  if (c.ort_identity_ms >= 0) j.value(c.ort_identity_ms);
  else j.null();
  j.key("phases").begin_array();
  for (const ComparePhase& ph : c.phases) {
    j.begin_object().field("name", ph.name).field("interference", ph.interference);
    j.field("load_avg_start", ph.load_avg_start).field("load_avg_end", ph.load_avg_end);
    j.key("rows").begin_array();
    for (const CompareRow& r : ph.rows) {
      j.begin_object().field("model", r.model).field("runtime", r.runtime).field("config", r.config);
      j.field("status", r.error.empty() ? "ok" : "failed");
      if (!r.error.empty()) j.field("error", r.error);
      j.field("runs", static_cast<uint64_t>(r.runs));
      write_latency(j, r.latency);
      j.field("round_p50_min_ms", r.round_p50_min).field("round_p50_max_ms", r.round_p50_max);
      j.field("first_run_ms", r.first_run_ms);
      j.field("seconds", r.seconds).field("throughput_per_s", r.throughput);
      j.key("over_bound_share");
      if (r.over_bound_share >= 0) j.value(r.over_bound_share);
      else j.null();
      j.key("peak_activation_bytes");
      if (r.peak_activation_bytes >= 0) j.value(r.peak_activation_bytes);
      else j.null();
      number_or_null(j, "cpu_ms_per_request", r.cpu_ms_per_request);
      number_or_null(j, "cores_busy", r.cores_busy);
      j.key("peak_rss_kib");
      if (r.peak_rss_kib >= 0) j.value(r.peak_rss_kib);
      else j.null();
      write_efficiency(j, r.efficiency);
      j.end_object();
    }
    j.end_array();
    j.key("ratios").begin_array();
    for (const CompareRatio& r : ph.ratios) {
      j.begin_object().field("model", r.model).field("braid_config", r.braid_config).field("ort_config", r.ort_config);
      j.field("p50_ratio", r.p50_ratio).field("p99_ratio", r.p99_ratio).field("throughput_ratio", r.throughput_ratio);
      j.key("p50_ratio_corrected");
      if (r.p50_ratio_corrected >= 0) j.value(r.p50_ratio_corrected);
      else j.null();
      j.key("p99_ratio_corrected");
      if (r.p99_ratio_corrected >= 0) j.value(r.p99_ratio_corrected);
      else j.null();
      j.end_object();
    }
    j.end_array().end_object();
  }
  j.end_array();
  j.key("output_checks").begin_array();
  for (const OutputCheck& k : c.output_checks) {
    j.begin_object().field("model", k.model).field("braid_config", k.braid_config).field("ort_config", k.ort_config);
    j.field("status", k.status).field("numel", k.numel);
    number_or_null(j, "tolerance", k.tolerance);
    number_or_null(j, "max_abs_err", k.max_abs_err);
    number_or_null(j, "max_rel_err", k.max_rel_err);
    number_or_null(j, "max_abs_ort", k.max_abs_ort);
    if (!k.note.empty()) j.field("note", k.note);
    j.end_object();
  }
  j.end_array().end_object();
}

}  // namespace

LatencySummary summarize(std::vector<double> ms) {
  LatencySummary s;
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  s.p50 = percentile_sorted(ms, 0.5);
  s.p90 = percentile_sorted(ms, 0.9);
  s.p99 = percentile_sorted(ms, 0.99);
  s.p999 = percentile_sorted(ms, 0.999);
  s.min = ms.front();
  s.max = ms.back();
  double sum = 0;
  for (double v : ms) sum += v;
  s.mean = sum / static_cast<double>(ms.size());
  return s;
}

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void write_json(std::ostream& os, const RunReport& r) {
  JsonWriter j(os);
  j.begin_object();
  j.field("schema_version", 1).field("tool", "braid-bench").field("created_utc", r.created_utc);
  j.array("command_line", r.command_line);
  j.key("versions").begin_object();
  j.field("braid", r.versions.braid).field("compiler", r.versions.compiler).field("build_type", r.versions.build_type);
  j.end_object();
  const MachineInfo& m = r.machine;
  j.key("machine").begin_object();
  j.field("cpu_model", m.cpu_model).field("logical_cores", m.logical_cores).field("allowed_cores", m.allowed_cores);
  j.array("isa", m.isa);
  j.key("memory_total_bytes");
  if (m.memory_total_bytes >= 0) j.value(m.memory_total_bytes);
  else j.null();
  j.key("calibration").begin_object();
  j.field("isa", m.calibration_isa);
  j.field("gflops_per_core", m.gflops_per_core > 0 ? m.gflops_per_core : NAN);
  j.field("bandwidth_gbps", m.bandwidth_gbps > 0 ? m.bandwidth_gbps : NAN);
  j.end_object().end_object();
  j.key("ceilings").begin_object();
  number_or_null(j, "gflops_per_core", r.ceilings.gflops_per_core > 0 ? r.ceilings.gflops_per_core : -1);
  j.field("cores", r.ceilings.cores);
  number_or_null(j, "bandwidth_gbps", r.ceilings.bandwidth_gbps > 0 ? r.ceilings.bandwidth_gbps : -1);
  j.field("measured_now", r.ceilings.measured_now);
  j.end_object();
  write_options(j, r.options);
  j.key("results").begin_array();
  for (const ModeResult& res : r.results) write_result(j, res);
  j.end_array();
  j.field("peak_rss_kib", r.peak_rss_kib);
  write_timeline(j, r);
  if (r.has_compare) write_compare(j, r.compare);
  j.end_object();
}

}  // namespace braid::bench
