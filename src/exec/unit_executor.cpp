#include "exec/unit_executor.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <vector>

#include <tbb/flow_graph.h>

#include "braid/trace.h"
#include "core/tsan_annotations.h"
#include "sched/spawn_job.h"
#include "trace/node_trace.h"

namespace braid::detail {

using tbb::flow::continue_msg;
// Per subgraph: a continue_node that fires when every predecessor's gate has put its
// completion (the dependency count) and an async_node, the gate, that hands the subgraph
// to the scheduler and puts its completion when it has run. Both lightweight with
// noexcept bodies (TBB runs a throwing body as a task): they run inline in the thread
// that completed the last predecessor, no task spawned.
using JoinNode = tbb::flow::continue_node<continue_msg, tbb::flow::lightweight>;
using GateNode = tbb::flow::async_node<continue_msg, continue_msg, tbb::flow::queueing_lightweight>;

// One in-flight request over the session's DSDG: the flow graph (built once, reused by
// every request that takes this instance from the pool) and the per-request state.
struct FlowRequest {
  // Built once; `graph` first so that it outlives its nodes.
  tbb::flow::graph graph;
  tbb::flow::broadcast_node<continue_msg> start{graph};
  std::vector<std::unique_ptr<JoinNode>> joins;  // per unit
  std::vector<std::unique_ptr<GateNode>> gates;  // per unit
  std::vector<Job> jobs;                         // per unit
  tbb::task_group group;  // callers in the arena: the units' runs, which the caller waits on
  Dispatcher* dispatcher = nullptr;
  Dsdg* dsdg = nullptr;
  ServiceMeter* service = nullptr;  // the session's fair-share meter
  // Per request: whether the caller waits outside the arena, sleeping until `units_left`
  // (units whose job has not returned) reaches 0 (see run()).
  bool waits_outside = false;
  std::atomic<uint32_t> units_left{0};

  // Per request.
  UnitBody* body = nullptr;
  const RunOptions* options = nullptr;
  bool static_mode = false;
  int static_threads = 1;
  RunTracer* tracer = nullptr;  // braid/trace.h: read once per request, null when off
  uint64_t request_id = 0;      // set only when tracing
  NodeTraceContext node_trace;  // its tracer is null unless node runs are wanted
  std::atomic<bool> failed{false};
  std::mutex status_mu;  // taken once, by the first failure
  Status status;

  FlowRequest(Dispatcher& d, Dsdg& g, ServiceMeter& meter);

  void fail(Status s) {
    std::lock_guard lock(status_mu);
    if (!failed.load(std::memory_order_relaxed)) status = std::move(s);
    failed.store(true, std::memory_order_release);
  }
};

namespace {

void make_ready(FlowRequest* r, uint32_t unit);

// Set while this thread puts a completion (or a request's start) into a graph: the gates
// that fire inline then only submit, and the putter pumps the Dispatcher once for all of
// them, so that one scheduling step sees every sibling it readied. A gate that TBB runs
// on its own (not inline) pumps itself.
thread_local bool t_putting = false;

// Puts `msg` through `sender` (a gate's gateway or the start node) with t_putting set.
template <class Sender>
void put_readying(Sender& sender) {
  const bool outer = t_putting;
  t_putting = true;
  sender.try_put(continue_msg());
  t_putting = outer;
}

// Marks a unit finished: lets the body clean up, then puts the completion through the
// unit's gate, which readies the successors whose last predecessor this was (their gates
// hand them to the scheduler inline, on this thread), and releases the graph's wait.
void complete_unit(FlowRequest* r, uint32_t unit) {
  r->body->finished(unit);
  GateNode::gateway_type& gateway = r->gates[unit]->gateway();
  put_readying(gateway);
  tsan_release(r);  // the waiter in run() acquires every unit's work (TBB's wait is opaque to TSan)
  gateway.release_wait();  // the request may end here: only the Dispatcher is used below
}

// Callers outside: one unit's job has returned (completed, pumped); the last wakes the
// caller, after which nothing of the request may be touched.
void unit_returned(FlowRequest* r) {
  // On a futex: harmless even if the caller has already seen 0 and returned.
  if (r->units_left.fetch_sub(1, std::memory_order_acq_rel) == 1) r->units_left.notify_one();
}

Status run_unit(FlowRequest* r, uint32_t unit, int threads) {
  const RunOptions& opt = *r->options;
  if (opt.cancel && opt.cancel->load(std::memory_order_relaxed)) return cancelled("run cancelled");
  if (opt.deadline && std::chrono::steady_clock::now() > *opt.deadline) return cancelled("deadline exceeded");
  NodeTraceScope node_trace(r->node_trace.tracer != nullptr ? &r->node_trace : nullptr);
  try {
    return r->body->run(unit, threads);
  } catch (const std::bad_alloc&) {
    return out_of_memory("out of memory in subgraph " + std::to_string(unit));
  } catch (const std::exception& e) {
    return internal_error("subgraph " + std::to_string(unit) + " threw: " + e.what());
  } catch (...) {
    return internal_error("subgraph " + std::to_string(unit) + " threw a non-standard exception");
  }
}

// Memory-bound subgraphs moving less than this are too short (and too cache-resident) to
// say anything about the DRAM bandwidth left to us.
constexpr double kMinBandwidthReportBytes = 1 << 20;

// Feeds one measured run of `unit` back to the DSDG and, for a memory-bound subgraph, its
// achieved vs predicted time to the monitor; not the unit's first run at its precision
// (cold, Dsdg::first_run).
// `threads` are the ones the unit really had: admitted plus, on average, borrowed.
void record_run(FlowRequest* r, uint32_t unit, const Job& job, int threads, double ns) {
  const Precision p = r->body->precision_of(unit);
  if (r->dsdg->first_run(unit, p)) return;
  r->dsdg->record(unit, p, threads, ns, job.candidate.bytes);
  ResourceMonitor* monitor = r->dispatcher->monitor();
  // Lowered runs move fewer bytes than the candidate's (f32) estimate: not reported.
  if (monitor && p == Precision::kF32 && !job.candidate.compute_bound && job.candidate.bytes >= kMinBandwidthReportBytes)
    monitor->report_memory_throughput(job.candidate.bytes, ns * 1e-9,
                                      r->dsdg->model_ns(unit, Precision::kF32, threads) * 1e-9);
}

void trace_run(const FlowRequest* r, uint32_t unit, uint64_t chunk, int threads, int peak_threads, double borrowed_ns,
               std::chrono::steady_clock::time_point start, std::chrono::steady_clock::time_point end, bool ok) {
  SubgraphRunEvent e;
  e.chunk = chunk;
  e.request_id = r->request_id;
  e.plan = r->dsdg;
  e.subgraph = unit;
  e.threads = threads;
  e.peak_threads = peak_threads;
  e.borrowed_ns = static_cast<int64_t>(borrowed_ns);
  e.precision = precision_name(r->body->precision_of(unit));
  e.adaptive = !r->static_mode;
  e.ok = ok;
  e.start_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count();
  e.end_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(end.time_since_epoch()).count();
  r->tracer->on_subgraph_run(e);
}

// Runs f() inside `arena`; execute() may run it on another thread, a hand-off TSan cannot
// see inside libtbb, so it is annotated both ways (core/tsan_annotations.h).
template <class F>
void execute_in(tbb::task_arena& arena, F&& f) {
  auto body = [&f] {
    tsan_acquire(&tsan_tbb_handoff);
    f();
    tsan_release(&tsan_tbb_handoff);
  };
  tsan_release(&tsan_tbb_handoff);  // after `body` is built: the other thread reads it
  arena.execute(body);
  tsan_acquire(&tsan_tbb_handoff);
}

void run_job(Job* job, int threads) {
  auto* r = static_cast<FlowRequest*>(job->owner);
  const uint32_t unit = job->index;
  const bool adaptive = !r->static_mode;
  if (!r->failed.load(std::memory_order_acquire)) {
    // Static mode is not measured: every subgraph runs at once with a fixed thread
    // count, so its times say more about the oversubscription than about the subgraph.
    const bool measure = adaptive;
    const bool timed = measure || r->tracer;
    const auto start = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    Status st = run_unit(r, unit, threads);
    const auto end = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    const UnitLoan loan = r->body->loan(unit);
    const int peak = std::max(threads, loan.peak_threads);
    if (r->tracer) trace_run(r, unit, job->chunk, threads, peak, loan.thread_ns, start, end, st.ok());
    if (!st.ok()) {
      r->fail(std::move(st));
    } else if (measure) {
      const double ns = std::chrono::duration<double, std::nano>(end - start).count();
      // Borrowed threads count for the share of the run they were held.
      const int had = ns > 0 ? std::clamp(static_cast<int>(std::lround(threads + loan.thread_ns / ns)), threads, peak)
                             : threads;
      record_run(r, unit, *job, had, ns);
      r->service->add(ns * threads + loan.thread_ns,
                      std::chrono::duration_cast<std::chrono::nanoseconds>(end.time_since_epoch()).count());
    } else {
      r->dsdg->first_run(unit, r->body->precision_of(unit));  // warm now: the next adaptive run counts
    }
  }
  Dispatcher* d = r->dispatcher;
  const double memory = job->candidate.working_set;
  const bool outside = r->waits_outside;
  if (adaptive) d->release(threads, memory, job->candidate.session);
  complete_unit(r, unit);  // callers in the arena: may end the request (`r` unused below)
  // One step for all the successors this completion readied: the chunk sees them together.
  if (adaptive) d->pump();
  if (outside) unit_returned(r);
}

void fail_job(Job* job, Status status) {
  auto* r = static_cast<FlowRequest*>(job->owner);
  const bool outside = r->waits_outside;
  r->fail(std::move(status));
  complete_unit(r, job->index);  // callers in the arena: may end the request
  if (outside) unit_returned(r);
}

// The gate's body: the unit's predecessors have all completed. Adaptive: the Dispatcher
// decides when it runs and with how many threads (whoever readied it pumps next). Static:
// it runs now with the fixed thread count.
void make_ready(FlowRequest* r, uint32_t unit) {
  Job* j = &r->jobs[unit];
  if (r->static_mode) {
    spawn_job(j, r->static_threads);
  } else {
    r->dispatcher->submit(j);
    if (!t_putting) r->dispatcher->pump();
  }
}

}  // namespace

FlowRequest::FlowRequest(Dispatcher& d, Dsdg& g, ServiceMeter& meter) : dispatcher(&d), dsdg(&g), service(&meter) {
  const size_t n = g.size();
  joins.reserve(n);
  gates.reserve(n);
  jobs.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    joins.push_back(std::make_unique<JoinNode>(graph, [](const continue_msg& m) noexcept { return m; }));
    gates.push_back(std::make_unique<GateNode>(
        graph, tbb::flow::unlimited, [this, i](const continue_msg&, GateNode::gateway_type& gateway) noexcept {
          gateway.reserve_wait();  // the graph's wait covers the run the scheduler will start
          make_ready(this, i);
        }));
    tbb::flow::make_edge(*joins[i], *gates[i]);
    Job& j = jobs[i];
    j.run = run_job;
    j.fail = fail_job;
    j.owner = this;
    j.index = i;
  }
  // Edges per dependency; the sources hang off `start`.
  for (uint32_t i = 0; i < n; ++i) {
    if (g.preds(i).empty()) tbb::flow::make_edge(start, *joins[i]);
    for (SubgraphId t : g.succs(i)) tbb::flow::make_edge(*gates[i], *joins[t]);
  }
}

UnitExecutor::UnitExecutor(Dispatcher& dispatcher, Dsdg& dsdg, int static_threads)
    : dispatcher_(dispatcher), dsdg_(dsdg), static_threads_(std::max(1, static_threads)) {
  // A session asking for fewer threads than the runtime has holds at most that many.
  if (static_threads_ < dispatcher.max_threads()) threads_.cap = static_threads_;
}

UnitExecutor::~UnitExecutor() = default;

namespace {
int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
// Service differences below this (core-time, us) do not reorder sessions: within it the
// policy decides.
constexpr double kServiceQuantumUs = 500;
}  // namespace

double UnitExecutor::recent_service_us() const { return service_.value_us(steady_now_ns()); }

Status UnitExecutor::run(UnitBody& body, ExecutionMode mode, const RunOptions& options) const {
  const size_t n = dsdg_.size();
  if (n == 0) return {};
  // Built inside the arena (when the pool has none free) so that the graph runs its tasks there.
  std::unique_ptr<FlowRequest> owned = pool_.take([&] {
    std::unique_ptr<FlowRequest> made;
    execute_in(dispatcher_.arena(), [&] { made = std::make_unique<FlowRequest>(dispatcher_, dsdg_, service_); });
    return made;
  });
  FlowRequest& r = *owned;
  r.body = &body;
  r.options = &options;
  r.static_mode = mode == ExecutionMode::kStatic;
  r.static_threads = static_threads_;
  r.failed.store(false, std::memory_order_relaxed);
  r.status = Status();
  // Fair share: every candidate of this request carries the session's recent service.
  const double service_key =
      r.static_mode ? 0.0 : std::floor(service_.value_us(steady_now_ns()) / kServiceQuantumUs);
  r.tracer = run_tracer();
  r.node_trace = node_trace_for_request(r.tracer, &dsdg_);
  r.request_id = r.node_trace.request_id;
  // A request that starts beside another waits outside the arena (see below); one that
  // starts alone lets its caller work in the arena. So does a run called from inside one
  // of Braid's arenas (a host callable or custom op calling run): its thread must not
  // sleep while the jobs it waits for may need it. (It enters arena(), the one its graph
  // was built in and waits in, even from workers_arena(), as a run from another Runtime's
  // callable would.)
  const int others_in_flight = dispatcher_.request_begins();
  r.waits_outside = dispatcher_.callers_may_wait_outside() && others_in_flight > 0 && t_in_arena == nullptr;
  tbb::task_arena* arena = r.waits_outside ? &dispatcher_.workers_arena() : &dispatcher_.arena();
  tbb::task_group* group = r.waits_outside ? &dispatcher_.jobs() : &r.group;
  for (uint32_t i = 0; i < n; ++i) {
    r.jobs[i].arena = arena;
    r.jobs[i].group = group;
    ReadyCandidate& c = r.jobs[i].candidate;
    // The DSDG's live view: costs at the current shapes, times and ranks learned from runs.
    const Cost cost = dsdg_.estimated_cost(i);
    c.flops = cost.flops;
    c.bytes = cost.bytes();
    c.working_set = dsdg_.peak_working_set(i);
    c.compute_bound = dsdg_.compute_bound(i);
    c.predicted_ns = dsdg_.predict_ns(i);
    c.label = i;
    c.upward_rank_ns = dsdg_.upward_rank(i);
    c.priority = priority_;
    c.service = service_key;
    c.session = &threads_;
  }
  // The session is active while one of its adaptive requests is in flight.
  const bool counted = !r.static_mode;
  if (counted && requests_in_flight_.fetch_add(1, std::memory_order_relaxed) == 0) dispatcher_.session_activity(+1);
  if (r.waits_outside) {
    // Another request is in flight. In the arena this thread would run whatever task it
    // found — another request's subgraph of several milliseconds — and could not return
    // before that ended; and it would need the caller's slot, which the other request's
    // caller may hold. So the workers of the workers' arena run every job of this
    // request: this thread only starts it and sleeps until its last unit returns.
    r.units_left.store(static_cast<uint32_t>(n), std::memory_order_relaxed);
    put_readying(r.start);  // the sources' gates submit (static: enqueue) them
    if (!r.static_mode) dispatcher_.pump();
    for (uint32_t left; (left = r.units_left.load(std::memory_order_acquire)) != 0;)
      r.units_left.wait(left, std::memory_order_acquire);
    tsan_acquire(&r);
  } else {
    // Alone, called from inside an arena, or callers must wait in the arena: this thread
    // runs jobs while it waits, the first ones from its own deque, with no hand-off to a
    // worker and back.
    execute_in(dispatcher_.arena(), [&] {
      tbb::task_arena* outer = t_in_arena;
      t_in_arena = &dispatcher_.arena();
      put_readying(r.start);  // the sources' gates submit them
      if (!r.static_mode) dispatcher_.pump();
      r.graph.wait_for_all();  // every unit completed (each gate holds the wait until then)
      r.group.wait();          // the runs' tails (pumping the Dispatcher) have returned
      t_in_arena = outer;
      tsan_acquire(&r);
    });
  }
  dispatcher_.request_ends();
  if (counted && requests_in_flight_.fetch_sub(1, std::memory_order_relaxed) == 1) dispatcher_.session_activity(-1);
  Status st = r.failed.load(std::memory_order_acquire) ? std::move(r.status) : Status();
  pool_.give_back(std::move(owned));
  return st;
}

}  // namespace braid::detail
