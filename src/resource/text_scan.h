// Small allocation-free scanners for the line-and-token formats of /proc and /sys.
// Every function is total: bad input yields std::nullopt / false, never UB or a throw.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace braid::detail {

// Pops the next line (without '\n') off `text`; false at the end. A last line without
// '\n' is still returned. Thread-safe.
bool next_line(std::string_view& text, std::string_view& line) noexcept;

// Pops the next token separated by spaces or tabs; empty at the end. Thread-safe.
std::string_view next_token(std::string_view& text) noexcept;

// Strips spaces, tabs and newlines at both ends. Thread-safe.
std::string_view trim(std::string_view s) noexcept;

// The whole of `s` as a number (no sign for unsigned, no trailing junk), else nullopt.
// Thread-safe.
std::optional<int64_t> parse_int64(std::string_view s) noexcept;
std::optional<uint64_t> parse_uint64(std::string_view s) noexcept;
std::optional<double> parse_double(std::string_view s) noexcept;

// "0-3,8,10-11" (the kernel's cpulist format) -> sorted CPU ids; nullopt on garbage,
// descending ranges or ids above `max_id`. An empty list is valid. Thread-safe.
std::optional<std::vector<int>> parse_cpu_list(std::string_view s, int max_id = 1 << 16);

}  // namespace braid::detail
