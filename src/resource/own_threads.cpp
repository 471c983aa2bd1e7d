#include "resource/own_threads.h"

#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

#include "resource/text_scan.h"

namespace braid::detail {

char proc_stat_state(std::string_view stat_line) {
  const size_t close = stat_line.rfind(')');
  if (close == std::string_view::npos || close + 2 >= stat_line.size() || stat_line[close + 1] != ' ') return '\0';
  return stat_line[close + 2];
}

int proc_stat_threads(std::string_view stat_line) {
  const size_t close = stat_line.rfind(')');
  if (close == std::string_view::npos) return -1;
  // Fields after the command: 3 state, 4 ppid, ... 20 num_threads.
  std::string_view rest = stat_line.substr(close + 1);
  for (int field = 3; field < 20; ++field) next_token(rest);
  const std::optional<int64_t> n = parse_int64(next_token(rest));
  return n && *n > 0 && *n <= (1 << 30) ? static_cast<int>(*n) : -1;
}

OwnRunnableThreads::OwnRunnableThreads(std::string root)
    : root_(std::move(root)), self_stat_(rooted_path(root_, "/proc/self/stat")) {}

Status OwnRunnableThreads::rescan() {
  tasks_.clear();
  std::error_code ec;
  std::filesystem::directory_iterator it(rooted_path(root_, "/proc/self/task"), ec);
  if (ec) return internal_error("own threads: cannot list /proc/self/task: " + ec.message());
  for (const std::filesystem::directory_entry& e : it) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (tasks_.size() == kMaxThreads) {
      tasks_.clear();
      return internal_error("own threads: more than " + std::to_string(kMaxThreads) +
                            " threads, too many to read every sample");
    }
    tasks_.emplace_back((e.path() / "stat").string());
  }
  return Status::ok_status();
}

Result<int> OwnRunnableThreads::count() {
  // The thread count first: a changed one (a pool grew or shrank) re-reads the list.
  int threads = -1;
  if (Result<std::string_view> self = self_stat_.read(); self.ok()) threads = proc_stat_threads(*self);
  if (known_threads_ < 0 || threads != known_threads_) {
    BRAID_RETURN_IF_ERROR(rescan());
    known_threads_ = threads;
  }
  int runnable = 0;
  bool vanished = false;
  for (TextFile& task : tasks_) {
    Result<std::string_view> line = task.read();
    if (!line.ok()) {
      vanished = true;  // the thread exited: list again next time
      continue;
    }
    if (proc_stat_state(*line) == 'R') ++runnable;
  }
  if (vanished) known_threads_ = -1;
  return runnable;
}

}  // namespace braid::detail
