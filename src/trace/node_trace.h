// Node-run tracing (braid/trace.h, RunTracer::on_node_run): the request a thread is running
// nodes for, so that run_node can report them without every executor passing it down.
// A request sets it around its node runs with a NodeTraceScope: the executor around each
// subgraph, the sequential path around its loop. Scopes nest (a thread waiting inside a
// kernel may run another request's subgraph) and restore what they replaced.
#pragma once

#include <cstdint>

#include "braid/trace.h"

namespace braid::detail {

struct NodeTraceContext {
  RunTracer* tracer = nullptr;  // wants_node_runs() was true when the request started
  uint64_t request_id = 0;
  const void* plan = nullptr;   // SubgraphRunEvent::plan of the same session
};

// The context of the request whose nodes this thread runs now; null when not tracing.
const NodeTraceContext* current_node_trace() noexcept;

class NodeTraceScope {
 public:
  // `context` null: this thread's node runs are not traced inside the scope.
  explicit NodeTraceScope(const NodeTraceContext* context) noexcept;
  ~NodeTraceScope();
  NodeTraceScope(const NodeTraceScope&) = delete;
  NodeTraceScope& operator=(const NodeTraceScope&) = delete;

 private:
  const NodeTraceContext* saved_;
};

// A fresh id for a traced request (numbered per process from 1; relaxed: only uniqueness
// matters). Shared by the executor and the sequential path.
uint64_t next_traced_request_id() noexcept;

// The context a request starting now gets: the installed tracer if it wants node runs
// (null tracer otherwise), with a fresh id when any tracer is installed.
NodeTraceContext node_trace_for_request(RunTracer* tracer, const void* plan) noexcept;

}  // namespace braid::detail
