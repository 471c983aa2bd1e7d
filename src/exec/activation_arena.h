// ActivationArena: one session's planned activation memory. Each in-flight request leases
// a RequestMemory from it -- its values (one Tensor slot per graph value) and one arena
// block that the session's MemoryPlan lays every node-produced activation out in -- and
// gives it back when it ends, so a steady-state run allocates neither.
//
//   auto lease = arena.acquire();                    // Result<ActivationArena::Lease>
//   std::vector<Tensor>& values = lease->values;     // bind inputs here
//   ArenaView view = lease->view();                  // hand to run_node for every node
//   ...                                              // graph outputs never live in the block
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "braid/status.h"
#include "braid/tensor.h"
#include "exec/memory_plan.h"
#include "kernels/op_kernel.h"

namespace braid::detail {

// What run_node needs to place a request's activations: the plan and the request's block,
// and (optional, per value) caller memory that graph outputs are written into.
struct ArenaView {
  const MemoryPlan* plan = nullptr;
  std::byte* base = nullptr;
  size_t size = 0;
  const KernelContext::OutputSlot* targets = nullptr;  // per value; null data: none

  bool contains(const void* p) const noexcept {
    const auto* b = static_cast<const std::byte*>(p);
    return base != nullptr && b >= base && b < base + size;
  }
};

// One request's memory: its values and its block (at least plan->total_bytes).
struct RequestMemory {
  std::vector<Tensor> values;
  // Per value: where a graph output goes in the caller's memory (Session::run_into);
  // all null between requests.
  std::vector<KernelContext::OutputSlot> targets;
  std::shared_ptr<const MemoryPlan> plan;  // the plan the block was sized for
  std::byte* block = nullptr;
  size_t block_bytes = 0;

  RequestMemory() = default;
  RequestMemory(const RequestMemory&) = delete;
  RequestMemory& operator=(const RequestMemory&) = delete;
  ~RequestMemory();
  ArenaView view() const { return {plan.get(), block, block_bytes, targets.data()}; }
};

class ActivationArena {
 public:
  // `num_values`: the graph's value count. `plan` may be empty (every value on the heap).
  ActivationArena(size_t num_values, std::shared_ptr<const MemoryPlan> plan);
  ~ActivationArena();
  ActivationArena(const ActivationArena&) = delete;
  ActivationArena& operator=(const ActivationArena&) = delete;

  // A leased RequestMemory; returns it (values cleared) when destroyed.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& o) noexcept : arena_(o.arena_), memory_(std::move(o.memory_)) { o.arena_ = nullptr; }
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    RequestMemory* operator->() const { return memory_.get(); }
    RequestMemory& operator*() const { return *memory_; }

   private:
    friend class ActivationArena;
    Lease(ActivationArena* arena, std::unique_ptr<RequestMemory> m) : arena_(arena), memory_(std::move(m)) {}
    ActivationArena* arena_ = nullptr;
    std::unique_ptr<RequestMemory> memory_;
  };

  // A request's memory, from the pool when one is free (no allocation), with a block that
  // fits the current plan. kOutOfMemory when a new block cannot be allocated. Thread-safe.
  Result<Lease> acquire();
  // Replaces the plan (new input shapes); requests in flight keep theirs. Thread-safe.
  void set_plan(std::shared_ptr<const MemoryPlan> plan);
  std::shared_ptr<const MemoryPlan> plan() const;
  // Blocks allocated so far (a pool that grew this many times). Thread-safe.
  size_t blocks_allocated() const;

 private:
  void give_back(std::unique_ptr<RequestMemory> m) noexcept;

  const size_t num_values_;
  mutable std::mutex mu_;  // one lock per request start and end, never inside a run
  std::shared_ptr<const MemoryPlan> plan_;
  std::vector<std::unique_ptr<RequestMemory>> free_;
  size_t blocks_allocated_ = 0;
};

}  // namespace braid::detail
