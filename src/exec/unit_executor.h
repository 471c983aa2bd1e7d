// UnitExecutor: runs one request over a Dsdg whatever its subgraphs ("units") contain —
// the ONNX nodes of a session (ParallelExecutor) or a host engine's callables
// (HostSession). In `adaptive` mode every ready unit goes through the Runtime's
// Dispatcher (the scheduler gates what runs and with how many threads) and every run is
// timed and fed back to the Dsdg; in `static` mode every ready unit is spawned at once
// with a fixed thread count (what static runtimes do). Dependencies are a oneTBB flow
// graph built once from the DSDG (a continue_node per unit counts its predecessors, an
// async_node per unit is the gate that hands it to the scheduler and puts its completion
// when it has run), one graph per in-flight request, pooled and reused. With a RunTracer
// installed (braid/trace.h, read once per request) every unit run is also timed and
// reported to it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "braid/options.h"
#include "braid/precision.h"
#include "braid/status.h"
#include "core/object_pool.h"
#include "dsdg/dsdg.h"
#include "sched/dispatcher.h"
#include "sched/service_meter.h"

namespace braid::detail {

// Threads a unit borrowed beyond the ones it was admitted with (Dispatcher::borrow), as
// its body counted them while it ran.
struct UnitLoan {
  double thread_ns = 0;  // extra threads x the time they were held
  int peak_threads = 0;  // the most threads one of its steps ran with (0: none borrowed)
};

// The work of one request's units. run() is called at most once per unit, concurrently
// for independent units; finished() once per unit after run() (or instead of it when the
// request failed earlier), before the unit's successors are released.
class UnitBody {
 public:
  virtual ~UnitBody() = default;
  virtual Status run(uint32_t unit, int threads) = 0;
  virtual void finished(uint32_t unit) { (void)unit; }
  // The precision `unit` ran at, once run() returned (the DSDG learns its time under it).
  virtual Precision precision_of(uint32_t unit) const {
    (void)unit;
    return Precision::kF32;
  }
  // What `unit` borrowed while it ran, once run() returned (the DSDG learns its time under
  // the threads it really had).
  virtual UnitLoan loan(uint32_t unit) const {
    (void)unit;
    return {};
  }
};

struct FlowRequest;  // one in-flight request's flow graph and state (unit_executor.cpp)

class UnitExecutor {
 public:
  // `dispatcher` and `dsdg` must outlive the executor. Not thread-safe (construction).
  UnitExecutor(Dispatcher& dispatcher, Dsdg& dsdg, int static_threads);
  ~UnitExecutor();  // no request may be running

  // Runs every unit of one request in dependency order; the first failure (or the
  // cancellation / deadline of `options`, checked before each unit) fails the request,
  // the remaining units are skipped. Thread-safe: many requests may run at once.
  Status run(UnitBody& body, ExecutionMode mode, const RunOptions& options) const;

  // Recent core-time this session's units received (microseconds, decayed). Thread-safe.
  double recent_service_us() const;

  // Session priority given to every unit's scheduling candidate (higher first when
  // requests of several sessions compete). Not thread-safe (set before running).
  void set_priority(int priority) { priority_ = priority; }

  Dsdg& dsdg() const { return dsdg_; }
  // The session's hold on the Dispatcher's threads (for Dispatcher::borrow). Thread-safe.
  SessionThreads* session_threads() const { return &threads_; }
  Dispatcher& dispatcher() const { return dispatcher_; }

 private:
  Dispatcher& dispatcher_;
  Dsdg& dsdg_;
  const int static_threads_;
  int priority_ = 0;
  mutable ServiceMeter service_;  // this session's recent core-time (fair share)
  // This session's adaptive requests in flight and the Dispatcher's threads they hold
  // (at most `static_threads` when that is below the runtime's, and its share while
  // several sessions are active).
  mutable std::atomic<int> requests_in_flight_{0};
  mutable SessionThreads threads_;

  // Flow graphs of finished requests, reused by the next ones (one per request at once;
  // built on demand, so the pool grows to the most requests that ran concurrently).
  mutable ObjectPool<FlowRequest> pool_;
};

}  // namespace braid::detail
