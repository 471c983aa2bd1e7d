#include "sched/dispatcher.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include <tbb/global_control.h>

#include "braid/trace.h"
#include "core/tsan_annotations.h"
#include "sched/cache_info.h"
#include "sched/spawn_job.h"

namespace braid::detail {

namespace {

// oneTBB creates at most max_allowed_parallelism - 1 worker threads (by default the
// cores - 1: the thread that calls into the arena is meant to be the last one). Raises
// that limit to `workers` + 1 with a control variable held for the life of the process
// (raised again by a Runtime that needs more, never lowered), and says whether it holds:
// a host that set a lower max_allowed_parallelism itself keeps it (the smallest active
// value wins), and its callers then wait in the arena.
bool allow_tbb_workers(int workers) {
  static std::mutex mu;
  static std::unique_ptr<tbb::global_control> held;
  static size_t held_value = 0;
  const size_t want = static_cast<size_t>(workers) + 1;
  std::lock_guard lock(mu);
  if (held_value < want) {
    held.reset();  // the smaller value would win while both exist
    held = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, want);
    held_value = want;
  }
  return tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism) >= want;
}

bool caller_may_wait_outside(CallerWait mode, int threads) {
  if (mode == CallerWait::kInArena) return false;
  const char* env = std::getenv("BRAID_CALLER_IN_ARENA");
  if (env != nullptr && std::strcmp(env, "1") == 0) return false;
  return allow_tbb_workers(threads);
}

}  // namespace

Dispatcher::Dispatcher(int max_threads, ResourceMonitor* monitor, PlannerConfig config, double memory_budget,
                       CallerWait caller_wait)
    : max_threads_(std::max(1, max_threads)),
      monitor_(monitor),
      config_(config),
      memory_budget_(memory_budget),
      cache_bytes_(static_cast<double>(shared_cache_bytes())),
      callers_outside_(caller_may_wait_outside(caller_wait, max_threads_)),
      // One slot for the caller: with none reserved, max_threads workers would come for
      // the work of a caller that is itself in the arena, one of them to spin idle.
      arena_(max_threads_, 1),
      workers_arena_(max_threads_, 0) {
  // The steady state allocates nothing: a step admits at most one subgraph per thread
  // plus the progress guarantee's, and rejects or delays at most what is ready.
  ready_.reserve(1024);
  decision_.admit.reserve(static_cast<size_t>(max_threads_) + 1);
  decision_.too_big.reserve(1024);
}

Dispatcher::~Dispatcher() {
  // The last jobs may still be returning from their tasks after their requests ended.
  jobs_.wait();
}

void Dispatcher::submit(Job* job) {
  // Release: the job's fields (candidate, group) must be visible to the combiner that
  // pops it with the acquire exchange in step().
  Job* head = incoming_.load(std::memory_order_relaxed);
  do {
    job->next = head;
  } while (!incoming_.compare_exchange_weak(head, job, std::memory_order_release, std::memory_order_relaxed));
}

void Dispatcher::release(int threads, double memory, SessionThreads* session) {
  if (session != nullptr) session->held.fetch_sub(threads, std::memory_order_relaxed);
  threads_in_use_.fetch_sub(threads, std::memory_order_relaxed);
  running_.fetch_sub(1, std::memory_order_relaxed);
  if (memory != 0) {
    double cur = memory_in_use_.load(std::memory_order_relaxed);
    while (!memory_in_use_.compare_exchange_weak(cur, cur - memory, std::memory_order_relaxed)) {
    }
  }
}

void Dispatcher::session_activity(int delta) { active_sessions_.fetch_add(delta, std::memory_order_relaxed); }

int Dispatcher::borrow(int want, SessionThreads* session, bool whole_cores) {
  if (want <= 0 || active_sessions_.load(std::memory_order_relaxed) > 1) return 0;
  if (waiting_.load(std::memory_order_relaxed) != 0 || incoming_.load(std::memory_order_relaxed) != nullptr) return 0;
  if (session != nullptr && session->cap > 0) {
    // The session's own cap first (taken from its count), then the runtime's budget.
    int held = session->held.load(std::memory_order_relaxed);
    do {
      if (held >= session->cap) return 0;
      want = std::min(want, session->cap - held);
    } while (!session->held.compare_exchange_weak(held, held + want, std::memory_order_relaxed));
  } else if (session != nullptr) {
    session->held.fetch_add(want, std::memory_order_relaxed);
  }
  const int budget = whole_cores ? whole_core_budget_now() : thread_budget_now();
  int cur = threads_in_use_.load(std::memory_order_relaxed);
  int take = 0;
  for (;;) {
    if (cur >= budget) break;
    const int t = std::min(want, budget - cur);
    if (threads_in_use_.compare_exchange_weak(cur, cur + t, std::memory_order_relaxed)) {
      take = t;
      break;
    }
  }
  if (session != nullptr && take < want) session->held.fetch_sub(want - take, std::memory_order_relaxed);
  return take;
}

void Dispatcher::repay(int threads, SessionThreads* session) {
  if (threads <= 0) return;
  if (session != nullptr) session->held.fetch_sub(threads, std::memory_order_relaxed);
  threads_in_use_.fetch_sub(threads, std::memory_order_relaxed);
  // A job that arrived while the threads were out may have been left waiting for them.
  // Always pump: a conditional one could read waiting_ just before a combiner that
  // counted the borrowed threads stores it (the job would then wait for the next release).
  pump();
}

void resource_shares(const ResourceVector& v, double& compute_share, double& bandwidth_share) {
  if (std::isfinite(v.bandwidth_gbps_available) && v.bandwidth_gbps_peak > 0)
    bandwidth_share = std::clamp(v.bandwidth_gbps_available / v.bandwidth_gbps_peak, 0.0, 1.0);
  if (std::isfinite(v.cores_available) && std::isfinite(v.cores_limit) && v.cores_limit > 0)
    compute_share = std::clamp(v.cores_available / v.cores_limit, 0.0, 1.0);
}

double Dispatcher::cores_available_now() const {
  if (monitor_ != nullptr) {
    const double a = monitor_->current().cores_available;
    if (std::isfinite(a)) return a;
  }
  return max_threads_;
}

int Dispatcher::thread_budget_now() const { return thread_budget(cores_available_now(), max_threads_); }

int Dispatcher::whole_core_budget_now() const {
  const double cores = cores_available_now();
  // A quiet machine reads 2.00 of 2; a core shared with a busy process at most ~1.8.
  return std::clamp(static_cast<int>(std::floor(cores + 0.05)), 1, std::max(1, max_threads_));
}

ChunkBudget Dispatcher::budget_now() const {
  ChunkBudget b;
  b.max_threads = max_threads_;
  b.cores_available = max_threads_;
  if (monitor_ != nullptr) {
    ResourceVector v = monitor_->current();
    if (std::isfinite(v.cores_available)) b.cores_available = v.cores_available;
    resource_shares(v, b.compute_share, b.bandwidth_share);
  }
  b.threads_in_use = threads_in_use_.load(std::memory_order_relaxed);
  b.subgraphs_running = running_.load(std::memory_order_relaxed);
  b.active_sessions = std::max(1, active_sessions_.load(std::memory_order_relaxed));
  b.memory_budget = memory_budget_;
  b.memory_in_use = memory_in_use_.load(std::memory_order_relaxed);
  // The reserved working sets are what running work keeps in cache.
  b.cache_bytes = cache_bytes_;
  b.cache_in_use = b.memory_in_use;
  return b;
}

void Dispatcher::pump() {
  // A thread that finds busy_ taken returns right after its increment of pending_, and
  // the combiner re-reads pending_ after clearing busy_: one of the two must see the
  // other's write. That is a store followed by a load on each side (Dekker), which only
  // sequential consistency orders: with acquire/release the combiner's load may pass its
  // own store (x86 lets it, from the store buffer), both miss each other, and the job the
  // increment announced waits for an unrelated pump, forever if none comes (a request
  // hung in wait_for_all with every thread idle). Hence seq_cst on both variables.
  pending_.fetch_add(1, std::memory_order_seq_cst);
  for (;;) {
    bool expected = false;
    // Also acquires the previous combiner's writes to ready_.
    if (!busy_.compare_exchange_strong(expected, true, std::memory_order_seq_cst))
      return;  // another thread is combining; it re-checks pending_ before it leaves
    const uint64_t seen = pending_.load(std::memory_order_seq_cst);
    step();
    busy_.store(false, std::memory_order_seq_cst);
    // Jobs submitted by this very step (e.g. successors of a failed job) or by threads
    // that found us busy are picked up by another round.
    if (pending_.load(std::memory_order_seq_cst) == seen && incoming_.load(std::memory_order_seq_cst) == nullptr)
      return;
  }
}

void Dispatcher::step() {
  Job* list = incoming_.exchange(nullptr, std::memory_order_acquire);
  // The stack is LIFO; number the arrivals oldest first (the FIFO tie-break).
  size_t arrived = 0;
  for (Job* j = list; j != nullptr; j = j->next) ++arrived;
  uint64_t arrival = arrival_ + arrived;
  arrival_ = arrival;
  for (Job* j = list; j != nullptr; j = j->next) {
    ReadyCandidate c = j->candidate;
    c.key = reinterpret_cast<uint64_t>(j);
    c.arrival = --arrival;
    ready_.push(c);
  }
  if (ready_.empty()) {
    waiting_.store(0, std::memory_order_relaxed);
    return;
  }

  // A tracer that wants the steps gets the planner's reasons (built only then).
  RunTracer* tracer = run_tracer();
  const bool explain = tracer != nullptr && tracer->wants_schedule_steps();
  const size_t considered = ready_.size();
  ChunkBudget budget = budget_now();
  const bool trace_config = config_.trace;
  if (explain) config_.trace = true;
  plan_chunk(ready_, budget, config_, decision_);
  config_.trace = trace_config;
  const uint64_t chunk = steps_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (explain) {
    ScheduleStepEvent e;
    e.chunk = chunk;
    e.cores_available = budget.cores_available;
    e.threads_in_use = budget.threads_in_use;
    e.ready = static_cast<int>(considered);
    e.admitted = static_cast<int>(decision_.admit.size());
    e.policy = scheduling_policy_name(decision_.effective_policy);
    e.reasons = decision_.why.c_str();
    e.time_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    tracer->on_schedule_step(e);
  }
  if (trace_on_) {
    std::lock_guard lock(trace_mu_);
    trace_.push_back(decision_.why);
  }
  for (uint64_t key : decision_.too_big) {
    Job* j = reinterpret_cast<Job*>(key);
    j->fail(j, out_of_memory("subgraph needs " + std::to_string(static_cast<int64_t>(j->candidate.working_set)) +
                             " bytes, more than the memory budget of " +
                             std::to_string(static_cast<int64_t>(memory_budget_)) + " bytes"));
  }
  for (const Admission& a : decision_.admit) {
    Job* j = reinterpret_cast<Job*>(a.key);
    j->chunk = chunk;
    threads_in_use_.fetch_add(a.threads, std::memory_order_relaxed);
    if (j->candidate.session != nullptr) j->candidate.session->held.fetch_add(a.threads, std::memory_order_relaxed);
    running_.fetch_add(1, std::memory_order_relaxed);
    if (a.memory != 0) {
      double cur = memory_in_use_.load(std::memory_order_relaxed);
      while (!memory_in_use_.compare_exchange_weak(cur, cur + a.memory, std::memory_order_relaxed)) {
      }
    }
    admitted_.fetch_add(1, std::memory_order_relaxed);
    if (a.over_budget) over_budget_.fetch_add(1, std::memory_order_relaxed);
    spawn_job(j, a.threads);
  }
  waiting_.store(static_cast<int>(ready_.size()), std::memory_order_relaxed);
  if (!ready_.empty()) delayed_steps_.fetch_add(1, std::memory_order_relaxed);
}

DispatcherStats Dispatcher::stats() const {
  DispatcherStats s;
  s.steps = steps_.load(std::memory_order_relaxed);
  s.admitted = admitted_.load(std::memory_order_relaxed);
  s.delayed_steps = delayed_steps_.load(std::memory_order_relaxed);
  s.over_budget = over_budget_.load(std::memory_order_relaxed);
  return s;
}

void Dispatcher::set_trace(bool on) { trace_on_ = on; }

std::vector<std::string> Dispatcher::trace() const {
  std::lock_guard lock(trace_mu_);
  return trace_;
}

}  // namespace braid::detail
