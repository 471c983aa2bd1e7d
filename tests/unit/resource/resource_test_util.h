// Helpers for the ResourceMonitor tests: captured trees under tests/data/resource and
// scratch roots built on the fly.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace braid::testing {

// tests/data/resource/<name> (appended in place: GCC 12 warns falsely, -Warray-bounds,
// about a temporary's memcpy in string + char* + string)
inline std::string resource_data(const std::string& name) {
  std::string path = BRAID_SOURCE_DIR;
  path.append("/tests/data/resource/").append(name);
  return path;
}

// A fresh directory removed on destruction; write() creates parents as needed.
class ScratchRoot {
 public:
  ScratchRoot() {
    std::string pattern = (std::filesystem::temp_directory_path() / "braid-resource-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~ScratchRoot() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchRoot(const ScratchRoot&) = delete;
  ScratchRoot& operator=(const ScratchRoot&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to root + absolute_path in place (same inode, so open readers see it).
  void write(const std::string& absolute_path, const std::string& content) const {
    const std::filesystem::path p = path_ + absolute_path;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
  }
  void remove(const std::string& absolute_path) const {
    std::error_code ec;
    std::filesystem::remove(path_ + absolute_path, ec);
  }

 private:
  std::string path_;
};

}  // namespace braid::testing
