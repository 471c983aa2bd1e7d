// DsdgRequest: the ready set of one run over a Dsdg. Every subgraph has an atomic count
// of unfinished predecessors; complete(s) decrements its successors' counts and reports
// (and publishes in a ready bitset) those that reach zero. A ready subgraph stays in the
// set until someone claims it, so several scheduler threads can form chunks from
// ready_subgraphs() and race on try_claim() without locks. Many requests may run over one
// Dsdg at once; each owns its counters.
//
//   DsdgRequest req(dsdg);                    // sources are ready
//   for (SubgraphId s : req.ready_subgraphs()) if (req.try_claim(s)) launch(s);
//   ... on completion of s, on any thread:
//   req.complete(s, [&](SubgraphId t) { if (req.try_claim(t)) launch(t); });
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "dsdg/dsdg.h"

namespace braid::detail {

class DsdgRequest {
 public:
  // Allocates the counters (the only allocation) and resets them. Not thread-safe.
  explicit DsdgRequest(const Dsdg& dsdg);
  DsdgRequest(const DsdgRequest&) = delete;
  DsdgRequest& operator=(const DsdgRequest&) = delete;

  // Back to the start of a run: every count full, only the sources ready. Allocates
  // nothing. Not thread-safe (call between runs).
  void reset() noexcept;

  // Marks `s` finished (it must have been claimed and must not be completed twice) and
  // calls on_ready(t) for each successor t that became ready, in successor order; t is
  // also published in the ready set. Lock-free, wait-free per successor. Thread-safe.
  template <class OnReady>
  void complete(SubgraphId s, OnReady&& on_ready) {
    for (SubgraphId t : dsdg_->succs(s)) {
      // acq_rel: the release publishes s's outputs; the decrement that reaches zero
      // acquires every predecessor's release (one RMW chain on the counter).
      if (pending_[t].fetch_sub(1, std::memory_order_acq_rel) == 1) {
        publish(t);
        on_ready(t);
      }
    }
    // release: finished() readers see every output once they see the count.
    completed_.fetch_add(1, std::memory_order_release);
  }
  // Same; appends the newly ready successors to `newly_ready` and returns how many.
  // Thread-safe.
  size_t complete(SubgraphId s, std::vector<SubgraphId>& newly_ready);

  // Takes a ready subgraph out of the ready set; true for exactly one caller per ready
  // subgraph. Lock-free. Thread-safe.
  bool try_claim(SubgraphId s) noexcept {
    const uint64_t bit = uint64_t{1} << (s % 64);
    // acq_rel: acquire pairs with publish()'s release so the claimer sees the inputs.
    return (ready_[s / 64].fetch_and(~bit, std::memory_order_acq_rel) & bit) != 0;
  }

  // Appends every subgraph that is ready and not yet claimed (ascending ids, i.e. a
  // topological order) to `out`; returns how many. A snapshot: concurrent completes and
  // claims may change it right after. Lock-free. Thread-safe.
  size_t ready_subgraphs(std::vector<SubgraphId>& out) const;
  std::vector<SubgraphId> ready_subgraphs() const;

  // True while `s` is ready and unclaimed. Thread-safe.
  bool is_ready(SubgraphId s) const noexcept {
    return (ready_[s / 64].load(std::memory_order_acquire) >> (s % 64)) & 1u;
  }
  // Predecessors of `s` not yet completed. Thread-safe.
  int32_t pending(SubgraphId s) const noexcept { return pending_[s].load(std::memory_order_acquire); }
  // Subgraphs completed so far / whether all are. Thread-safe.
  size_t completed() const noexcept { return completed_.load(std::memory_order_acquire); }
  bool finished() const noexcept { return completed() == dsdg_->size(); }

  const Dsdg& dsdg() const noexcept { return *dsdg_; }

 private:
  void publish(SubgraphId t) noexcept {
    // release: pairs with try_claim()'s acquire.
    ready_[t / 64].fetch_or(uint64_t{1} << (t % 64), std::memory_order_release);
  }

  const Dsdg* dsdg_;
  size_t words_ = 0;
  // Not padded per subgraph: 64 bytes each would cost 16x the memory for a rare conflict;
  // the completion counter, which every completion touches, has its own cache line.
  std::unique_ptr<std::atomic<int32_t>[]> pending_;
  std::unique_ptr<std::atomic<uint64_t>[]> ready_;
  alignas(64) std::atomic<size_t> completed_{0};
  char pad_[64 - sizeof(std::atomic<size_t>)] = {};
};

}  // namespace braid::detail
