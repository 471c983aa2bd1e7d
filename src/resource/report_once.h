// ReportOnce: logs a source's problem through spdlog the first time it happens and stays
// quiet afterwards, so that a machine without PSI does not fill the log every 10 ms.
// A key that recovers and fails again is reported again (once per outage).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "braid/status.h"

namespace braid::detail {

class ReportOnce {
 public:
  // Logs "resource monitor: <key> unavailable: <status>" at warning level unless `key`
  // is already in an outage. Not thread-safe.
  void failed(std::string_view key, const Status& status);
  // Ends the outage of `key` (logs at info level that it is back); free when nothing is
  // in an outage, as it is called for every source on every sample. Not thread-safe.
  void recovered(std::string_view key);
  // True while `key` is in an outage. Not thread-safe.
  bool in_outage(std::string_view key) const;
  // True when nothing is in an outage (the common case: lets callers skip recovered()).
  // Not thread-safe.
  bool all_up() const noexcept { return down_.empty(); }
  // Warnings logged so far (for tests). Not thread-safe.
  int reports() const noexcept { return reports_; }

 private:
  std::vector<std::string> down_;
  int reports_ = 0;
};

}  // namespace braid::detail
