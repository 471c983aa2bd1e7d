#include "core/log.h"

#include <cstdio>
#include <mutex>

namespace braid {
namespace {

struct LogState {
  std::mutex mu;  // held while a message is delivered: one call at a time, and a
                  // replaced handler is never called again once set_log_handler returns
  LogHandler handler;
  LogLevel min_level = LogLevel::kInfo;
};

LogState& state() {
  static LogState s;
  return s;
}

}  // namespace

void set_log_handler(LogHandler handler, LogLevel min_level) {
  LogState& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.handler = std::move(handler);
  s.min_level = min_level;
}

namespace detail {

void log_message(LogLevel level, const std::string& message) {
  LogState& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (static_cast<int>(level) < static_cast<int>(s.min_level)) return;
  if (s.handler) {
    s.handler(level, message);
    return;
  }
  std::fprintf(stderr, "braid: %s: %s\n", level == LogLevel::kWarning ? "warning" : "info", message.c_str());
}

}  // namespace detail
}  // namespace braid
