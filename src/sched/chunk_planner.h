// ChunkPlanner: the scheduler's decision, as a pure function. Given the ready subgraphs
// (of every in-flight request), what is running, and the live resource availability, it
// picks the next chunk — which ready subgraphs start now and how many threads each gets —
// and says why the rest wait. No threads, no clocks: deterministic and unit-testable (the
// one shared state it reads is each candidate session's count of held threads).
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace braid::detail {

enum class SchedulingPolicy {
  kCriticalPath,  // highest upward rank first (finish the longest path early)
  kComputeFirst,  // most FLOPs first (when compute is the binding resource)
  kMemoryFirst,   // least memory traffic and footprint first (when bandwidth binds)
  kHybrid,        // binding resource decided from the availability vector each step
};

const char* scheduling_policy_name(SchedulingPolicy p) noexcept;

// One session's hold on the Dispatcher's threads: what its running subgraphs hold
// (admitted and borrowed) and the most it may hold (SessionOptions::threads below the
// runtime's; 0: no cap of its own). Owned by the session's UnitExecutor.
struct SessionThreads {
  std::atomic<int> held{0};
  int cap = 0;
};

// One ready subgraph, as the planner sees it.
struct ReadyCandidate {
  uint64_t key = 0;            // caller's handle (request, subgraph); echoed back
  int64_t label = -1;          // the subgraph's id for the reasons (-1: named by key)
  uint64_t arrival = 0;        // FIFO tie-break: lower arrived earlier
  double flops = 0;
  double bytes = 0;            // bytes moved (read + written)
  double working_set = 0;      // bytes that must be resident while it runs
  double upward_rank_ns = 0;   // estimated time to the end of the graph from its start
  double predicted_ns = 0;     // estimated run time on one thread
  bool compute_bound = false;
  int priority = 0;            // session priority: higher first (ties by service, then policy)
  // Fair share among sessions: the recent core-time (us, ServiceMeter) of the candidate's
  // session when its request started, quantised; lower first at equal priority. Every
  // candidate of one request carries the same value, so the policy orders a request's
  // subgraphs, and a session's older requests go before its newer ones.
  double service = 0;
  // The candidate's session (null: no per-session limit; tests, tools). It may hold at
  // most its cap and, while several sessions have requests in flight, at most its share
  // of the threads, so that one model's long subgraphs never make another's wait for a
  // core (Band-style spatial sharing).
  SessionThreads* session = nullptr;
};

// What is available for this step.
struct ChunkBudget {
  double cores_available = 1;   // from the ResourceVector (fractional)
  int max_threads = 1;          // session/runtime thread cap
  int threads_in_use = 0;       // threads held by running subgraphs
  int subgraphs_running = 0;
  double memory_budget = 0;     // bytes for activations + workspace; 0 = unbounded
  double memory_in_use = 0;     // reserved by running subgraphs
  double bandwidth_share = 1;   // available / peak bandwidth (0..1)
  double compute_share = 1;     // available / peak compute (0..1)
  double cache_bytes = 0;       // shared cache (L2 + L3 per core group); 0 = ignore
  double cache_in_use = 0;      // working sets of running subgraphs
  int active_sessions = 1;      // sessions with a request in flight (adaptive)
};

struct PlannerConfig {
  SchedulingPolicy policy = SchedulingPolicy::kHybrid;
  // Work below this many FLOPs gains nothing from a second thread (a fork/join costs
  // about as much); derived from the measured dispatch overhead.
  double intra_op_min_flops = 4e6;
  bool trace = false;  // fill ChunkDecision::why
};

struct Admission {
  uint64_t key = 0;
  int threads = 1;
  double memory = 0;
  bool over_budget = false;  // admitted only by the progress guarantee
};

struct ChunkDecision {
  std::vector<Admission> admit;
  std::vector<uint64_t> too_big;  // cannot fit the memory budget even alone: fail them
  SchedulingPolicy effective_policy = SchedulingPolicy::kCriticalPath;
  std::string why;  // when PlannerConfig::trace
};

// Thread budget for this step: the cores that are really free, never below one and never
// above the cap. Fractions round down unless nearly whole (a core 80% free still counts).
int thread_budget(double cores_available, int max_threads);

// The ready set between scheduling steps: a binary heap in the order of the policy the
// last step used, so that a step costs O((arrivals + examined) log n) instead of a sort of
// every ready subgraph (a 1,000-subgraph ready set: see benchmarks/micro/sched). The heap
// is rebuilt (O(n)) only when the effective policy changes. Ties break by arrival, then
// by key. Owned by one thread at a time (the dispatcher's combiner). Not thread-safe.
class ReadyQueue {
 public:
  // Room for n ready subgraphs (and as many delayed in one step): no allocation below it.
  void reserve(size_t n) {
    heap_.reserve(n);
    skipped_.reserve(n);
  }
  // Adds a ready subgraph. Allocates only when the queue outgrows its capacity.
  void push(const ReadyCandidate& c);
  size_t size() const noexcept { return heap_.size(); }
  bool empty() const noexcept { return heap_.empty(); }
  void clear() noexcept { heap_.clear(); }

 private:
  friend void plan_chunk(ReadyQueue& ready, const ChunkBudget& budget, const PlannerConfig& config,
                         ChunkDecision& decision);
  void order_by(SchedulingPolicy p);
  ReadyCandidate pop();
  bool heap_valid_ = false;
  SchedulingPolicy order_ = SchedulingPolicy::kCriticalPath;
  std::vector<ReadyCandidate> heap_;
  std::vector<ReadyCandidate> skipped_;  // examined this step, delayed: pushed back after
};

// Picks the next chunk and takes the admitted (and the too-big) subgraphs out of `ready`;
// the delayed stay. Admissions come in policy order. Never admits more threads than the
// budget, except that with nothing running the first candidate always starts (progress
// guarantee). Allocates nothing in steady state.
void plan_chunk(ReadyQueue& ready, const ChunkBudget& budget, const PlannerConfig& config,
                ChunkDecision& decision);

// The same decision for a plain list (tests, tools): `ready` is left unchanged.
void plan_chunk(std::span<const ReadyCandidate> ready, const ChunkBudget& budget, const PlannerConfig& config,
                ChunkDecision& decision);

}  // namespace braid::detail
