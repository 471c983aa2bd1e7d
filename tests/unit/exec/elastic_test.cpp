// run_elastic (kernels/parallel.h): the cores that a long kernel borrows in the middle of
// its node, against a fake lender. Every item runs exactly once; a granted core's helper
// takes items from the same counter; whatever was borrowed is repaid, also when an item
// throws. The GEMM in pieces is in tests/unit/kernels_nn/gemm_test.cpp. Also
// parallel_for_pieces: pieces claimed as each task goes, every one once.
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "kernels/parallel.h"

namespace braid::detail {
namespace {

// Grants `grant` threads at ask number `grant_on` (1-based) and none at any other.
struct FakeLender {
  int grant_on = 0;
  int grant = 1;
  std::atomic<int> asks{0};
  std::atomic<int> held{0};
  std::atomic<int> borrowed{0};
  std::atomic<int> repaid{0};
  std::atomic<int> repay_calls{0};
  double repaid_ns = 0;

  CoreLender lender() { return CoreLender{&FakeLender::spare, &FakeLender::borrow, &FakeLender::repay, this}; }
  static int spare(void*) { return 1; }
  static int borrow(void* ctx, int want) {
    auto* self = static_cast<FakeLender*>(ctx);
    const int ask = self->asks.fetch_add(1) + 1;
    const int got = ask == self->grant_on ? std::min(want, self->grant) : 0;
    self->held += got;
    self->borrowed += got;
    return got;
  }
  static void repay(void* ctx, int threads, double thread_ns) {
    auto* self = static_cast<FakeLender*>(ctx);
    self->held -= threads;
    self->repaid += threads;
    self->repay_calls += 1;
    self->repaid_ns += thread_ns;
  }
};

TEST(RunElastic, WithoutACoreEveryItemRunsOnTheCallerInOrder) {
  FakeLender fake;  // never grants
  const CoreLender lender = fake.lender();
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<int> order;
  bool all_on_caller = true;
  run_elastic(10, lender, 3, [&](int64_t i) {
    order.push_back(static_cast<int>(i));
    all_on_caller = all_on_caller && std::this_thread::get_id() == caller;
  });
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_TRUE(all_on_caller);
  // Asked after every item that leaves at least two to share (items 0..7), never repaid.
  EXPECT_EQ(fake.asks.load(), 8);
  EXPECT_EQ(fake.repay_calls.load(), 0);
}

TEST(RunElastic, NoHelpersAllowedMeansNoAsking) {
  FakeLender fake;
  fake.grant_on = 1;
  const CoreLender lender = fake.lender();
  int runs = 0;
  run_elastic(5, lender, 0, [&](int64_t) { ++runs; });
  EXPECT_EQ(runs, 5);
  EXPECT_EQ(fake.asks.load(), 0);
}

TEST(RunElastic, AGrantedCoreTakesItemsFromTheSameCounter) {
  tbb::task_arena arena(2);
  FakeLender fake;
  fake.grant_on = 1;  // the first ask, after item 0
  const CoreLender lender = fake.lender();
  constexpr int kItems = 12;
  std::vector<std::atomic<int>> runs(kItems);
  std::atomic<int> on_helper{0};
  bool waited_too_long = false;
  arena.execute([&] {
    const std::thread::id caller = std::this_thread::get_id();
    run_elastic(kItems, lender, 1, [&](int64_t i) {
      runs[static_cast<size_t>(i)] += 1;
      if (std::this_thread::get_id() != caller) {
        on_helper += 1;
        return;
      }
      // The caller's later items wait (bounded) for the helper to take one, so the test
      // sees the hand-over however the two threads are timed.
      if (i == 0) return;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (on_helper.load() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
      if (on_helper.load() == 0) waited_too_long = true;
    });
  });
  for (int i = 0; i < kItems; ++i) EXPECT_EQ(runs[static_cast<size_t>(i)].load(), 1) << "item " << i;
  EXPECT_FALSE(waited_too_long) << "the granted core never ran an item";
  EXPECT_GT(on_helper.load(), 0);
  EXPECT_EQ(fake.borrowed.load(), 1);
  EXPECT_EQ(fake.repaid.load(), 1);
  EXPECT_EQ(fake.repay_calls.load(), 1);
  EXPECT_EQ(fake.held.load(), 0);
  EXPECT_GT(fake.repaid_ns, 0.0);
}

TEST(RunElastic, AThrowingItemStopsTheRestAndTheCoresAreRepaid) {
  tbb::task_arena arena(2);
  FakeLender fake;
  fake.grant_on = 1;
  const CoreLender lender = fake.lender();
  constexpr int kItems = 64;
  std::atomic<int> started{0};
  bool threw = false;
  arena.execute([&] {
    try {
      run_elastic(kItems, lender, 1, [&](int64_t i) {
        started += 1;
        if (i == 3) throw std::runtime_error("item 3");
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      });
    } catch (const std::runtime_error& e) {
      threw = std::string(e.what()) == "item 3";
    }
  });
  EXPECT_TRUE(threw);
  // Items already taken by the helper may finish; no new one starts after the throw
  // (the helper takes at most one more between its check and the caller's stop).
  EXPECT_LT(started.load(), kItems);
  EXPECT_EQ(fake.held.load(), 0);
  EXPECT_EQ(fake.repaid.load(), fake.borrowed.load());
}

TEST(RunElastic, TheLenderScopeIsPerThreadAndRestored) {
  FakeLender outer_fake, inner_fake;
  const CoreLender outer = outer_fake.lender(), inner = inner_fake.lender();
  EXPECT_EQ(current_core_lender(), nullptr);
  {
    LenderScope a(&outer);
    EXPECT_EQ(current_core_lender(), &outer);
    {
      LenderScope b(&inner);
      EXPECT_EQ(current_core_lender(), &inner);
      const CoreLender* seen_elsewhere = &inner;
      std::thread([&] { seen_elsewhere = current_core_lender(); }).join();
      EXPECT_EQ(seen_elsewhere, nullptr);
    }
    EXPECT_EQ(current_core_lender(), &outer);
  }
  EXPECT_EQ(current_core_lender(), nullptr);
}

TEST(ParallelForPieces, EveryItemRunsOnceInPiecesOnAtMostMaxThreads) {
  tbb::task_arena arena(4);
  for (const int max_threads : {1, 2, 3}) {
    for (const int64_t piece : {1, 4, 7, 200}) {
      const int64_t n = 103;
      std::vector<std::atomic<int>> seen(n);
      std::mutex mu;
      std::map<std::thread::id, int> pieces_by_thread;
      bool aligned = true;
      arena.execute([&] {
        parallel_for_pieces(n, piece, max_threads, [&](int64_t begin, int64_t end) {
          for (int64_t i = begin; i < end; ++i) seen[i].fetch_add(1);
          std::lock_guard<std::mutex> lock(mu);
          ++pieces_by_thread[std::this_thread::get_id()];
          // Pieces start at multiples of `piece` and end there or at n.
          aligned = aligned && begin % piece == 0 && (end - begin == piece || end == n);
        });
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[i].load(), 1) << "item " << i << ", piece " << piece;
      EXPECT_TRUE(aligned) << "piece " << piece;
      EXPECT_LE(static_cast<int>(pieces_by_thread.size()), max_threads) << "piece " << piece;
      if (max_threads == 1 || piece >= n) {
        EXPECT_EQ(pieces_by_thread.size(), 1u);
      }
    }
  }
}

TEST(ParallelForPieces, AThreadHeldUpTakesFewerPieces) {
  // The task that takes piece 0 is held up (a slow core, a late start) until the other
  // pieces are done, or 5 s where no second thread ever comes; the other task claims them
  // meanwhile. Equal shares would leave half of them behind the one held up.
  tbb::task_arena arena(2);
  const int64_t n = 40;
  std::mutex mu;
  std::map<std::thread::id, int> pieces_by_thread;
  std::thread::id held;
  std::atomic<int> others_done{0};
  arena.execute([&] {
    parallel_for_pieces(n, 1, 2, [&](int64_t begin, int64_t) {
      if (begin == 0) {
        {
          std::lock_guard<std::mutex> lock(mu);
          held = std::this_thread::get_id();
        }
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (others_done.load() < n - 1 && std::chrono::steady_clock::now() < give_up)
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
      } else {
        others_done.fetch_add(1);
      }
      std::lock_guard<std::mutex> lock(mu);
      ++pieces_by_thread[std::this_thread::get_id()];
    });
  });
  int total = 0;
  for (const auto& [id, count] : pieces_by_thread) total += count;
  EXPECT_EQ(total, n);
  if (pieces_by_thread.size() < 2)
    GTEST_SKIP() << "oneTBB ran both tasks on one thread (no second core free): nothing to balance";
  EXPECT_EQ(pieces_by_thread[held], 1) << "the held-up task took more than its first piece";
}

}  // namespace
}  // namespace braid::detail
