#include "resource/text_scan.h"

#include <algorithm>
#include <charconv>

namespace braid::detail {
namespace {
bool is_blank(char c) { return c == ' ' || c == '\t'; }
}  // namespace

bool next_line(std::string_view& text, std::string_view& line) noexcept {
  if (text.empty()) return false;
  const size_t nl = text.find('\n');
  if (nl == std::string_view::npos) {
    line = text;
    text = {};
  } else {
    line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
  }
  return true;
}

std::string_view next_token(std::string_view& text) noexcept {
  size_t i = 0;
  while (i < text.size() && is_blank(text[i])) ++i;
  size_t j = i;
  while (j < text.size() && !is_blank(text[j])) ++j;
  std::string_view token = text.substr(i, j - i);
  text.remove_prefix(j);
  return token;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (is_blank(s.front()) || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (is_blank(s.back()) || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<int64_t> parse_int64(std::string_view s) noexcept {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<uint64_t> parse_uint64(std::string_view s) noexcept {
  uint64_t v = 0;
  if (s.empty() || s.front() == '-') return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view s) noexcept {
  double v = 0;
  if (s.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::vector<int>> parse_cpu_list(std::string_view s, int max_id) {
  std::vector<int> ids;
  s = trim(s);
  while (!s.empty()) {
    const size_t comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
    if (item.empty()) return std::nullopt;
    const size_t dash = item.find('-');
    auto lo = parse_int64(item.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : parse_int64(item.substr(dash + 1));
    if (!lo || !hi || *lo < 0 || *hi < *lo || *hi > max_id) return std::nullopt;
    for (int64_t c = *lo; c <= *hi; ++c) ids.push_back(static_cast<int>(c));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace braid::detail
