#include "resource/meminfo_source.h"

#include <algorithm>

#include "resource/text_scan.h"

namespace braid::detail {

Result<MemInfo> parse_meminfo(std::string_view text) {
  MemInfo out;
  int64_t free_kb = -1, buffers_kb = -1, cached_kb = -1, total_kb = -1, available_kb = -1;
  std::string_view line;
  while (next_line(text, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    int64_t* slot = key == "MemTotal"       ? &total_kb
                    : key == "MemAvailable" ? &available_kb
                    : key == "MemFree"      ? &free_kb
                    : key == "Buffers"      ? &buffers_kb
                    : key == "Cached"       ? &cached_kb
                                            : nullptr;
    if (slot == nullptr) continue;
    std::string_view rest = line.substr(colon + 1);
    const std::string_view number = next_token(rest);
    const std::string_view unit = next_token(rest);
    auto v = parse_int64(number);
    if (!v || *v < 0 || (unit != "kB" && !unit.empty()) || !next_token(rest).empty())
      return invalid_argument("/proc/meminfo: bad line '" + std::string(line) + "'");
    if (*v > (int64_t{1} << 52)) return invalid_argument("/proc/meminfo: absurd value in '" + std::string(line) + "'");
    *slot = *v;
  }
  if (total_kb < 0) return invalid_argument("/proc/meminfo: no MemTotal");
  if (available_kb < 0) {
    if (free_kb < 0) return invalid_argument("/proc/meminfo: neither MemAvailable nor MemFree");
    available_kb = free_kb + std::max<int64_t>(buffers_kb, 0) + std::max<int64_t>(cached_kb, 0);
    out.available_estimated = true;
  }
  if (available_kb > total_kb) {
    if (!out.available_estimated) return invalid_argument("/proc/meminfo: MemAvailable above MemTotal");
    available_kb = total_kb;
  }
  out.total_bytes = total_kb * 1024;
  out.available_bytes = available_kb * 1024;
  return out;
}

MemInfoSource::MemInfoSource(const std::string& root, int refresh_every_samples)
    : file_(rooted_path(root, "/proc/meminfo")), refresh_every_samples_(std::max(1, refresh_every_samples)) {}

Status MemInfoSource::sample(ResourceVector& inout) {
  if (!have_ || ++samples_since_refresh_ >= refresh_every_samples_) {
    samples_since_refresh_ = 0;
    have_ = false;
    BRAID_ASSIGN_OR_RETURN(std::string_view text, file_.read());
    BRAID_ASSIGN_OR_RETURN(last_, parse_meminfo(text));
    have_ = true;
  }
  const MemInfo& info = last_;
  inout.memory_bytes_total = info.total_bytes;
  inout.memory_system_available = info.available_bytes;
  return Status::ok_status();
}

}  // namespace braid::detail
