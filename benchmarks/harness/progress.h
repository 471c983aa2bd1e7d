// The live progress line of braid-bench: on a terminal one line rewritten in place
// ("wide_mlp adaptive  412/1000 requests  1.3 s"), else (with --progress) a plain line
// per second on stderr. Off by default when stdout is not a terminal.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace braid::bench {

class ProgressLine {
 public:
  // `enabled` false: every call is a no-op. `tty`: rewrite one line on stdout. Not thread-safe.
  ProgressLine(bool enabled, bool tty);
  ~ProgressLine();  // stops, clears the line
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Shows `label` and the count of `completed` out of `total` (0: time-based, out of
  // `seconds`) until end(). Not thread-safe.
  void begin(std::string label, const std::atomic<size_t>* completed, size_t total, double seconds);
  void end();

 private:
  void loop();
  void draw();

  const bool enabled_, tty_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::string label_;
  const std::atomic<size_t>* completed_ = nullptr;
  size_t total_ = 0;
  double seconds_ = 0;
  std::chrono::steady_clock::time_point since_;
  std::thread thread_;
};

}  // namespace braid::bench
