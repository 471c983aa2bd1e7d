#include "resource/report_once.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace braid::detail {

void ReportOnce::failed(const std::string& key, const Status& status) {
  if (in_outage(key)) return;
  down_.push_back(key);
  ++reports_;
  spdlog::warn("resource monitor: {} unavailable: {}", key, status.to_string());
}

void ReportOnce::recovered(const std::string& key) {
  auto it = std::find(down_.begin(), down_.end(), key);
  if (it == down_.end()) return;
  down_.erase(it);
  spdlog::info("resource monitor: {} available again", key);
}

bool ReportOnce::in_outage(const std::string& key) const {
  return std::find(down_.begin(), down_.end(), key) != down_.end();
}

}  // namespace braid::detail
