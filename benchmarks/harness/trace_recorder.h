// TraceRecorder: braid-bench's RunTracer (braid/trace.h). Collects every subgraph run of
// the measured sessions and writes them as a Chrome trace (Trace Event Format, opens in
// ui.perfetto.dev or chrome://tracing): one complete event ("ph":"X") per subgraph run on
// the thread that ran it, one process per model x mode, and the resource vector as counter
// tracks ("ph":"C"); with node runs wanted, one event per node run as well (category
// "node", nested in its subgraph's); with steps wanted, one instant event ("ph":"i",
// category "schedule") per scheduling step, its reasons in the args. The measured requests of closed-loop scenarios are events too, on their
// client threads (category "request", sequential mode included).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "braid/trace.h"
#include "resource_timeline.h"
#include "scenarios.h"

namespace braid::bench {

struct TracedRun {
  uint64_t request_id = 0;
  uint32_t subgraph = 0;
  int threads = 1;
  int peak_threads = 1;  // with the cores it borrowed (braid::SubgraphRunEvent)
  int64_t borrowed_ns = 0;  // the borrowed cores' time (braid::SubgraphRunEvent)
  uint64_t chunk = 0;  // the scheduling step that admitted it (0: static mode)
  int phase = -1;  // index into TraceRecorder::phases(); -1 outside any
  int tid = 0;     // OS thread id
  bool adaptive = false;
  bool ok = true;
  const char* precision = "f32";
  int64_t start_ns = 0, end_ns = 0;  // steady_clock
};

// One node run (braid::NodeRunEvent), recorded when the recorder wants node runs.
struct TracedNode {
  uint64_t request_id = 0;
  uint32_t node = 0;
  int phase = -1;
  int tid = 0;
  int threads = 1;
  bool ok = true;
  const char* precision = "f32";
  int64_t start_ns = 0, end_ns = 0;
};

// One scheduling step (braid::ScheduleStepEvent), recorded when the recorder wants steps.
struct TracedStep {
  uint64_t chunk = 0;
  int phase = -1;
  int tid = 0;
  double cores_available = 0;
  int threads_in_use = 0, ready = 0, admitted = 0;
  std::string policy, reasons;
  int64_t time_ns = 0;  // steady_clock
};

// A node's name and op ("Conv", or with what fusion folded in: "Conv+Add+Relu").
struct TracedNodeInfo {
  std::string name, op;
};

struct TracePhase {
  std::string model, mode;
  int subgraphs = 0;  // Session::subgraph_profile().size()
  int requests = 0;   // run() calls made in it, warm-up included
};

class TraceRecorder final : public RunTracer {
 public:
  // Events are timed from `origin` (the resource timeline's start). Not thread-safe.
  // `nodes`: node runs too (--profile, --trace).
  // `steps`: the scheduler's steps too, with their reasons (--trace).
  explicit TraceRecorder(std::chrono::steady_clock::time_point origin, bool nodes = false, bool steps = false)
      : origin_(origin), record_nodes_(nodes), record_steps_(steps) {}

  void on_subgraph_run(const SubgraphRunEvent& event) noexcept override;
  bool wants_node_runs() const noexcept override { return record_nodes_; }
  void on_node_run(const NodeRunEvent& event) noexcept override;
  bool wants_schedule_steps() const noexcept override { return record_steps_; }
  void on_schedule_step(const ScheduleStepEvent& event) noexcept override;


  // Runs recorded from now on belong to a new phase (returned index). Thread-safe.
  int begin_phase(std::string model, std::string mode, int subgraphs);
  // Closes the phase with the number of requests it made. Thread-safe.
  void end_phase(int phase, int requests);
  // The measured requests of `phase`'s client threads (closed-loop scenarios). Thread-safe.
  void add_requests(int phase, const std::vector<RequestSpan>& spans);
  // Runs recorded from now on belong to no phase (until the next begin_phase). Thread-safe.
  void suspend_phase();
  // Several sessions run at once from now on: each run goes to the phase in which its
  // session (SubgraphRunEvent::plan) was first seen running, i.e. its warm-up. Thread-safe.
  void attribute_by_plan();

  // The node runs of `phase` recorded from now on are its measured ones (warm-up over).
  // Thread-safe.
  void begin_measured(int phase);

  // Snapshots. Thread-safe.
  std::vector<TracedRun> runs() const;
  std::vector<TracePhase> phases() const;
  // The measured node runs of `phase` (all of them if begin_measured was not called), and
  // the names of its nodes by node index.
  std::vector<TracedNode> measured_nodes(int phase) const;
  std::map<uint32_t, TracedNodeInfo> node_info(int phase) const;

  // The Chrome trace JSON, with `timeline` as counter tracks. Thread-safe.
  void write(std::ostream& os, const std::vector<ResourceSample>& timeline) const;

 private:
  int phase_of(const void* plan, int phase);  // the run's phase; with mu_ held

  const std::chrono::steady_clock::time_point origin_;
  const bool record_nodes_;
  const bool record_steps_;
  static constexpr int kByPlan = -2;
  std::atomic<int> phase_{-1};  // relaxed: phases change between sessions, not during runs
  mutable std::mutex mu_;
  std::map<const void*, int> plan_phase_;  // the phase each session's plan was first seen in
  std::vector<TracePhase> phases_;
  std::vector<TracedRun> runs_;
  std::vector<TracedNode> nodes_;
  std::vector<TracedStep> steps_;
  std::map<int, size_t> measured_from_;  // phase -> index into nodes_
  std::map<std::pair<int, uint32_t>, TracedNodeInfo> node_info_;  // (phase, node)
  std::vector<std::pair<int, RequestSpan>> requests_;  // (phase, span)
};

}  // namespace braid::bench
