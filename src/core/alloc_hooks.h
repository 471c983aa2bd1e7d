// Test-only fault injection for tensor allocation: make the Nth allocation fail.
// Production code pays one relaxed atomic load per tensor allocation.
#pragma once

#include <cstdint>

namespace braid::detail {

// Arms the hook: the `n`th tensor allocation from now fails (n >= 1); 0 disarms.
// Thread-safe.
void fail_nth_allocation(int64_t n) noexcept;
// Called by Tensor::empty; true when this allocation should fail. Thread-safe.
bool should_fail_allocation() noexcept;

}  // namespace braid::detail
