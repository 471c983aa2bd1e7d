// A/B switches read from the environment: NAME=0 turns a behaviour off, anything else
// (or unset) leaves it on. For measurements with one binary, not tuning knobs.
#pragma once

#include <cstdlib>

namespace braid::detail {

// Whether the switch `name` is on now (read each call: callers keep the answer in a
// function-local static, so that it is read once). Thread-safe.
inline bool env_switch_on(const char* name) noexcept {
  const char* v = std::getenv(name);
  return v == nullptr || v[0] != '0';
}

}  // namespace braid::detail
