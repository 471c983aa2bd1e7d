#include "sched/chunk_planner.h"

#include <algorithm>
#include <cmath>

namespace braid::detail {

const char* scheduling_policy_name(SchedulingPolicy p) noexcept {
  switch (p) {
    case SchedulingPolicy::kCriticalPath: return "critical_path";
    case SchedulingPolicy::kComputeFirst: return "compute_first";
    case SchedulingPolicy::kMemoryFirst: return "memory_first";
    case SchedulingPolicy::kHybrid: return "hybrid";
  }
  return "unknown";
}

int thread_budget(double cores_available, int max_threads) {
  if (!(cores_available >= 0)) cores_available = max_threads;  // NaN: unknown -> the cap
  int t = static_cast<int>(std::floor(cores_available + 0.25));
  return std::clamp(t, 1, std::max(1, max_threads));
}

namespace {

// The binding resource this step: memory when bandwidth is scarcer than compute.
SchedulingPolicy effective(SchedulingPolicy p, const ChunkBudget& b) {
  if (p != SchedulingPolicy::kHybrid) return p;
  if (b.bandwidth_share < 0.5 && b.bandwidth_share < b.compute_share) return SchedulingPolicy::kMemoryFirst;
  if (b.compute_share < 0.5) return SchedulingPolicy::kComputeFirst;
  return SchedulingPolicy::kCriticalPath;
}

bool before(const ReadyCandidate& a, const ReadyCandidate& b, SchedulingPolicy p) {
  if (a.priority != b.priority) return a.priority > b.priority;
  if (a.service != b.service) return a.service < b.service;
  switch (p) {
    case SchedulingPolicy::kComputeFirst:
      if (a.flops != b.flops) return a.flops > b.flops;
      break;
    case SchedulingPolicy::kMemoryFirst: {
      double am = a.bytes + a.working_set, bm = b.bytes + b.working_set;
      if (am != bm) return am < bm;
      break;
    }
    case SchedulingPolicy::kCriticalPath:
    case SchedulingPolicy::kHybrid:
      if (a.upward_rank_ns != b.upward_rank_ns) return a.upward_rank_ns > b.upward_rank_ns;
      break;
  }
  if (a.arrival != b.arrival) return a.arrival < b.arrival;
  return a.key < b.key;
}

// std heaps keep the greatest element on top: "less" means "goes later".
struct GoesLater {
  SchedulingPolicy policy;
  bool operator()(const ReadyCandidate& a, const ReadyCandidate& b) const { return before(b, a, policy); }
};

}  // namespace

void ReadyQueue::push(const ReadyCandidate& c) {
  heap_.push_back(c);
  if (heap_valid_) std::push_heap(heap_.begin(), heap_.end(), GoesLater{order_});
}

void ReadyQueue::order_by(SchedulingPolicy p) {
  if (heap_valid_ && order_ == p) return;
  order_ = p;
  std::make_heap(heap_.begin(), heap_.end(), GoesLater{order_});
  heap_valid_ = true;
}

ReadyCandidate ReadyQueue::pop() {
  std::pop_heap(heap_.begin(), heap_.end(), GoesLater{order_});
  ReadyCandidate c = heap_.back();
  heap_.pop_back();
  return c;
}

namespace {

// Share of linear speedup a heavy subgraph keeps on several threads (fork/join, shared
// caches, bandwidth), and how much better running alone must look before it is chosen.
constexpr double kParallelEfficiency = 0.9;
constexpr double kAloneMargin = 0.85;

// Whether `head` (already popped; `rest` the ready subgraphs behind it) should run alone
// with all `free_threads` while the rest wait. Sharing gives it `shared_threads` and the
// others one thread each: the chunk lasts about max(head's time on its threads, the
// others' time spread over theirs). Alone, the subgraphs run one after another on every
// thread: (head + others) / (efficiency x threads). That wins when the head is the
// longest by far: a heavy branch beside light ones, which sharing would leave running on
// a thread or two long after the others finished, the rest of the cores idle (a single
// node cannot borrow them back, Dispatcher::borrow). Times are the DSDG's one-thread
// predictions; unknown ones (0) never choose alone.
bool runs_best_alone(const ReadyCandidate& head, std::span<const ReadyCandidate> rest, int free_threads,
                     int shared_threads) {
  if (head.predicted_ns <= 0 || rest.empty()) return false;
  double others = 0;
  for (const ReadyCandidate& c : rest) {
    if (c.predicted_ns > head.predicted_ns) return false;  // the head is not the long one
    others += c.predicted_ns;
  }
  const int other_threads = std::max(1, free_threads - shared_threads);
  const double head_shared =
      shared_threads > 1 ? head.predicted_ns / (kParallelEfficiency * shared_threads) : head.predicted_ns;
  const double shared = std::max(head_shared, others / other_threads);
  const double alone = (head.predicted_ns + others) / (kParallelEfficiency * free_threads);
  return alone < kAloneMargin * shared;
}

// Appends `before` and the candidate's name (its subgraph when the caller labelled it,
// else its key) to the reasons, for the caller to go on.
std::string& named(std::string& why, const char* before, const ReadyCandidate& c) {
  why += before;
  why += c.label >= 0 ? "subgraph " : "key ";
  why += std::to_string(c.label >= 0 ? static_cast<uint64_t>(c.label) : c.key);
  return why;
}

// Threads per session within one step: what it held at the start plus what this step
// gave it. A fixed table (no allocation); sessions past its size are not capped.
class SessionTally {
 public:
  // The entry of `session` (read at its first use this step), or null when full.
  int* used(SessionThreads* session) {
    for (int i = 0; i < n_; ++i)
      if (sessions_[i] == session) return &used_[i];
    if (n_ == kMax) return nullptr;
    sessions_[n_] = session;
    used_[n_] = session->held.load(std::memory_order_relaxed);
    return &used_[n_++];
  }

 private:
  static constexpr int kMax = 16;
  SessionThreads* sessions_[kMax];
  int used_[kMax];
  int n_ = 0;
};

}  // namespace

void plan_chunk(ReadyQueue& ready, const ChunkBudget& budget, const PlannerConfig& config,
                ChunkDecision& decision) {
  decision.admit.clear();
  decision.too_big.clear();
  decision.why.clear();
  decision.effective_policy = effective(config.policy, budget);
  if (ready.empty()) return;
  const SchedulingPolicy policy = decision.effective_policy;
  ready.order_by(policy);

  const int cap = thread_budget(budget.cores_available, budget.max_threads);
  int free_threads = cap - budget.threads_in_use;
  double memory_free = budget.memory_budget > 0 ? budget.memory_budget - budget.memory_in_use : INFINITY;
  double cache_free = budget.cache_bytes > 0 ? budget.cache_bytes - budget.cache_in_use : INFINITY;
  bool nothing_running = budget.subgraphs_running == 0;
  // Each active session's share of the threads while several are (rounded up: with 2
  // threads and 3 sessions each may hold one).
  const int sessions = std::max(1, budget.active_sessions);
  const int session_share = (cap + sessions - 1) / sessions;
  SessionTally tally;
  if (config.trace) {
    decision.why = std::string("policy=") + scheduling_policy_name(policy) + " threads=" + std::to_string(cap) +
                   " in_use=" + std::to_string(budget.threads_in_use) + ";";
  }

  ready.skipped_.clear();
  while (!ready.empty()) {
    const size_t remaining = ready.size();  // this candidate and the ones not yet examined
    const bool progress = nothing_running && decision.admit.empty();
    if (free_threads <= 0 && !progress) {
      if (config.trace) decision.why += " no free thread for " + std::to_string(remaining) + " ready;";
      break;
    }
    const ReadyCandidate c = ready.pop();
    if (budget.memory_budget > 0 && c.working_set > budget.memory_budget) {
      decision.too_big.push_back(c.key);
      if (config.trace) named(decision.why, " ", c) += " exceeds the memory budget alone;";
      continue;
    }
    if (c.working_set > memory_free && !progress) {
      if (config.trace) named(decision.why, " ", c) += " delayed: memory;";
      ready.skipped_.push_back(c);
      continue;
    }
    // Co-scheduling two cache-resident subgraphs must not push both out of cache.
    if (!decision.admit.empty() || budget.subgraphs_running > 0) {
      if (c.working_set > cache_free && c.working_set <= budget.cache_bytes && !c.compute_bound) {
        if (config.trace) named(decision.why, " ", c) += " delayed: cache;";
        ready.skipped_.push_back(c);
        continue;
      }
    }
    // The session's cap and, while several sessions are active, its share.
    const bool limited = c.session != nullptr && (sessions > 1 || c.session->cap > 0);
    int* session_used = limited ? tally.used(c.session) : nullptr;
    int usable = free_threads;
    if (session_used != nullptr) {
      int limit = sessions > 1 ? session_share : cap;
      if (c.session->cap > 0) limit = std::min(limit, c.session->cap);
      usable = std::min(usable, limit - *session_used);
      if (usable <= 0 && !progress) {
        if (config.trace)
          named(decision.why, " ", c) += " delayed: its session holds its share of threads;";
        ready.skipped_.push_back(c);
        continue;
      }
    }
    // Threads: one each while there are more ready subgraphs than free threads; a heavy
    // subgraph takes the threads the others cannot use, or all of them, the others
    // waiting, when it is long enough that sharing would leave cores idle behind it.
    int threads = 1;
    bool alone = false;
    if (usable > 1 && c.flops >= 2 * config.intra_op_min_flops) {
      int others = static_cast<int>(std::min<size_t>(remaining - 1, static_cast<size_t>(usable - 1)));
      int useful = static_cast<int>(std::max(1.0, std::floor(c.flops / config.intra_op_min_flops)));
      threads = std::clamp(usable - others, 1, useful);
      alone = others > 0 && decision.admit.empty() && useful >= usable &&
              runs_best_alone(c, ready.heap_, usable, threads);
      if (alone) threads = usable;
    }
    if (session_used != nullptr) *session_used += threads;
    Admission a;
    a.key = c.key;
    a.threads = threads;
    a.memory = c.working_set;
    a.over_budget = progress && (free_threads <= 0 || c.working_set > memory_free);
    decision.admit.push_back(a);
    free_threads -= threads;
    memory_free -= c.working_set;
    cache_free -= c.working_set;
    if (config.trace)
      named(decision.why, " admit ", c) += " threads=" + std::to_string(threads) +
                                           (a.over_budget ? " (progress guarantee)" : "") +
                                           (alone ? " alone, the rest wait" : "") + ";";
    // Alone, the head took every thread it may use: the loop stops at the next candidate
    // (no free thread) or, several sessions active, admits only the other sessions'.
  }
  for (const ReadyCandidate& c : ready.skipped_) ready.push(c);
}

void plan_chunk(std::span<const ReadyCandidate> ready, const ChunkBudget& budget, const PlannerConfig& config,
                ChunkDecision& decision) {
  ReadyQueue queue;
  queue.reserve(ready.size());
  for (const ReadyCandidate& c : ready) queue.push(c);
  plan_chunk(queue, budget, config, decision);
}

}  // namespace braid::detail
