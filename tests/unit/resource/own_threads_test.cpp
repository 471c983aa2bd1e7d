#include "resource/own_threads.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "resource_test_util.h"

namespace braid::detail {
namespace {

using testing::ScratchRoot;

// A /proc/<pid>/stat line: pid, (comm), state, then fields 4..52 with num_threads (20).
std::string stat_line(const std::string& comm, char state, int threads = 1) {
  std::string s = "4242 (" + comm + ") " + state;
  for (int field = 4; field <= 52; ++field) s += " " + std::to_string(field == 20 ? threads : field);
  return s + "\n";
}

TEST(ProcStatLine, StateAndThreadCountTableDriven) {
  struct Case {
    std::string line;
    char state;
    int threads;
  };
  const Case cases[] = {
      {stat_line("braid", 'R', 7), 'R', 7},
      {stat_line("tbb worker", 'S', 3), 'S', 3},
      {stat_line("a) R (b", 'D', 2), 'D', 2},  // the command may hold ") R ("
      {stat_line("))", 'R', 1), 'R', 1},
      {"4242 (braid) R", 'R', -1},            // truncated before num_threads
      {"4242 (braid)", '\0', -1},             // no state
      {"4242 braid R 1 2", '\0', -1},         // no parentheses
      {"", '\0', -1},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(proc_stat_state(c.line), c.state) << c.line;
    EXPECT_EQ(proc_stat_threads(c.line), c.threads) << c.line;
  }
}

TEST(OwnRunnableThreads, CountsTheStateRThreadsOfACapturedTree) {
  ScratchRoot root;
  root.write("/proc/self/stat", stat_line("braid", 'R', 3));
  root.write("/proc/self/task/10/stat", stat_line("braid", 'R'));
  root.write("/proc/self/task/11/stat", stat_line("braid-sampler", 'S'));
  root.write("/proc/self/task/12/stat", stat_line("tbb", 'R'));
  OwnRunnableThreads own(root.path());
  Result<int> n = own.count();
  ASSERT_TRUE(n.ok()) << n.status().to_string();
  EXPECT_EQ(*n, 2);

  // States change in place; the open files see it.
  root.write("/proc/self/task/12/stat", stat_line("tbb", 'S'));
  EXPECT_EQ(*own.count(), 1);

  // A pool grows: the thread count changes, so the list is read again.
  root.write("/proc/self/task/13/stat", stat_line("tbb", 'R'));
  root.write("/proc/self/stat", stat_line("braid", 'R', 4));
  EXPECT_EQ(*own.count(), 2);

  // A thread exits: the count changes, the list is read again without it.
  root.remove("/proc/self/task/10/stat");
  root.remove("/proc/self/task/10");
  root.write("/proc/self/stat", stat_line("braid", 'R', 3));
  EXPECT_EQ(*own.count(), 1);
}

TEST(OwnRunnableThreads, NoTaskDirectoryIsAnError) {
  ScratchRoot root;
  OwnRunnableThreads own(root.path());
  Result<int> n = own.count();
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("/proc/self/task"), std::string::npos) << n.status().to_string();
}

TEST(OwnRunnableThreads, TooManyThreadsToReadEverySampleIsAnError) {
  ScratchRoot root;
  const int n = static_cast<int>(OwnRunnableThreads::kMaxThreads) + 1;
  root.write("/proc/self/stat", stat_line("host", 'R', n));
  for (int t = 0; t < n; ++t) root.write("/proc/self/task/" + std::to_string(100 + t) + "/stat", stat_line("host", 'R'));
  OwnRunnableThreads own(root.path());
  Result<int> count = own.count();
  ASSERT_FALSE(count.ok());
  EXPECT_NE(count.status().message().find("too many"), std::string::npos) << count.status().to_string();
  // One thread fewer is counted.
  root.remove("/proc/self/task/100/stat");
  root.remove("/proc/self/task/100");
  root.write("/proc/self/stat", stat_line("host", 'R', n - 1));
  count = own.count();
  ASSERT_TRUE(count.ok()) << count.status().to_string();
  EXPECT_EQ(*count, n - 1);
}

// This process: the calling thread (running) and a spinning thread are always runnable;
// threads blocked on a condition variable are not.
TEST(OwnRunnableThreads, SeesASpinningThreadAndNotBlockedOnes) {
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::condition_variable cv;
  std::thread spinner([&] {
    while (!stop.load(std::memory_order_relaxed)) {
    }
  });
  std::vector<std::thread> sleepers;
  for (int i = 0; i < 3; ++i) {
    sleepers.emplace_back([&] {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return stop.load(); });
    });
  }
  OwnRunnableThreads own;
  int lowest = 1 << 20;
  bool settled = false;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < until) {
    Result<int> n = own.count();
    ASSERT_TRUE(n.ok()) << n.status().to_string();
    lowest = std::min(lowest, *n);
    if (*n == 2) {
      settled = true;  // the sleepers reached their wait
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  cv.notify_all();
  spinner.join();
  for (std::thread& t : sleepers) t.join();
  EXPECT_GE(lowest, 2);  // never fewer than the caller and the spinner
  EXPECT_TRUE(settled) << "the three blocked threads kept reading as runnable";
}

}  // namespace
}  // namespace braid::detail
