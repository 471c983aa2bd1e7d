// alloc_large / free_large (core/large_alloc.h): every size gets a usable buffer with the
// alignment asked for; large ones start on a 2 MiB boundary and, where the kernel offers
// transparent huge pages for advised memory, are backed by them once touched.
#include "core/large_alloc.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

namespace braid::detail {
namespace {

// "[madvise]" or "[always]" in the kernel's THP setting: advised memory may get huge pages.
bool thp_for_advised_memory() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string s;
  std::getline(f, s);
  return s.find("[madvise]") != std::string::npos || s.find("[always]") != std::string::npos;
}

// The AnonHugePages (kB) of this process's mapping that contains `p`, or -1.
long anon_huge_kb_at(const void* p) {
  std::ifstream f("/proc/self/smaps");
  std::string line;
  const auto addr = reinterpret_cast<uintptr_t>(p);
  bool inside = false;
  while (std::getline(f, line)) {
    uintptr_t lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(' ') != std::string::npos &&
        line.find('-') < line.find(' ')) {
      inside = addr >= lo && addr < hi;
      continue;
    }
    long kb = 0;
    if (inside && std::sscanf(line.c_str(), "AnonHugePages: %ld kB", &kb) == 1) return kb;
  }
  return -1;
}

TEST(LargeAlloc, EverySizeIsUsableAndAligned) {
  for (size_t bytes : {size_t{1}, size_t{100}, size_t{4096}, kHugePageBytes / 2 - 64, kHugePageBytes / 2,
                       kHugePageBytes, kHugePageBytes + 1, 3 * kHugePageBytes + 4096}) {
    void* p = alloc_large(64, bytes);
    ASSERT_NE(p, nullptr) << bytes;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << bytes;
    std::memset(p, 0xA5, bytes);  // every byte writable (ASan checks the small ones)
    EXPECT_EQ(static_cast<unsigned char*>(p)[bytes - 1], 0xA5) << bytes;
    if (bytes >= kHugePageBytes / 2) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kHugePageBytes, 0u) << bytes;
    }
    free_large(p, bytes);
  }
  free_large(nullptr, kHugePageBytes);  // like free(nullptr)
}

TEST(LargeAlloc, LargeBuffersAreOnHugePagesWhereTheKernelOffersThem) {
  if (!thp_for_advised_memory()) GTEST_SKIP() << "transparent huge pages off for advised memory";
  const size_t bytes = 2 * kHugePageBytes;
  void* p = alloc_large(64, bytes);
  ASSERT_NE(p, nullptr);
  std::memset(p, 1, bytes);
  const long kb = anon_huge_kb_at(p);
  free_large(p, bytes);
  // A fault may still get small pages when no free 2 MiB frame exists; one of the two
  // pages being huge is what a healthy machine shows.
  EXPECT_GE(kb, 2048) << "no huge page behind a touched, advised, 2 MiB-aligned buffer";
}

}  // namespace
}  // namespace braid::detail
