// Test-only fault injection: make the Nth tensor allocation, the Nth kernel call or the
// Nth resource-source read (counted from when the hook is armed, across all threads)
// fail, to test that each failure stays within its request. Production code pays one
// relaxed atomic load per tensor allocation, per kernel call and per source read.
//
//   braid::detail::fail_nth_kernel_call(3);   // the third kernel call from now fails
//   ... run ...                                // -> kInternal "injected kernel failure"
//   braid::detail::fail_nth_kernel_call(0);   // disarm
#pragma once

#include <cstdint>

namespace braid::detail {

// Arms a hook: the `n`th event from now fails (n >= 1); 0 disarms. Thread-safe.
void fail_nth_allocation(int64_t n) noexcept;
void fail_nth_kernel_call(int64_t n) noexcept;
void fail_nth_source_read(int64_t n) noexcept;

// Called at each event; true when this one should fail. Thread-safe.
bool should_fail_allocation() noexcept;    // Tensor::empty -> kOutOfMemory
bool should_fail_kernel_call() noexcept;   // run_node -> kInternal, naming the node
bool should_fail_source_read() noexcept;   // ResourceMonitor sampling -> source down

}  // namespace braid::detail
