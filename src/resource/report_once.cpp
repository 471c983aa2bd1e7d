#include "resource/report_once.h"

#include <algorithm>

#include "core/log.h"

namespace braid::detail {

void ReportOnce::failed(std::string_view key, const Status& status) {
  if (in_outage(key)) return;
  down_.emplace_back(key);
  ++reports_;
  log_warn("resource monitor: {} unavailable: {}", key, status.to_string());
}

void ReportOnce::recovered(std::string_view key) {
  if (down_.empty()) return;
  auto it = std::find(down_.begin(), down_.end(), key);
  if (it == down_.end()) return;
  down_.erase(it);
  log_info("resource monitor: {} available again", key);
}

bool ReportOnce::in_outage(std::string_view key) const {
  return std::find(down_.begin(), down_.end(), key) != down_.end();
}

}  // namespace braid::detail
