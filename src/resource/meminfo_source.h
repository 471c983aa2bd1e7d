// MemInfoSource: the machine's memory that can still be allocated without swapping,
// /proc/meminfo MemAvailable (estimated from MemFree + Buffers + Cached on kernels older
// than 3.14, which lack it). The kernel sums per-CPU counters to print it, the second most
// expensive read of a sample, so it is read every `refresh_every_samples` (the monitor
// uses 50 ms) and the last values are written between.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "braid/resource.h"
#include "resource/text_file.h"

namespace braid::detail {

struct MemInfo {
  int64_t total_bytes = -1;
  int64_t available_bytes = -1;
  bool available_estimated = false;  // no MemAvailable line
};

// Rejects files without MemTotal, with garbage numbers or units other than kB, and a
// MemAvailable above MemTotal. Thread-safe.
Result<MemInfo> parse_meminfo(std::string_view text);

class MemInfoSource final : public ResourceSource {
 public:
  explicit MemInfoSource(const std::string& root = "", int refresh_every_samples = 1);
  // Writes memory_bytes_total and memory_system_available. Not thread-safe.
  Status sample(ResourceVector& inout) override;
  const char* name() const override { return "meminfo"; }
  ResourceSourceKind kind() const override { return ResourceSourceKind::kMemInfo; }

 private:
  TextFile file_;
  int refresh_every_samples_;
  int samples_since_refresh_ = 0;
  bool have_ = false;
  MemInfo last_;
};

}  // namespace braid::detail
