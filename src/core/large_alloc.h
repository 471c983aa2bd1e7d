// Large, long-lived buffers on transparent huge pages: a request's activation arena. In
// this VM a TLB miss is a two-level page walk, and a CNN's activations (resnet: 3.8 MiB per
// request, its planes read at a stride of one channel) miss on 4 KiB pages all the time;
// on 2 MiB pages resnet's sequential run took 16.4 instead of 18.0-18.4 ms of kernel time
// (docs/performance.md, "Session 12").
#pragma once

#include <cstddef>

namespace braid::detail {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// Like std::aligned_alloc(align, bytes) (nullptr on failure; `bytes` need not be a multiple
// of `align`; align <= kHugePageBytes), except that a buffer of at least kHugePageBytes / 2
// is fresh memory of its own (mmap), starting on a 2 MiB boundary and rounded up to whole
// 2 MiB pages, advised as transparent huge pages (madvise(MADV_HUGEPAGE): used where the
// kernel's transparent_hugepage/enabled is "always" or "madvise"; elsewhere the same
// buffer on small pages). Fresh, because heap memory that was touched before keeps its
// small pages whatever the advice. Such a buffer may hold up to 2 MiB more than it asked
// for. BRAID_HUGE_PAGES=0 makes every buffer a plain aligned_alloc (A/B measurements).
// Release with free_large(p, bytes), `bytes` as given here. Thread-safe.
void* alloc_large(size_t align, size_t bytes) noexcept;
void free_large(void* p, size_t bytes) noexcept;

}  // namespace braid::detail
