// MemInfoSource: the machine's memory that can still be allocated without swapping,
// /proc/meminfo MemAvailable (estimated from MemFree + Buffers + Cached on kernels older
// than 3.14, which lack it).
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
  explicit MemInfoSource(const std::string& root = "");
  // Writes memory_bytes_total and memory_system_available. Not thread-safe.
  Status sample(ResourceVector& inout) override;
  const char* name() const override { return "meminfo"; }
  ResourceSourceKind kind() const override { return ResourceSourceKind::kMemInfo; }

 private:
  TextFile file_;
};

}  // namespace braid::detail
