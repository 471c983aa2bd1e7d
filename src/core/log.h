// Braid's internal logging: formats a message and hands it to the handler of
// braid/log.h (stderr by default). Rare events only, never on a hot path.
#pragma once

#include <spdlog/fmt/fmt.h>

#include <string>
#include <utility>

#include "braid/log.h"

namespace braid::detail {

void log_message(LogLevel level, const std::string& message);

template <class... Args>
void log_warn(fmt::format_string<Args...> format, Args&&... args) {
  log_message(LogLevel::kWarning, fmt::format(format, std::forward<Args>(args)...));
}

template <class... Args>
void log_info(fmt::format_string<Args...> format, Args&&... args) {
  log_message(LogLevel::kInfo, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace braid::detail
