// Braid's version.
#pragma once

#define BRAID_VERSION_MAJOR 0
#define BRAID_VERSION_MINOR 1
#define BRAID_VERSION_PATCH 0

namespace braid {
// "0.1.0". Thread-safe.
const char* version() noexcept;
}  // namespace braid
