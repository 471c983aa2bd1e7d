#include "resource/snapshot_cell.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "braid/resource.h"

namespace braid::detail {
namespace {

// Every word carries the same value, so a torn copy is detectable.
struct Pattern {
  uint64_t words[37];
};

Pattern filled(uint64_t x) {
  Pattern p;
  std::fill(std::begin(p.words), std::end(p.words), x);
  return p;
}

void hammer(int readers) {
  SnapshotCell<Pattern> cell(filled(0));
  std::atomic<bool> done{false};
  std::atomic<uint64_t> torn{0}, reads{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < readers; ++r) {
    threads.emplace_back([&] {
      uint64_t last = 0;
      while (!done.load(std::memory_order_relaxed)) {
        const Pattern p = cell.load();
        const uint64_t first = p.words[0];
        for (uint64_t w : p.words) torn.fetch_add(w != first, std::memory_order_relaxed);
        EXPECT_GE(first, last);  // never goes back in time
        last = first;
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (uint64_t i = 1; i <= 20000; ++i) cell.store(filled(i));
  done.store(true);
  for (auto& t : threads) t.join();
  EXPECT_EQ(torn.load(), 0u) << readers << " readers";
  EXPECT_EQ(cell.load().words[5], 20000u);
}

TEST(SnapshotCell, ReadersNeverSeeTornValuesAt1Thread) { hammer(1); }
TEST(SnapshotCell, ReadersNeverSeeTornValuesAt2Threads) { hammer(2); }
TEST(SnapshotCell, ReadersNeverSeeTornValuesAt4Threads) { hammer(4); }
TEST(SnapshotCell, ReadersNeverSeeTornValuesAtHardwareConcurrency) {
  hammer(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

TEST(SnapshotCell, HoldsAResourceVector) {
  ResourceVector v;
  v.cores_available = 1.5;
  v.other_busy[200] = 0.25f;
  SnapshotCell<ResourceVector> cell(v);
  const ResourceVector w = cell.load();
  EXPECT_EQ(w.cores_available, 1.5);
  EXPECT_EQ(w.other_busy[200], 0.25f);
}

}  // namespace
}  // namespace braid::detail
