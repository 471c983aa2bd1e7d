// RunTracer: an observer of subgraph runs and, when asked for, of node runs and of the
// scheduler's steps (why each chunk, why something waited), for profilers, braid-bench's
// Chrome trace and its --profile tables.
// Off by default: with no tracer installed the executor pays one atomic load per request
// and one pointer check per subgraph. Sequential mode runs nodes, not subgraphs: it
// reports node runs only. A tracer whose wants_node_runs() is true gets every node run of
// every mode (two clock reads and one call per node; none otherwise).
//
//   struct Printer : braid::RunTracer {
//     void on_subgraph_run(const braid::SubgraphRunEvent& e) noexcept override { /* ... */ }
//   };
//   Printer p;
//   braid::set_run_tracer(&p);       // every session of the process, from the next request
//   auto out = session.run(inputs);
//   braid::set_run_tracer(nullptr);  // requests already running keep reporting to `p`
#pragma once

#include <cstdint>

namespace braid {

// One finished subgraph run (static or adaptive mode).
struct SubgraphRunEvent {
  uint64_t request_id = 0;        // numbered per process from 1, across sessions
  const void* plan = nullptr;     // tells sessions apart: one address per loaded plan
  uint32_t subgraph = 0;          // id in the session's plan (Session::subgraph_profile)
  int threads = 1;                // intra-op threads the scheduler admitted it with
  // The most intra-op threads one of its nodes ran with: `threads` plus the cores it
  // borrowed while nothing else waited for them (adaptive ONNX sessions; else = threads).
  int peak_threads = 1;
  // The borrowed cores' share of the run: each borrowed thread's time from its loan to its
  // repayment, summed (0 when nothing was borrowed). With `threads` x (end - start) it is
  // the core time the subgraph held, so a trace shows which cores idled meanwhile.
  int64_t borrowed_ns = 0;
  const char* precision = "f32";  // arithmetic it ran in: precision_name() ("f32", "bf16", "int8")
  bool adaptive = false;          // scheduled by the Dispatcher (adaptive) or spawned (static)
  // The scheduling step (chunk) that admitted it: subgraphs of one chunk share the number
  // (numbered per runtime from 1); 0 in static mode, where nothing forms chunks.
  uint64_t chunk = 0;
  bool ok = true;                 // false when the subgraph failed
  int64_t start_ns = 0;           // std::chrono::steady_clock, time since its epoch
  int64_t end_ns = 0;
};

// One finished node run (any mode), from the node's first input check to its last
// released input: the kernel plus the handling of its values.
struct NodeRunEvent {
  uint64_t request_id = 0;        // as SubgraphRunEvent's (sequential requests numbered too)
  const void* plan = nullptr;     // as SubgraphRunEvent's: the same address for one session
  uint32_t node = 0;              // index in the session's (fused) graph, topological order
  const char* name = "";          // the node's name (valid while its session lives)
  const char* op_type = "";       // "Conv", "MatMul", ... (valid while its session lives)
  // Set by load-time graph fusion: what the node does besides its op ("Relu",
  // "Add+Relu", "MaxPool", ...; "" when nothing was fused into it).
  const char* fused = "";
  int threads = 1;                // intra-op threads it ran with (borrowed cores included)
  const char* precision = "f32";  // arithmetic it ran in
  bool ok = true;                 // false when the node failed
  int64_t start_ns = 0;           // std::chrono::steady_clock, time since its epoch
  int64_t end_ns = 0;
};

// One scheduling step of an adaptive Dispatcher: what it saw and what it decided, in
// words. Steps run whenever a subgraph becomes ready or finishes, on whichever thread
// noticed; one that admits nothing is reported too (its reasons say why).
struct ScheduleStepEvent {
  // The step's number: SubgraphRunEvent::chunk of every subgraph it admitted (numbered
  // per runtime from 1).
  uint64_t chunk = 0;
  double cores_available = 0;  // the resource vector's cores, as the step planned with
  int threads_in_use = 0;      // threads running subgraphs were holding
  int ready = 0;               // ready subgraphs it considered (all sessions of the runtime)
  int admitted = 0;            // subgraphs it started
  const char* policy = "";     // the effective policy: "hybrid", "critical_path", ...
  // Why, step by step: "policy=hybrid threads=2 in_use=0; admit subgraph 3 threads=2
  // alone, the rest wait; no free thread for 1 ready;" (valid during the call only;
  // "delayed: memory", "delayed: cache", "exceeds the memory budget alone", "(progress
  // guarantee)" and the session-share reason appear as they apply).
  const char* reasons = "";
  int64_t time_ns = 0;  // std::chrono::steady_clock, time since its epoch
};

class RunTracer {
 public:
  virtual ~RunTracer() = default;
  // Called once per subgraph run, on the thread that ran it, right after it ran; several
  // threads may call it at once. Must not throw; keep it short (it delays the subgraph's
  // successors). Must be thread-safe.
  virtual void on_subgraph_run(const SubgraphRunEvent& event) noexcept = 0;
  // Whether on_node_run is wanted; read once per request, when it starts.
  virtual bool wants_node_runs() const noexcept { return false; }
  // Called once per node run, on the thread that ran it, right after it ran (the same
  // rules as on_subgraph_run).
  virtual void on_node_run(const NodeRunEvent& /*event*/) noexcept {}
  // Whether on_schedule_step is wanted; read at every scheduling step (building the
  // reasons costs a few string appends a step, so only then).
  virtual bool wants_schedule_steps() const noexcept { return false; }
  // Called once per scheduling step of the adaptive mode, on the thread that ran the step,
  // while no other step runs on that runtime (the same rules as on_subgraph_run).
  virtual void on_schedule_step(const ScheduleStepEvent& /*event*/) noexcept {}
};

// Installs `tracer` for the requests that start from now on, in every session of this
// process (null turns tracing off). It must outlive those requests. Thread-safe.
void set_run_tracer(RunTracer* tracer) noexcept;
// The tracer installed now (null when off). Thread-safe.
RunTracer* run_tracer() noexcept;

}  // namespace braid
