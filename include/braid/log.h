// Where Braid's own messages go: a resource source that became unreadable or came back,
// a model whose ONNX shape inference failed, a calibration that could not be read. None
// of them is an error of a call (those come back as a Status); they are notes for whoever
// runs the host.
//
// By default each message is one line on stderr ("braid: warning: ..."), never stdout,
// which belongs to the host (a line protocol, JSON output). A host with its own logging
// installs a handler:
//
//   braid::set_log_handler([](braid::LogLevel level, std::string_view message) {
//     host_log(level == braid::LogLevel::kWarning ? HOST_WARN : HOST_INFO, message);
//   });
#pragma once

#include <functional>
#include <string_view>

namespace braid {

enum class LogLevel {
  kInfo,     // a state change worth knowing (a resource source available again)
  kWarning,  // Braid works around something (a missing reading, a skipped optimisation)
};

// Receives every message, without a trailing newline. Called from whichever Braid thread
// noticed (the monitor's sampler, a loading or running thread), one call at a time.
using LogHandler = std::function<void(LogLevel level, std::string_view message)>;

// Replaces the handler; an empty one restores the default (stderr). Thread-safe: a call
// already inside the old handler finishes first. Messages below `min_level` are dropped.
void set_log_handler(LogHandler handler, LogLevel min_level = LogLevel::kInfo);

}  // namespace braid
