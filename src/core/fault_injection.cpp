#include "core/fault_injection.h"

#include <atomic>

namespace braid::detail {
namespace {

// Countdowns to the event that fails; <= 0 means disarmed.
std::atomic<int64_t> g_allocation{0};
std::atomic<int64_t> g_kernel_call{0};
std::atomic<int64_t> g_source_read{0};

bool count_down(std::atomic<int64_t>& c) noexcept {
  // Relaxed: the hooks are test knobs, no data is published through them.
  if (c.load(std::memory_order_relaxed) <= 0) return false;
  return c.fetch_sub(1, std::memory_order_relaxed) == 1;
}

}  // namespace

void fail_nth_allocation(int64_t n) noexcept { g_allocation.store(n, std::memory_order_relaxed); }
void fail_nth_kernel_call(int64_t n) noexcept { g_kernel_call.store(n, std::memory_order_relaxed); }
void fail_nth_source_read(int64_t n) noexcept { g_source_read.store(n, std::memory_order_relaxed); }

bool should_fail_allocation() noexcept { return count_down(g_allocation); }
bool should_fail_kernel_call() noexcept { return count_down(g_kernel_call); }
bool should_fail_source_read() noexcept { return count_down(g_source_read); }

}  // namespace braid::detail
