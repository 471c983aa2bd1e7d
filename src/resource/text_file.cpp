#include "resource/text_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace braid::detail {
namespace {

Status errno_status(const std::string& what, const std::string& path, int err) {
  return invalid_argument(what + " " + path + ": " + std::strerror(err));
}

// Reads from offset 0 to EOF into `buffer` (grown as needed, never shrunk).
Status read_fd(int fd, const std::string& path, std::string& buffer, size_t& size) {
  if (buffer.size() < 4096) buffer.resize(4096);
  size = 0;
  for (;;) {
    if (size == buffer.size()) buffer.resize(buffer.size() * 2);
    const ssize_t n = ::pread(fd, buffer.data() + size, buffer.size() - size, static_cast<off_t>(size));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status("cannot read", path, errno);
    }
    if (n == 0) return Status::ok_status();
    size += static_cast<size_t>(n);
  }
}

}  // namespace

std::string rooted_path(const std::string& root, std::string_view absolute_path) {
  std::string out = root;
  while (!out.empty() && out.back() == '/') out.pop_back();
  if (absolute_path.empty() || absolute_path.front() != '/') out.push_back('/');
  out.append(absolute_path);
  return out;
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Result<std::string> read_whole_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status("cannot open", path, errno);
  std::string buffer;
  size_t size = 0;
  Status s = read_fd(fd, path, buffer, size);
  ::close(fd);
  if (!s.ok()) return s;
  buffer.resize(size);
  return buffer;
}

TextFile::~TextFile() { close_fd(); }

TextFile::TextFile(TextFile&& other) noexcept
    : path_(std::move(other.path_)), buffer_(std::move(other.buffer_)), fd_(std::exchange(other.fd_, -1)) {}

TextFile& TextFile::operator=(TextFile&& other) noexcept {
  if (this != &other) {
    close_fd();
    path_ = std::move(other.path_);
    buffer_ = std::move(other.buffer_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void TextFile::close_fd() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<std::string_view> TextFile::read() {
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return errno_status("cannot open", path_, errno);
  }
  size_t size = 0;
  Status s = read_fd(fd_, path_, buffer_, size);
  if (!s.ok()) {
    close_fd();  // a removed cgroup or a revoked file: reopen next time
    return s;
  }
  return std::string_view(buffer_.data(), size);
}

}  // namespace braid::detail
