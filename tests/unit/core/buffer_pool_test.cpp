// BufferPool: large buffers are recycled by size class within the cache limit; small ones
// and everything past the limit go straight to the system; many threads may allocate and
// release at once.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "braid/tensor.h"
#include "core/buffer_pool.h"

using braid::detail::BufferPool;

TEST(BufferPool, ReusesALargeBufferOfTheSameClass) {
  BufferPool pool(size_t{64} << 20);
  size_t cap = 0;
  void* a = pool.allocate(1'000'000, &cap);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % BufferPool::kAlign, 0u);
  EXPECT_GE(cap, 1'000'000u);
  EXPECT_LE(cap, 1'000'000u + 1'000'000u / 8 + BufferPool::kAlign);  // at most 1/8 rounding
  std::memset(a, 1, cap);
  pool.release(a, cap);
  EXPECT_EQ(pool.cached_bytes(), cap);
  // Any size of the same class gets the same buffer back.
  size_t cap2 = 0;
  void* b = pool.allocate(cap - 100, &cap2);
  EXPECT_EQ(b, a);
  EXPECT_EQ(cap2, cap);
  EXPECT_EQ(pool.reuses(), 1u);
  EXPECT_EQ(pool.cached_bytes(), 0u);
  pool.release(b, cap2);
}

TEST(BufferPool, SmallBuffersAndTheOverflowGoToTheSystem) {
  BufferPool pool(size_t{3} << 20);
  size_t cap = 0;
  void* small = pool.allocate(1000, &cap);
  pool.release(small, cap);
  EXPECT_EQ(pool.cached_bytes(), 0u);
  // Two 2 MiB buffers: only one fits the 3 MiB cache.
  size_t c1 = 0, c2 = 0;
  void* a = pool.allocate(size_t{2} << 20, &c1);
  void* b = pool.allocate(size_t{2} << 20, &c2);
  ASSERT_NE(a, b);
  pool.release(a, c1);
  pool.release(b, c2);
  EXPECT_EQ(pool.cached_bytes(), c1);
  pool.trim();
  EXPECT_EQ(pool.cached_bytes(), 0u);
}

TEST(BufferPool, DisabledPoolNeverCaches) {
  BufferPool pool(0);
  size_t cap = 0;
  void* a = pool.allocate(size_t{1} << 20, &cap);
  pool.release(a, cap);
  EXPECT_EQ(pool.cached_bytes(), 0u);
  EXPECT_EQ(pool.reuses(), 0u);
}

TEST(BufferPool, ClassesNeverHandOutASmallerBuffer) {
  BufferPool pool(size_t{256} << 20);
  for (size_t bytes = BufferPool::kMinPooledBytes; bytes < (size_t{8} << 20); bytes = bytes * 9 / 8 + 4097) {
    size_t cap = 0;
    void* p = pool.allocate(bytes, &cap);
    ASSERT_NE(p, nullptr);
    ASSERT_GE(cap, bytes);
    pool.release(p, cap);
    size_t cap2 = 0;
    void* q = pool.allocate(bytes, &cap2);
    ASSERT_GE(cap2, bytes) << bytes;
    pool.release(q, cap2);
  }
}

TEST(BufferPool, ConcurrentAllocateAndRelease) {
  BufferPool pool(size_t{32} << 20);
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const size_t bytes = (size_t{64} << 10) * static_cast<size_t>(1 + (i + t) % 7);
        size_t cap = 0;
        auto* p = static_cast<unsigned char*>(pool.allocate(bytes, &cap));
        if (p == nullptr || cap < bytes) {
          ++bad;
          continue;
        }
        p[0] = static_cast<unsigned char>(t);
        p[bytes - 1] = static_cast<unsigned char>(t);
        if (p[0] != t || p[bytes - 1] != t) ++bad;  // nobody else holds this buffer
        pool.release(p, cap);
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_LE(pool.cached_bytes(), pool.cache_limit());
}

TEST(BufferPool, TensorsRecycleTheirStorage) {
  if (braid::detail::buffer_pool().cache_limit() == 0) GTEST_SKIP() << "pooling is off (sanitizer build or env)";
  const void* first = nullptr;
  {
    auto t = braid::Tensor::empty(braid::DataType::kFloat32, {1, 64, 56, 56});
    ASSERT_TRUE(t.ok());
    first = t->raw_data();
  }
  auto again = braid::Tensor::empty(braid::DataType::kFloat32, {1, 64, 56, 56});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->raw_data(), first);
}
