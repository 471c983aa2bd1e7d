// ReportOnce: logs a source's problem through spdlog the first time it happens and stays
// quiet afterwards, so that a machine without PSI does not fill the log every 10 ms.
// A key that recovers and fails again is reported again (once per outage).
#pragma once

#include <string>
#include <vector>

#include "braid/status.h"

namespace braid::detail {

class ReportOnce {
 public:
  // Logs "resource monitor: <key> unavailable: <status>" at warning level unless `key`
  // is already in an outage. Not thread-safe.
  void failed(const std::string& key, const Status& status);
  // Ends the outage of `key` (logs at info level that it is back). Not thread-safe.
  void recovered(const std::string& key);
  // True while `key` is in an outage. Not thread-safe.
  bool in_outage(const std::string& key) const;
  // Warnings logged so far (for tests). Not thread-safe.
  int reports() const noexcept { return reports_; }

 private:
  std::vector<std::string> down_;
  int reports_ = 0;
};

}  // namespace braid::detail
