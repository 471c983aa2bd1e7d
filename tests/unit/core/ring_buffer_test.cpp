// RingBuffer: full and empty are reported (never overwritten or invented), FIFO order for
// one producer and one consumer, and every value is delivered exactly once with many
// producers and consumers.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "core/ring_buffer.h"

using braid::detail::RingBuffer;

TEST(RingBuffer, FullAndEmptyAreRefusedAndOrderIsFifo) {
  RingBuffer<int> ring(5);  // rounded up to 8
  EXPECT_EQ(ring.capacity(), 8u);
  int out = -1;
  EXPECT_FALSE(ring.try_pop(out));
  for (int lap = 0; lap < 3; ++lap) {  // wrap around several times
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(ring.try_push(lap * 100 + i));
    EXPECT_FALSE(ring.try_push(999));
    EXPECT_EQ(ring.size(), 8u);
    for (int i = 0; i < 8; ++i) {
      ASSERT_TRUE(ring.try_pop(out));
      EXPECT_EQ(out, lap * 100 + i);
    }
    EXPECT_FALSE(ring.try_pop(out));
  }
}

TEST(RingBuffer, MoveOnlyValuesAreHandedOver) {
  RingBuffer<std::unique_ptr<int>> ring(2);
  ASSERT_TRUE(ring.try_push(std::make_unique<int>(7)));
  std::unique_ptr<int> out;
  ASSERT_TRUE(ring.try_pop(out));
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(*out, 7);
}

TEST(RingBuffer, ManyProducersAndConsumersDeliverEveryValueOnce) {
  constexpr int kProducers = 4, kConsumers = 4, kPerProducer = 20000;
  RingBuffer<int> ring(64);
  std::vector<std::atomic<int>> seen(kProducers * kPerProducer);
  std::atomic<int> consumed{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p)
    threads.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i)
        while (!ring.try_push(p * kPerProducer + i)) std::this_thread::yield();  // back-pressure
    });
  for (int c = 0; c < kConsumers; ++c)
    threads.emplace_back([&] {
      int v;
      while (consumed.load() < kProducers * kPerProducer) {
        if (ring.try_pop(v)) {
          seen[static_cast<size_t>(v)].fetch_add(1);
          consumed.fetch_add(1);
        } else {
          std::this_thread::yield();
        }
      }
    });
  for (auto& t : threads) t.join();
  int wrong = 0;
  for (auto& s : seen) wrong += s.load() != 1;
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(ring.size(), 0u);
}
