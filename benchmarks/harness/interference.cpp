#include "interference.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace braid::bench {
namespace {

// Streams through `bytes` of memory for ever: read-modify-write of every 64-bit word, so
// that the buffer stays resident and every pass moves 2 x bytes through the memory bus.
[[noreturn]] void stream_memory(size_t bytes) {
  const size_t words = std::max<size_t>(1, bytes / sizeof(uint64_t));
  std::unique_ptr<uint64_t[]> buf(new uint64_t[words]);
  for (size_t i = 0; i < words; ++i) buf[i] = i;  // touch every page: the memory is taken now
  volatile uint64_t* p = buf.get();               // volatile: the passes are not optimised away
  for (uint64_t pass = 1;; ++pass)
    for (size_t i = 0; i < words; ++i) p[i] = p[i] * 3 + pass;
}

}  // namespace

[[noreturn]] void competitor_main(Interference spec, int report_fd) {
  if (spec.kind == Interference::Kind::kMemory) stream_memory(spec.memory_bytes);
  std::vector<std::thread> threads;
  for (int t = 0; t < spec.threads; ++t) {
    threads.emplace_back([spec, report = t == 0 ? report_fd : -1] {
      volatile uint64_t sink = 0;
      for (;;) {
        const auto now = std::chrono::steady_clock::now();
        if (report >= 0) {
          const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
          if (write(report, &ns, sizeof ns) != static_cast<ssize_t>(sizeof ns)) {
            // Full pipe (the parent reads between modes): this start is not reported.
          }
        }
        auto until = now + std::chrono::milliseconds(spec.on_ms > 0 ? spec.on_ms : 1000);
        while (std::chrono::steady_clock::now() < until)
          for (int i = 0; i < 10000; ++i) sink = sink + static_cast<uint64_t>(i);
        if (spec.kind == Interference::Kind::kBursty && spec.off_ms > 0)
          std::this_thread::sleep_for(std::chrono::milliseconds(spec.off_ms));
      }
    });
  }
  for (auto& t : threads) t.join();
  _exit(0);
}

Competitor::Competitor(const Interference& spec) {
  if (spec.kind == Interference::Kind::kNone) return;
  // fork + exec of this binary (never run library code in a forked multi-threaded child).
  std::string threads = std::to_string(spec.threads), on = std::to_string(spec.on_ms),
              off = std::to_string(spec.kind == Interference::Kind::kBursty ? spec.off_ms : 0),
              bytes = std::to_string(spec.memory_bytes);
  const bool memory = spec.kind == Interference::Kind::kMemory;
  // Bursty: the child reports its bursts' starts through a pipe (both ends non-blocking).
  int fds[2] = {-1, -1};
  if (spec.kind == Interference::Kind::kBursty && pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) fds[0] = fds[1] = -1;
  const std::string report = std::to_string(fds[1]);
  pid_ = fork();
  if (pid_ == 0) {
    if (fds[1] >= 0) fcntl(fds[1], F_SETFD, 0);  // the write end survives the exec
    if (memory)
      execl("/proc/self/exe", "braid-bench", "--competitor-child-mem", bytes.c_str(), static_cast<char*>(nullptr));
    else
      execl("/proc/self/exe", "braid-bench", "--competitor-child", threads.c_str(), on.c_str(), off.c_str(),
            report.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  if (fds[1] >= 0) close(fds[1]);
  report_fd_ = fds[0];
  // Let it ramp up so the resource monitor sees it before measuring.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

Competitor::~Competitor() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (report_fd_ >= 0) close(report_fd_);
}

const std::vector<int64_t>& Competitor::burst_starts() {
  if (report_fd_ < 0) return starts_;
  int64_t buf[512];
  for (;;) {
    const ssize_t got = read(report_fd_, buf, sizeof buf);
    if (got <= 0) break;  // EAGAIN: nothing more now
    starts_.insert(starts_.end(), buf, buf + got / static_cast<ssize_t>(sizeof(int64_t)));
  }
  return starts_;
}

}  // namespace braid::bench
