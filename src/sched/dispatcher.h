// Dispatcher: the run-time half of the scheduler, shared by every session of a Runtime.
// Ready subgraphs from any request arrive on a lock-free intrusive stack; whichever
// thread arrives first becomes the combiner for a moment (a try-flag, never a wait),
// drains the stack into the ready queue (a heap in policy order), asks the ChunkPlanner for
// the next chunk against the live ResourceVector and spawns the admitted subgraphs into
// the Runtime's arena. Running work's working sets are weighed against the shared cache
// (L2 + L3 from sysfs) so two cache-resident subgraphs are not co-scheduled out of it.
// Completions release their threads and memory and pump again. A running job may borrow
// cores that nobody waits for between its own steps (elastic intra-op threads: borrow /
// repay), so that a long branch left alone after its siblings finish is not held to the
// thread count it was admitted with.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include "braid/resource.h"
#include "sched/chunk_planner.h"

namespace braid::detail {

// One schedulable unit: a (request, subgraph) pair. Owned by the request; intrusive.
struct Job {
  Job* next = nullptr;                 // intrusive link in the incoming stack
  ReadyCandidate candidate;            // cost as the planner sees it (key = this)
  // Where its task runs and which task_group it joins (spawn_job.h): the Dispatcher's
  // arena() and the request's group, which a caller in the arena waits on; or, when the
  // caller waits outside, workers_arena() and the Dispatcher's jobs().
  tbb::task_arena* arena = nullptr;
  tbb::task_group* group = nullptr;
  void (*run)(Job* job, int threads) = nullptr;  // executes and completes the job
  void (*fail)(Job* job, Status status) = nullptr;  // completes without running
  void* owner = nullptr;               // the request
  uint32_t index = 0;                  // subgraph id within the request
  uint64_t chunk = 0;                  // the scheduling step that admitted it (1, 2, ...)
};

struct DispatcherStats {
  uint64_t steps = 0;
  uint64_t admitted = 0;
  uint64_t delayed_steps = 0;  // steps that left ready jobs waiting
  uint64_t over_budget = 0;    // admissions by the progress guarantee
};

// The shares of compute (cores available / cores we may use) and of memory bandwidth
// (available / peak) in `v`, each in [0, 1]; left unchanged where `v` does not know them.
// Thread-safe.
void resource_shares(const ResourceVector& v, double& compute_share, double& bandwidth_share);

// Where the thread that calls a run waits for its request.
enum class CallerWait {
  // A request that starts alone: in arena(), running jobs while it waits (no hand-off to
  // a worker and back). One that starts while another is in flight: outside, on its own
  // futex, while workers_arena()'s threads run its jobs. Where oneTBB allows max_threads
  // workers; otherwise as kInArena. BRAID_CALLER_IN_ARENA=1 turns it off.
  kAuto,
  // Always in arena(), running jobs — any request's — while it waits.
  kInArena,
};

class Dispatcher {
 public:
  // `monitor` may be null (then every core is assumed available). Not thread-safe.
  Dispatcher(int max_threads, ResourceMonitor* monitor, PlannerConfig config, double memory_budget,
             CallerWait caller_wait = CallerWait::kAuto);
  ~Dispatcher();  // no request may be in flight

  // Hands over a ready job. Lock-free. Thread-safe; must be called inside the arena.
  void submit(Job* job);
  // Called by a job when it finishes running: returns its threads and memory (and the
  // threads to its session's count, ReadyCandidate::session). Thread-safe.
  void release(int threads, double memory, SessionThreads* session = nullptr);
  // A session's first request in flight began (+1) or its last one ended (-1): while
  // several sessions are active each gets its share of the threads. Thread-safe.
  void session_activity(int delta);
  // Runs scheduling steps until no new work arrived meanwhile. Thread-safe.
  void pump();
  // Elastic intra-op threads: up to `want` more threads for a running job's next step,
  // taken only from the cores the budget allows right now and only while no job waits
  // for admission (a waiting job outranks a running one's extra threads). Returns how
  // many it got (0..want): never past `session`'s cap, none while several sessions are
  // active (the threads beyond a session's share are the others'). Lock-free. Thread-safe.
  // `whole_cores`: count only cores that are entirely free (the budget without
  // thread_budget's 80% rounding), for threads lent in the middle of a node, whose last
  // piece the node waits for: a core the monitor sees 80% free is one a competitor still
  // runs on, and a helper descheduled there holds the whole node up by a scheduler tick.
  int borrow(int want, SessionThreads* session = nullptr, bool whole_cores = false);
  // Returns threads from borrow() and pumps (a job may have arrived meanwhile). Thread-safe.
  void repay(int threads, SessionThreads* session = nullptr);

  int max_threads() const { return max_threads_; }
  // max_threads slots, one of them reserved for a caller: the caller and max_threads - 1
  // workers.
  tbb::task_arena& arena() { return arena_; }
  // max_threads slots for workers only: the jobs of callers waiting outside.
  tbb::task_arena& workers_arena() { return workers_arena_; }
  // True when oneTBB may run max_threads workers and callers may wait outside
  // (CallerWait::kAuto granted). Thread-safe.
  bool callers_may_wait_outside() const { return callers_outside_; }
  // A request begins (returns how many were in flight before it) or ends. Thread-safe.
  int request_begins() { return requests_in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void request_ends() { requests_in_flight_.fetch_sub(1, std::memory_order_relaxed); }
  // The group of the jobs whose callers wait outside. Thread-safe.
  tbb::task_group& jobs() { return jobs_; }
  ResourceMonitor* monitor() const { return monitor_; }
  // Cores the scheduler may use right now. Thread-safe.
  int thread_budget_now() const;
  // Entirely free cores the scheduler may use right now (at least 1). Thread-safe.
  int whole_core_budget_now() const;
  DispatcherStats stats() const;
  // Records the planner's reasons (last `n` steps) for tests and traces. Not thread-safe.
  void set_trace(bool on);
  std::vector<std::string> trace() const;

 private:
  void step();
  ChunkBudget budget_now() const;
  // The monitor's cores available (max_threads_ without a monitor or a reading).
  double cores_available_now() const;

  const int max_threads_;
  ResourceMonitor* monitor_;
  PlannerConfig config_;
  const double memory_budget_;
  const double cache_bytes_;  // shared cache per core group; 0 when unknown
  const bool callers_outside_;
  tbb::task_arena arena_;
  tbb::task_arena workers_arena_;  // initialised on first use
  tbb::task_group jobs_;  // the jobs of callers waiting outside (destroyed before the arenas)

  alignas(64) std::atomic<Job*> incoming_{nullptr};
  alignas(64) std::atomic<uint64_t> pending_{0};
  alignas(64) std::atomic<bool> busy_{false};
  alignas(64) std::atomic<int> threads_in_use_{0};
  std::atomic<int> waiting_{0};  // ready jobs the last step left waiting (the combiner's count)
  std::atomic<int> running_{0};
  std::atomic<int> active_sessions_{0};
  std::atomic<int> requests_in_flight_{0};
  std::atomic<double> memory_in_use_{0};

  // Owned by the combiner (the thread holding busy_).
  ReadyQueue ready_;  // keys are Job*
  ChunkDecision decision_;
  uint64_t arrival_ = 0;
  std::atomic<uint64_t> steps_{0}, admitted_{0}, delayed_steps_{0}, over_budget_{0};
  bool trace_on_ = false;
  std::vector<std::string> trace_;
  mutable std::mutex trace_mu_;  // guards trace_ (tests and traces only)
};

}  // namespace braid::detail
