// Happens-before annotations for ThreadSanitizer builds; no-ops otherwise. Debian's
// libtbb is not instrumented, so TSan cannot see that a task spawned on one thread and
// run on another is ordered after everything its spawner did. Braid marks each hand-off
// itself: the spawner releases on the job's address right before task_group::run, the
// task acquires on it first thing (and a request's waiter acquires what its units
// released). Where TBB copies a closure into its own task objects (parallel_for,
// task_arena::execute delegation) the body cannot read a per-call address before it
// acquires, so those hand-offs go through one process-wide sync address: coarser (it can
// hide a race between two such tasks that did not overlap in time), never wrong.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define BRAID_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BRAID_TSAN 1
#endif
#endif

#ifdef BRAID_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace braid::detail {

// The sync address of the closure hand-offs (only its address is used).
inline char tsan_tbb_handoff = 0;

inline void tsan_release(void* addr) noexcept {
#ifdef BRAID_TSAN
  asm volatile("" ::: "memory");  // every earlier store stays before the release
  __tsan_release(addr);
#else
  (void)addr;
#endif
}

inline void tsan_acquire(void* addr) noexcept {
#ifdef BRAID_TSAN
  __tsan_acquire(addr);
  // GCC knows __tsan_acquire as a builtin that touches no memory and may hoist the
  // closure's loads above it (reported as a race on the closure); a compiler barrier keeps
  // every later load after the acquire.
  asm volatile("" ::: "memory");
#else
  (void)addr;
#endif
}

}  // namespace braid::detail
