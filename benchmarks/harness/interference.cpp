#include "interference.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <chrono>
#include <thread>
#include <vector>

namespace braid::bench {
[[noreturn]] void competitor_main(Interference spec) {
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
              off = std::to_string(spec.kind == Interference::Kind::kBursty ? spec.off_ms : 0);
  pid_ = fork();
  if (pid_ == 0) {
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
