// The cache that co-scheduled subgraphs share, from sysfs: the last-level cache of CPU 0
// plus the private L2 of every CPU that shares it. The dispatcher weighs running working
// sets against it so that two cache-resident subgraphs are not co-scheduled out of cache.
#pragma once

#include <cstddef>
#include <string>

namespace braid::detail {

// Parses "/sys/devices/system/cpu/cpu0/cache/index*/{level,type,size,shared_cpu_list}"
// under `root` ("" for the live machine). 0 when the files are missing or unreadable.
// Thread-safe.
size_t shared_cache_bytes_at(const std::string& root);

// The live machine's value, read once (BRAID_CACHE_BYTES overrides it; 0 disables the
// cache check). Thread-safe.
size_t shared_cache_bytes();

}  // namespace braid::detail
