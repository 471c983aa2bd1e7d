#include "core/alloc_hooks.h"

#include <atomic>

namespace braid::detail {
namespace {
// Counts down to the allocation that fails; <= 0 means disarmed.
std::atomic<int64_t> g_countdown{0};
}  // namespace

void fail_nth_allocation(int64_t n) noexcept { g_countdown.store(n, std::memory_order_relaxed); }

bool should_fail_allocation() noexcept {
  // Relaxed: the hook is a test knob, no data is published through it.
  if (g_countdown.load(std::memory_order_relaxed) <= 0) return false;
  return g_countdown.fetch_sub(1, std::memory_order_relaxed) == 1;
}

}  // namespace braid::detail
