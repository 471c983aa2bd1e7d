#include "interference.h"

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

[[noreturn]] void competitor_main(Interference spec) {
  if (spec.kind == Interference::Kind::kMemory) stream_memory(spec.memory_bytes);
  std::vector<std::thread> threads;
  for (int t = 0; t < spec.threads; ++t) {
    threads.emplace_back([spec] {
      volatile uint64_t sink = 0;
      for (;;) {
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(spec.on_ms > 0 ? spec.on_ms : 1000);
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
  pid_ = fork();
  if (pid_ == 0) {
    if (memory)
      execl("/proc/self/exe", "braid-bench", "--competitor-child-mem", bytes.c_str(), static_cast<char*>(nullptr));
    else
      execl("/proc/self/exe", "braid-bench", "--competitor-child", threads.c_str(), on.c_str(), off.c_str(),
            static_cast<char*>(nullptr));
    _exit(127);
  }
  // Let it ramp up so the resource monitor sees it before measuring.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

Competitor::~Competitor() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

}  // namespace braid::bench
