#include "exec/activation_arena.h"

#include <cstdlib>
#include <string>

#include "core/large_alloc.h"
#include "core/tensor_access.h"

namespace braid::detail {

RequestMemory::~RequestMemory() { free_large(block, block_bytes); }

ActivationArena::ActivationArena(size_t num_values, std::shared_ptr<const MemoryPlan> plan)
    : num_values_(num_values), plan_(std::move(plan)) {
  free_.reserve(8);
}

ActivationArena::~ActivationArena() = default;

ActivationArena::Lease::~Lease() {
  if (arena_ != nullptr && memory_ != nullptr) arena_->give_back(std::move(memory_));
}

Result<ActivationArena::Lease> ActivationArena::acquire() {
  std::unique_ptr<RequestMemory> m;
  std::shared_ptr<const MemoryPlan> plan;
  {
    std::lock_guard lock(mu_);
    plan = plan_;
    if (!free_.empty()) {
      m = std::move(free_.back());
      free_.pop_back();
    }
  }
  if (m == nullptr) {
    m = std::make_unique<RequestMemory>();
    m->values.resize(num_values_);
    m->targets.resize(num_values_);
  }
  const size_t need = plan ? plan->total_bytes : 0;
  if (m->block_bytes < need) {
    // A first lease, or the plan grew (new input shapes): a new block.
    free_large(m->block, m->block_bytes);
    m->block = nullptr;
    m->block_bytes = 0;
    // On huge pages where it is large enough (core/large_alloc.h).
    m->block = static_cast<std::byte*>(alloc_large(MemoryPlan::kAlign, need));
    if (m->block == nullptr) {
      give_back(std::move(m));
      return out_of_memory("cannot allocate the " + std::to_string(need) + "-byte activation arena of a request");
    }
    m->block_bytes = need;
    std::lock_guard lock(mu_);
    ++blocks_allocated_;
  }
  m->plan = need > 0 ? std::move(plan) : nullptr;
  return Lease(this, std::move(m));
}

void ActivationArena::give_back(std::unique_ptr<RequestMemory> m) noexcept {
  // Drop every value (the caller's inputs, heap outputs, views into the block) but keep
  // the slots' shape capacity for the next request's bound inputs.
  for (Tensor& t : m->values) TensorAccess::clear_keep_capacity(t);
  for (KernelContext::OutputSlot& s : m->targets) s = {};
  m->plan.reset();
  std::lock_guard lock(mu_);
  try {
    free_.push_back(std::move(m));  // grows only when more requests than ever ran at once
  } catch (...) {
    // Out of memory growing the pool: the request's memory is simply freed.
  }
}

void ActivationArena::set_plan(std::shared_ptr<const MemoryPlan> plan) {
  std::lock_guard lock(mu_);
  plan_ = std::move(plan);
}

std::shared_ptr<const MemoryPlan> ActivationArena::plan() const {
  std::lock_guard lock(mu_);
  return plan_;
}

size_t ActivationArena::blocks_allocated() const {
  std::lock_guard lock(mu_);
  return blocks_allocated_;
}

}  // namespace braid::detail
