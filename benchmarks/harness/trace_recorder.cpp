#include "trace_recorder.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cmath>

#include "json_writer.h"

namespace braid::bench {
namespace {

int this_thread_id() {
  thread_local const int tid = static_cast<int>(syscall(SYS_gettid));
  return tid;
}

}  // namespace

void TraceRecorder::on_subgraph_run(const SubgraphRunEvent& e) noexcept {
  TracedRun r;
  r.request_id = e.request_id;
  r.subgraph = e.subgraph;
  r.threads = e.threads;
  r.peak_threads = e.peak_threads;
  r.borrowed_ns = e.borrowed_ns;
  r.chunk = e.chunk;
  const int phase = phase_.load(std::memory_order_relaxed);
  r.tid = this_thread_id();
  r.adaptive = e.adaptive;
  r.ok = e.ok;
  r.precision = e.precision;
  r.start_ns = e.start_ns;
  r.end_ns = e.end_ns;
  try {
    std::lock_guard lock(mu_);
    r.phase = phase_of(e.plan, phase);
    runs_.push_back(r);
  } catch (...) {
    // Out of memory while tracing: drop the event rather than fail the run.
  }
}

void TraceRecorder::on_schedule_step(const ScheduleStepEvent& e) noexcept {
  try {
    TracedStep st;
    st.chunk = e.chunk;
    st.tid = this_thread_id();
    st.cores_available = e.cores_available;
    st.threads_in_use = e.threads_in_use;
    st.ready = e.ready;
    st.admitted = e.admitted;
    st.policy = e.policy;
    st.reasons = e.reasons;
    st.time_ns = e.time_ns;
    const int phase = phase_.load(std::memory_order_relaxed);
    std::lock_guard lock(mu_);
    st.phase = phase >= 0 ? phase : -1;  // by plan (several sessions at once): not attributed
    steps_.push_back(std::move(st));
  } catch (...) {
    // Out of memory while tracing: drop the event rather than fail the step.
  }
}

int TraceRecorder::phase_of(const void* plan, int phase) {
  if (phase >= 0) {
    plan_phase_.emplace(plan, phase);
    return phase;
  }
  if (phase != kByPlan) return -1;
  const auto it = plan_phase_.find(plan);
  return it == plan_phase_.end() ? -1 : it->second;
}

void TraceRecorder::on_node_run(const NodeRunEvent& e) noexcept {
  TracedNode n;
  n.request_id = e.request_id;
  n.node = e.node;
  n.tid = this_thread_id();
  n.threads = e.threads;
  n.ok = e.ok;
  n.precision = e.precision;
  n.start_ns = e.start_ns;
  n.end_ns = e.end_ns;
  const int phase = phase_.load(std::memory_order_relaxed);
  try {
    std::lock_guard lock(mu_);
    n.phase = phase_of(e.plan, phase);
    nodes_.push_back(n);
    // The names are copied once per phase and node: the session goes before the report.
    auto [it, added] = node_info_.try_emplace({n.phase, n.node});
    if (added) {
      it->second.name = e.name;
      it->second.op = e.op_type;
      if (*e.fused != 0) it->second.op += std::string("+") + e.fused;
    }
  } catch (...) {
    // Out of memory while tracing: drop the event rather than fail the run.
  }
}

void TraceRecorder::begin_measured(int phase) {
  std::lock_guard lock(mu_);
  measured_from_[phase] = nodes_.size();
}

std::vector<TracedNode> TraceRecorder::measured_nodes(int phase) const {
  std::lock_guard lock(mu_);
  const auto from = measured_from_.find(phase);
  std::vector<TracedNode> out;
  for (size_t i = from == measured_from_.end() ? 0 : from->second; i < nodes_.size(); ++i)
    if (nodes_[i].phase == phase) out.push_back(nodes_[i]);
  return out;
}

std::map<uint32_t, TracedNodeInfo> TraceRecorder::node_info(int phase) const {
  std::lock_guard lock(mu_);
  std::map<uint32_t, TracedNodeInfo> out;
  for (auto it = node_info_.lower_bound({phase, 0}); it != node_info_.end() && it->first.first == phase; ++it)
    out.emplace(it->first.second, it->second);
  return out;
}

int TraceRecorder::begin_phase(std::string model, std::string mode, int subgraphs) {
  std::lock_guard lock(mu_);
  phases_.push_back({std::move(model), std::move(mode), subgraphs, 0});
  const int index = static_cast<int>(phases_.size()) - 1;
  phase_.store(index, std::memory_order_relaxed);
  return index;
}

void TraceRecorder::end_phase(int phase, int requests) {
  std::lock_guard lock(mu_);
  if (phase >= 0 && phase < static_cast<int>(phases_.size())) phases_[phase].requests = requests;
  phase_.store(-1, std::memory_order_relaxed);
}

void TraceRecorder::add_requests(int phase, const std::vector<RequestSpan>& spans) {
  std::lock_guard lock(mu_);
  for (const RequestSpan& s : spans) requests_.push_back({phase, s});
}

void TraceRecorder::suspend_phase() { phase_.store(-1, std::memory_order_relaxed); }

void TraceRecorder::attribute_by_plan() { phase_.store(kByPlan, std::memory_order_relaxed); }

std::vector<TracedRun> TraceRecorder::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

std::vector<TracePhase> TraceRecorder::phases() const {
  std::lock_guard lock(mu_);
  return phases_;
}

void TraceRecorder::write(std::ostream& os, const std::vector<ResourceSample>& timeline) const {
  std::lock_guard lock(mu_);
  const int64_t origin_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(origin_.time_since_epoch()).count();
  auto us = [&](int64_t ns) { return static_cast<double>(ns - origin_ns) / 1e3; };
  JsonWriter j(os);
  j.begin_object().field("displayTimeUnit", "ms");
  j.key("traceEvents").begin_array();
  // Process 0: the machine (counters); process p + 1: phase p.
  j.begin_object().field("name", "process_name").field("ph", "M").field("pid", 0).field("tid", 0);
  j.key("args").begin_object().field("name", "resources").end_object().end_object();
  for (size_t p = 0; p < phases_.size(); ++p) {
    j.begin_object().field("name", "process_name").field("ph", "M").field("pid", static_cast<int>(p + 1));
    j.field("tid", 0).key("args").begin_object();
    j.field("name", phases_[p].model + " " + phases_[p].mode).end_object().end_object();
  }
  for (const TracedRun& r : runs_) {
    j.begin_object();
    j.field("name", "subgraph " + std::to_string(r.subgraph)).field("cat", "subgraph").field("ph", "X");
    j.field("ts", us(r.start_ns)).field("dur", static_cast<double>(r.end_ns - r.start_ns) / 1e3);
    j.field("pid", r.phase + 1).field("tid", r.tid);
    j.key("args").begin_object();
    j.field("request", r.request_id).field("subgraph", r.subgraph).field("threads", r.threads)
        .field("peak_threads", r.peak_threads).field("borrowed_ms", static_cast<double>(r.borrowed_ns) / 1e6)
        .field("chunk", r.chunk);
    j.field("precision", r.precision).field("mode", r.adaptive ? "adaptive" : "static").field("ok", r.ok);
    j.end_object().end_object();
  }
  for (const TracedNode& n : nodes_) {
    const auto info = node_info_.find({n.phase, n.node});
    j.begin_object();
    j.field("name", info == node_info_.end() ? "node " + std::to_string(n.node) : info->second.name);
    j.field("cat", "node").field("ph", "X");
    j.field("ts", us(n.start_ns)).field("dur", static_cast<double>(n.end_ns - n.start_ns) / 1e3);
    j.field("pid", n.phase + 1).field("tid", n.tid);
    j.key("args").begin_object();
    j.field("request", n.request_id).field("node", n.node);
    if (info != node_info_.end()) j.field("op", info->second.op);
    j.field("threads", n.threads).field("precision", n.precision).field("ok", n.ok);
    j.end_object().end_object();
  }
  for (const TracedStep& st : steps_) {
    j.begin_object().field("name", "schedule step").field("cat", "schedule").field("ph", "i").field("s", "t");
    j.field("ts", us(st.time_ns)).field("pid", st.phase + 1).field("tid", st.tid);
    j.key("args").begin_object();
    j.field("chunk", st.chunk).field("cores_available", st.cores_available).field("threads_in_use", st.threads_in_use);
    j.field("ready", st.ready).field("admitted", st.admitted).field("policy", st.policy).field("reasons", st.reasons);
    j.end_object().end_object();
  }
  for (const auto& [phase, s] : requests_) {
    j.begin_object().field("name", "request").field("cat", "request").field("ph", "X");
    j.field("ts", us(s.start_ns)).field("dur", static_cast<double>(s.end_ns - s.start_ns) / 1e3);
    j.field("pid", phase + 1).field("tid", s.tid).end_object();
  }
  for (const ResourceSample& s : timeline) {
    const double ts = us(s.steady_ns);
    j.begin_object().field("name", "cores").field("ph", "C").field("ts", ts).field("pid", 0).field("tid", 0);
    j.key("args").begin_object().field("available", s.cores_available);
    j.field("used_by_braid", s.cores_used_by_braid).field("used_by_others", s.cores_used_by_others);
    j.field("others_runnable", s.others_runnable);
    j.end_object().end_object();
    if (s.memory_bytes_available >= 0) {
      j.begin_object().field("name", "memory available (GiB)").field("ph", "C").field("ts", ts).field("pid", 0);
      j.field("tid", 0).key("args").begin_object();
      j.field("GiB", static_cast<double>(s.memory_bytes_available) / (1 << 30)).end_object().end_object();
    }
    if (std::isfinite(s.bandwidth_gbps_available)) {
      j.begin_object().field("name", "bandwidth available (GB/s)").field("ph", "C").field("ts", ts).field("pid", 0);
      j.field("tid", 0).key("args").begin_object().field("GBps", s.bandwidth_gbps_available).end_object().end_object();
    }
  }
  j.end_array();
  // Not part of the format (viewers ignore it): what the checks and the HTML report need.
  j.key("otherData").begin_object().key("phases").begin_array();
  for (size_t p = 0; p < phases_.size(); ++p) {
    const TracePhase& ph = phases_[p];
    j.begin_object().field("pid", static_cast<int>(p + 1)).field("model", ph.model).field("mode", ph.mode);
    j.field("subgraphs", ph.subgraphs).field("requests", ph.requests).end_object();
  }
  j.end_array().end_object();
  j.end_object();
}

}  // namespace braid::bench
