// OwnRunnableThreads: how many of this process's threads are runnable (state R: running
// or waiting for a CPU) right now, from /proc/self/task/<tid>/stat. Together with
// /proc/stat's procs_running (every runnable thread of the machine, at the same instant)
// it gives the other processes' runnable threads without the 10 ms tick quantisation and
// the two-interval window of the busy-time rates: a competitor that starts or stops is
// visible in the very next sample (docs/resource-monitor.md, "The run-queue signal").
//
// The per-thread files stay open (TextFile: pread from 0 regenerates them). The thread
// list is re-read when /proc/self/stat's thread count changes or a thread's file fails
// (it exited), so a worker pool that grows is counted from the sample after it grew.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "braid/status.h"
#include "resource/text_file.h"

namespace braid::detail {

// The state letter of a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat line: the first
// field after the command name, which is in parentheses and may itself contain ") R (";
// '\0' when the line is malformed. Thread-safe.
char proc_stat_state(std::string_view stat_line);

// The thread count (field 20) of a /proc/<pid>/stat line; -1 when malformed. Thread-safe.
int proc_stat_threads(std::string_view stat_line);

class OwnRunnableThreads {
 public:
  // Above this many threads one sample would read that many files (a host process with a
  // large thread pool): count() fails instead and the caller stops asking.
  static constexpr size_t kMaxThreads = 256;

  // `root` prefixes the /proc paths ("" = this process; a captured tree in tests).
  explicit OwnRunnableThreads(std::string root = "");

  // This process's threads in state R now (the calling thread included: it is running).
  // An error when /proc/self/task cannot be listed or holds more than kMaxThreads.
  // Not thread-safe.
  Result<int> count();

 private:
  Status rescan();

  std::string root_;
  TextFile self_stat_;
  std::vector<TextFile> tasks_;
  int known_threads_ = -1;
};

}  // namespace braid::detail
