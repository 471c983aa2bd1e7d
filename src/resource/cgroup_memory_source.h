// CgroupMemorySource: memory left under our cgroup's limit — v2 memory.max / memory.high
// and memory.current, or v1 memory.limit_in_bytes and memory.usage_in_bytes (this
// project's build machine uses v1 for memory) — the tightest level of the ancestry, with
// the cgroup's inactive file cache counted as reclaimable (as Kubernetes' working set).
// Limits change rarely and are re-read every `refresh_every_samples`; usage every
// `usage_every_samples` (the monitor uses 1 s and 50 ms).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "braid/resource.h"
#include "resource/report_once.h"
#include "resource/text_file.h"

namespace braid::detail {

// A memory limit or usage file: "max" (v2) and v1's "no limit" (>= 2^62, e.g.
// 9223372036854771712) -> -1; a byte count -> itself. Rejects garbage and negatives.
// Thread-safe.
Result<int64_t> parse_cgroup_memory_value(std::string_view text);
// The value of `key` in a memory.stat file, or -1 when the key is absent; garbage on
// that key's line is an error. Thread-safe.
Result<int64_t> parse_memory_stat_field(std::string_view text, std::string_view key);

struct CgroupMemorySourceOptions {
  std::string root;
  int refresh_every_samples = 100;
  int usage_every_samples = 1;
};

class CgroupMemorySource final : public ResourceSource {
 public:
  explicit CgroupMemorySource(CgroupMemorySourceOptions options = {});
  // Writes memory_cgroup_usage and, when some level has a limit, memory_cgroup_limit and
  // memory_cgroup_available. Fails when no memory cgroup is found. Not thread-safe.
  Status sample(ResourceVector& inout) override;
  const char* name() const override { return "cgroup_memory"; }
  ResourceSourceKind kind() const override { return ResourceSourceKind::kCgroupMemory; }

  // "v1", "v2" or "" (none found) after the first sample. Not thread-safe.
  const std::string& version() const noexcept { return version_; }

 private:
  struct Level {
    std::string dir;
    int64_t limit = -1;
    int64_t reclaimable = 0;
    TextFile usage;
  };

  Status refresh();

  CgroupMemorySourceOptions options_;
  ReportOnce reports_;
  std::string version_;
  TextFile leaf_usage_;
  std::vector<Level> levels_;  // only levels with a finite limit
  bool have_layout_ = false;
  int samples_since_refresh_ = 0;
  // The outputs of the last usage read, written again between reads.
  bool have_usage_ = false;
  int samples_since_usage_ = 0;
  int64_t usage_ = -1;
  int64_t limit_ = -1;
  int64_t available_ = -1;
};

}  // namespace braid::detail
