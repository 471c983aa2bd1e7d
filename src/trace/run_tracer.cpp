// The process-wide RunTracer slot (braid/trace.h). The executor reads it once per request;
// the node-run context (trace/node_trace.h) is per thread.
#include "braid/trace.h"

#include <atomic>

#include "trace/node_trace.h"

namespace braid {
namespace {
std::atomic<RunTracer*> g_tracer{nullptr};
std::atomic<uint64_t> g_traced_requests{0};
thread_local const detail::NodeTraceContext* t_node_trace = nullptr;
}  // namespace

// Release/acquire: a request that sees the tracer also sees the writes that built it.
void set_run_tracer(RunTracer* tracer) noexcept { g_tracer.store(tracer, std::memory_order_release); }
RunTracer* run_tracer() noexcept { return g_tracer.load(std::memory_order_acquire); }

namespace detail {

const NodeTraceContext* current_node_trace() noexcept { return t_node_trace; }

NodeTraceScope::NodeTraceScope(const NodeTraceContext* context) noexcept : saved_(t_node_trace) {
  t_node_trace = context;
}

NodeTraceScope::~NodeTraceScope() { t_node_trace = saved_; }

uint64_t next_traced_request_id() noexcept { return g_traced_requests.fetch_add(1, std::memory_order_relaxed) + 1; }

NodeTraceContext node_trace_for_request(RunTracer* tracer, const void* plan) noexcept {
  NodeTraceContext c;
  if (tracer == nullptr) return c;
  c.request_id = next_traced_request_id();
  c.plan = plan;
  if (tracer->wants_node_runs()) c.tracer = tracer;
  return c;
}

}  // namespace detail
}  // namespace braid
