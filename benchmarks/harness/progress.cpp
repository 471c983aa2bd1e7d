#include "progress.h"

#include <cstdio>

namespace braid::bench {

ProgressLine::ProgressLine(bool enabled, bool tty) : enabled_(enabled), tty_(tty) {
  if (enabled_) thread_ = std::thread([this] { loop(); });
}

ProgressLine::~ProgressLine() {
  if (!enabled_) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ProgressLine::begin(std::string label, const std::atomic<size_t>* completed, size_t total, double seconds) {
  if (!enabled_) return;
  std::lock_guard lock(mu_);
  label_ = std::move(label);
  completed_ = completed;
  total_ = total;
  seconds_ = seconds;
  since_ = std::chrono::steady_clock::now();
}

void ProgressLine::end() {
  if (!enabled_) return;
  std::lock_guard lock(mu_);
  completed_ = nullptr;
  if (tty_) {
    std::printf("\r\033[K");  // the result row replaces the line
    std::fflush(stdout);
  }
}

void ProgressLine::loop() {
  std::unique_lock lock(mu_);
  const auto period = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(1000);
  while (!wake_.wait_for(lock, period, [this] { return stop_; })) draw();
}

void ProgressLine::draw() {
  if (!completed_) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - since_).count();
  const size_t done = completed_->load(std::memory_order_relaxed);
  char line[256];
  if (total_ > 0)
    std::snprintf(line, sizeof line, "%s  %zu/%zu requests  %.1f s", label_.c_str(), done, total_, elapsed);
  else
    std::snprintf(line, sizeof line, "%s  %zu requests  %.1f/%.1f s", label_.c_str(), done, elapsed, seconds_);
  if (tty_) {
    std::printf("\r\033[K%s", line);
    std::fflush(stdout);
  } else {
    std::fprintf(stderr, "progress: %s\n", line);
  }
}

}  // namespace braid::bench
