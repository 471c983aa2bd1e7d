// A counting global operator new for tests that prove a code path does not call the heap.
// Link counting_allocator.cpp into one test executable only (it replaces the global
// operator new/delete of that process). Counting is per thread and off until a scope asks:
//
//   braid::testing::AllocationScope scope;          // counts this thread's operator new
//   session.run(...);
//   EXPECT_EQ(scope.count(), 0u);
//
// With `record_stacks` the scope also keeps each allocation's call stack, and
// stack_report() groups them (the executable must export its symbols: ENABLE_EXPORTS).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace braid::testing {

class AllocationScope {
 public:
  explicit AllocationScope(bool record_stacks = false);
  ~AllocationScope();
  AllocationScope(const AllocationScope&) = delete;
  AllocationScope& operator=(const AllocationScope&) = delete;

  // operator new calls (and bytes) on this thread since the scope began.
  uint64_t count() const;
  uint64_t bytes() const;
  // The recorded allocations grouped by call stack, most frequent first, `frames` frames
  // each (outside the allocator), at most `groups` groups. Empty unless recording.
  std::string stack_report(int frames = 6, int groups = 40) const;
};

}  // namespace braid::testing
