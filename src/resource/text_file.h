// TextFile: re-reads one small /proc, /sys or cgroup file without allocating. The file
// stays open between reads (pread from offset 0 makes the kernel regenerate it), which
// halves the sampler's syscalls; a read error closes it so that the next read reopens.
#pragma once

#include <string>
#include <string_view>

#include "braid/status.h"

namespace braid::detail {

// Joins a root prefix ("" for the live machine, a captured tree in tests) and an
// absolute path ("/proc/stat"). Thread-safe.
std::string rooted_path(const std::string& root, std::string_view absolute_path);

// True when `path` exists (a file or a directory). Thread-safe.
bool path_exists(const std::string& path);

// Reads a whole file into a new string (for files read rarely: mountinfo, status).
// Thread-safe.
Result<std::string> read_whole_file(const std::string& path);

class TextFile {
 public:
  TextFile() = default;
  explicit TextFile(std::string path) : path_(std::move(path)) {}
  ~TextFile();
  TextFile(TextFile&& other) noexcept;
  TextFile& operator=(TextFile&& other) noexcept;
  TextFile(const TextFile&) = delete;
  TextFile& operator=(const TextFile&) = delete;

  // The file's current content; the view stays valid until the next read() or
  // destruction. Errors name the path and errno text. Not thread-safe.
  Result<std::string_view> read();

  const std::string& path() const noexcept { return path_; }

 private:
  void close_fd() noexcept;

  std::string path_;
  std::string buffer_;
  int fd_ = -1;
};

}  // namespace braid::detail
