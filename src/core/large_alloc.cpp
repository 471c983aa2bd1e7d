#include "core/large_alloc.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>

#include "core/env_switch.h"

namespace braid::detail {
namespace {

bool huge_pages_allowed() {
  static const bool on = env_switch_on("BRAID_HUGE_PAGES");
  return on;
}

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

bool mapped(size_t bytes) { return bytes >= kHugePageBytes / 2 && huge_pages_allowed(); }

}  // namespace

void* alloc_large(size_t align, size_t bytes) noexcept {
  if (!mapped(bytes)) return std::aligned_alloc(align, round_up(bytes, align));
  // Map one huge page more than needed, keep the 2 MiB-aligned part, give back both ends.
  const size_t len = round_up(bytes, kHugePageBytes);
  void* raw = mmap(nullptr, len + kHugePageBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const auto base = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t start = round_up(base, kHugePageBytes);
  if (start > base) munmap(raw, start - base);
  const uintptr_t end = base + len + kHugePageBytes;
  if (end > start + len) munmap(reinterpret_cast<void*>(start + len), end - (start + len));
  void* p = reinterpret_cast<void*>(start);
#ifdef MADV_HUGEPAGE
  // Advice only: a kernel without THP (or with it "never") says no, and the buffer works
  // the same on small pages.
  (void)madvise(p, len, MADV_HUGEPAGE);
#endif
  return p;
}

void free_large(void* p, size_t bytes) noexcept {
  if (p == nullptr) return;
  if (!mapped(bytes)) return std::free(p);
  munmap(p, round_up(bytes, kHugePageBytes));
}

}  // namespace braid::detail
