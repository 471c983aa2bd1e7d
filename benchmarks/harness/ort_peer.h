// The ONNX Runtime side of `braid-bench --compare ort`: a warm ort_serve.mjs
// (benchmarks/peer/) in a child process, spoken to over pipes in the line protocol of
// `braid-bench --serve` (serve.h), started and killed by PID.
//
//   auto where = find_ort_peer();                  // node, onnxruntime-node, ort_serve.mjs
//   auto ort = OrtServer::start(*where, {"--intra", "2"});
//   (*ort)->request("load m0 sequential /tmp/in m.onnx");
//   auto block = parse_block_reply((*ort)->request("run m0 0 10").value());
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "braid/status.h"

namespace braid::bench {

struct OrtPeerLocation {
  std::string node;        // the node executable
  std::string module_dir;  // .../node_modules/onnxruntime-node
  std::string version;     // of onnxruntime-node (its package.json)
  std::string script;      // ort_serve.mjs
};

// Finds node (PATH, or $BRAID_NODE), onnxruntime-node ($BRAID_ORT_PREFIX, default
// ~/.cache/braid/ort) and ort_serve.mjs ($BRAID_ORT_SERVE, default the source tree's).
// The error says what is missing and how to install it. Thread-safe.
Result<OrtPeerLocation> find_ort_peer();

// One block of timed runs: "ok NUMEL SUM SUM_ABS MS_1 ... MS_N" (SUM and SUM_ABS over every
// f32 element of every output of the last run).
struct BlockReply {
  int64_t numel = 0;
  double sum = 0, sum_abs = 0;
  std::vector<double> ms;
};
Result<BlockReply> parse_block_reply(const std::string& line);

// One block of a multi-stream, server or offline scenario: "ok WALL_S MS_1 ... MS_N".
struct ScenarioReply {
  double wall_s = 0;
  std::vector<double> ms;
};
Result<ScenarioReply> parse_scenario_reply(const std::string& line);

// A process's peak resident set (VmHWM) and current one (VmRSS) in KiB, read from
// /proc/PID/status by PID; -1 when it cannot be read. Thread-safe.
int64_t process_peak_rss_kib(pid_t pid);
int64_t process_rss_kib(pid_t pid);
// CPU time (user + system, every thread) a process has used so far, in seconds, from
// /proc/PID/stat (clock-tick resolution); -1 when it cannot be read. Thread-safe.
double process_cpu_seconds(pid_t pid);
// CPU time every thread of a process has run so far, in nanoseconds, from
// /proc/PID/task/*/schedstat; -1 when the process is gone. Thread-safe.
int64_t process_cpu_ns(pid_t pid);
// Waits until the process has used under 5% of a core for 5 ms (ORT's intra-op pool spins
// for ~40 ms after a run, a whole core at 2 threads), at most `limit`. Returns the time
// waited. Thread-safe.
std::chrono::nanoseconds wait_until_idle(pid_t pid, std::chrono::milliseconds limit = std::chrono::milliseconds(300));

class OrtServer {
 public:
  // Starts `node ort_serve.mjs ARGS...` with its stdin and stdout on pipes (stderr is ours).
  static Result<std::unique_ptr<OrtServer>> start(const OrtPeerLocation& where, const std::vector<std::string>& args);
  ~OrtServer();  // "quit", then SIGKILL by PID if it has not exited, and reaps it
  OrtServer(const OrtServer&) = delete;
  OrtServer& operator=(const OrtServer&) = delete;

  // Sends one request line and returns the reply line; "err ..." replies and a dead child
  // are errors. Not thread-safe.
  Result<std::string> request(const std::string& line);
  pid_t pid() const { return pid_; }

 private:
  OrtServer() = default;
  pid_t pid_ = -1;
  int to_child_ = -1, from_child_ = -1;
  std::string buffered_;
};

}  // namespace braid::bench
