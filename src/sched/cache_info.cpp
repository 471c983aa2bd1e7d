#include "sched/cache_info.h"

#include <cstdlib>
#include <string_view>

#include "resource/text_file.h"

namespace braid::detail {
namespace {

// "2048K", "32M", "1G", "65536" -> bytes; 0 when malformed.
size_t parse_size(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  size_t value = 0, i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) value = value * 10 + static_cast<size_t>(s[i] - '0');
  if (i == 0 || i + 1 < s.size()) return 0;
  if (i == s.size()) return value;
  switch (s[i]) {
    case 'K': return value << 10;
    case 'M': return value << 20;
    case 'G': return value << 30;
    default: return 0;
  }
}

// CPUs in a list such as "0-3,8,10-11"; 0 when malformed.
int count_cpus(std::string_view s) {
  int count = 0;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty()) {
    const size_t comma = s.find(',');
    std::string_view part = s.substr(0, comma);
    const size_t dash = part.find('-');
    const int lo = std::atoi(std::string(part.substr(0, dash)).c_str());
    const int hi = dash == std::string_view::npos ? lo : std::atoi(std::string(part.substr(dash + 1)).c_str());
    if (hi < lo) return 0;
    count += hi - lo + 1;
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return count;
}

}  // namespace

size_t shared_cache_bytes_at(const std::string& root) {
  size_t l2 = 0, last = 0;
  int last_level = 0, sharing = 1;
  for (int index = 0; index < 16; ++index) {
    const std::string dir = rooted_path(root, "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index));
    auto level = read_whole_file(dir + "/level");
    if (!level.ok()) break;
    auto type = read_whole_file(dir + "/type");
    auto size = read_whole_file(dir + "/size");
    if (!type.ok() || !size.ok() || type->rfind("Instruction", 0) == 0) continue;
    const int lv = std::atoi(level->c_str());
    const size_t bytes = parse_size(*size);
    if (lv == 2) l2 = bytes;
    if (lv >= 2 && lv >= last_level && bytes > 0) {
      last_level = lv;
      last = bytes;
      auto shared = read_whole_file(dir + "/shared_cpu_list");
      sharing = shared.ok() ? std::max(1, count_cpus(*shared)) : 1;
    }
  }
  if (last_level == 0) return 0;
  if (last_level == 2) return l2 * static_cast<size_t>(sharing);
  return last + l2 * static_cast<size_t>(sharing);
}

size_t shared_cache_bytes() {
  static const size_t bytes = [] {
    if (const char* env = std::getenv("BRAID_CACHE_BYTES"); env != nullptr && *env != '\0')
      return static_cast<size_t>(std::strtoull(env, nullptr, 10));
    return shared_cache_bytes_at("");
  }();
  return bytes;
}

}  // namespace braid::detail
