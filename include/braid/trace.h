// RunTracer: an observer of subgraph runs, for profilers and braid-bench's Chrome trace.
// Off by default: with no tracer installed the executor pays one atomic load per request
// and one pointer check per subgraph. Sequential mode runs nodes, not subgraphs, and
// reports nothing.
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
  const char* precision = "f32";  // arithmetic it ran in: precision_name() ("f32", "bf16", "int8")
  bool adaptive = false;          // scheduled by the Dispatcher (adaptive) or spawned (static)
  // The scheduling step (chunk) that admitted it: subgraphs of one chunk share the number
  // (numbered per runtime from 1); 0 in static mode, where nothing forms chunks.
  uint64_t chunk = 0;
  bool ok = true;                 // false when the subgraph failed
  int64_t start_ns = 0;           // std::chrono::steady_clock, time since its epoch
  int64_t end_ns = 0;
};

class RunTracer {
 public:
  virtual ~RunTracer() = default;
  // Called once per subgraph run, on the thread that ran it, right after it ran; several
  // threads may call it at once. Must not throw; keep it short (it delays the subgraph's
  // successors). Must be thread-safe.
  virtual void on_subgraph_run(const SubgraphRunEvent& event) noexcept = 0;
};

// Installs `tracer` for the requests that start from now on, in every session of this
// process (null turns tracing off). It must outlive those requests. Thread-safe.
void set_run_tracer(RunTracer* tracer) noexcept;
// The tracer installed now (null when off). Thread-safe.
RunTracer* run_tracer() noexcept;

}  // namespace braid
