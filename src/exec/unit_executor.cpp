#include "exec/unit_executor.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <optional>
#include <vector>

#include "braid/trace.h"
#include "core/tsan_annotations.h"
#include "dsdg/dsdg_request.h"

namespace braid::detail {
namespace {

struct Request {
  UnitBody* body = nullptr;
  Dispatcher* dispatcher = nullptr;
  Dsdg* dsdg = nullptr;
  const RunOptions* options = nullptr;
  bool static_mode = false;
  int static_threads = 1;
  ServiceMeter* service = nullptr;  // the session's fair-share meter
  RunTracer* tracer = nullptr;  // braid/trace.h: read once per request, null when off
  uint64_t request_id = 0;      // set only when tracing

  std::optional<DsdgRequest> ready;  // per unit: predecessors not finished
  std::vector<Job> jobs;
  std::atomic<int> remaining{0};
  std::atomic<bool> failed{false};
  std::mutex status_mu;  // taken once, by the first failure
  Status status;
  tbb::task_group group;
  tbb::task_handle done;

  void fail(Status s) {
    std::lock_guard lock(status_mu);
    if (!failed.load(std::memory_order_relaxed)) status = std::move(s);
    failed.store(true, std::memory_order_release);
  }
};

void make_ready(Request* r, uint32_t unit);

// Marks a unit finished: lets the body clean up, readies successors, ends the request.
// `r` may be destroyed as soon as the last unit completes: nothing touches it after.
void complete_unit(Request* r, uint32_t unit) {
  r->body->finished(unit);
  // The DSDG's ready set: this unit's outputs are visible to the successor that becomes
  // ready (acq_rel counters) and the claim makes exactly one launch.
  r->ready->complete(unit, [r](SubgraphId s) {
    if (r->ready->try_claim(s)) make_ready(r, s);
  });
  tsan_release(r);  // the waiter in run() acquires every unit's work (TBB's wait is opaque to TSan)
  if (r->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) r->group.run(std::move(r->done));
}

Status run_unit(Request* r, uint32_t unit, int threads) {
  const RunOptions& opt = *r->options;
  if (opt.cancel && opt.cancel->load(std::memory_order_relaxed)) return cancelled("run cancelled");
  if (opt.deadline && std::chrono::steady_clock::now() > *opt.deadline) return cancelled("deadline exceeded");
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
// achieved vs predicted time to the monitor.
void record_run(Request* r, uint32_t unit, const Job& job, int threads, double ns) {
  const Precision p = r->body->precision_of(unit);
  r->dsdg->record(unit, p, threads, ns, job.candidate.bytes);
  ResourceMonitor* monitor = r->dispatcher->monitor();
  // Lowered runs move fewer bytes than the candidate's (f32) estimate: not reported.
  if (monitor && p == Precision::kF32 && !job.candidate.compute_bound && job.candidate.bytes >= kMinBandwidthReportBytes)
    monitor->report_memory_throughput(job.candidate.bytes, ns * 1e-9,
                                      r->dsdg->model_ns(unit, Precision::kF32, threads) * 1e-9);
}

void trace_run(const Request* r, uint32_t unit, uint64_t chunk, int threads, std::chrono::steady_clock::time_point start,
               std::chrono::steady_clock::time_point end, bool ok) {
  SubgraphRunEvent e;
  e.chunk = chunk;
  e.request_id = r->request_id;
  e.plan = r->dsdg;
  e.subgraph = unit;
  e.threads = threads;
  e.precision = precision_name(r->body->precision_of(unit));
  e.adaptive = !r->static_mode;
  e.ok = ok;
  e.start_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count();
  e.end_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(end.time_since_epoch()).count();
  r->tracer->on_subgraph_run(e);
}

// Request ids of traced requests (relaxed: only uniqueness matters).
std::atomic<uint64_t> g_traced_requests{0};

void run_job(Job* job, int threads) {
  auto* r = static_cast<Request*>(job->owner);
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
    if (r->tracer) trace_run(r, unit, job->chunk, threads, start, end, st.ok());
    if (!st.ok()) {
      r->fail(std::move(st));
    } else if (measure) {
      const double ns = std::chrono::duration<double, std::nano>(end - start).count();
      record_run(r, unit, *job, threads, ns);
      r->service->add(ns * threads, std::chrono::duration_cast<std::chrono::nanoseconds>(end.time_since_epoch()).count());
    }
  }
  Dispatcher* d = r->dispatcher;
  const double memory = job->candidate.working_set;
  if (adaptive) d->release(threads, memory);
  complete_unit(r, unit);  // may end the request: `r` is not used below
  if (adaptive) d->pump();
}

void fail_job(Job* job, Status status) {
  auto* r = static_cast<Request*>(job->owner);
  r->fail(std::move(status));
  complete_unit(r, job->index);
}

void make_ready(Request* r, uint32_t unit) {
  Job* j = &r->jobs[unit];
  if (r->static_mode) {
    const int threads = r->static_threads;
    tsan_release(j);
    r->group.run([j, threads] {
      tsan_acquire(j);
      run_job(j, threads);
    });
  } else {
    r->dispatcher->submit(j);
  }
}

}  // namespace

UnitExecutor::UnitExecutor(Dispatcher& dispatcher, Dsdg& dsdg, int static_threads)
    : dispatcher_(dispatcher), dsdg_(dsdg), static_threads_(std::max(1, static_threads)) {}

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
  Request r;
  r.body = &body;
  r.dispatcher = &dispatcher_;
  r.dsdg = &dsdg_;
  r.options = &options;
  r.static_mode = mode == ExecutionMode::kStatic;
  r.static_threads = static_threads_;
  r.service = &service_;
  // Fair share: every candidate of this request carries the session's recent service.
  const double service_key =
      r.static_mode ? 0.0 : std::floor(service_.value_us(steady_now_ns()) / kServiceQuantumUs);
  r.tracer = run_tracer();
  if (r.tracer) r.request_id = g_traced_requests.fetch_add(1, std::memory_order_relaxed) + 1;
  r.ready.emplace(dsdg_);
  r.jobs.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    Job& j = r.jobs[i];
    // The DSDG's live view: costs at the current shapes, times and ranks learned from runs.
    const Cost cost = dsdg_.estimated_cost(i);
    j.candidate.flops = cost.flops;
    j.candidate.bytes = cost.bytes();
    j.candidate.working_set = dsdg_.peak_working_set(i);
    j.candidate.compute_bound = dsdg_.compute_bound(i);
    j.candidate.predicted_ns = dsdg_.predict_ns(i);
    j.candidate.upward_rank_ns = dsdg_.upward_rank(i);
    j.candidate.priority = priority_;
    j.candidate.service = service_key;
    j.group = &r.group;
    j.run = run_job;
    j.fail = fail_job;
    j.owner = &r;
    j.index = i;
  }
  r.remaining.store(static_cast<int>(n), std::memory_order_relaxed);
  auto start = [&] {
    tsan_acquire(&tsan_tbb_handoff);
    r.done = r.group.defer([] {});
    for (SubgraphId root : dsdg_.sources())
      if (r.ready->try_claim(root)) make_ready(&r, root);
    if (!r.static_mode) dispatcher_.pump();
    r.group.wait();
    tsan_acquire(&r);
    tsan_release(&tsan_tbb_handoff);
  };
  tsan_release(&tsan_tbb_handoff);  // execute() may run `start` on another thread
  dispatcher_.arena().execute(start);
  tsan_acquire(&tsan_tbb_handoff);
  if (r.failed.load(std::memory_order_acquire)) return r.status;
  return {};
}

}  // namespace braid::detail
