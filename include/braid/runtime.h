// Runtime: what sessions share — one ResourceMonitor, one scheduler, one thread arena — so
// that several models running at once never oversubscribe the machine together. Sessions
// created without one use the process-wide default.
//
//   auto rt = braid::Runtime::create({.threads = 4}).value();
//   braid::SessionOptions opt;
//   opt.runtime = rt;
//   auto a = braid::Session::load("a.onnx", opt), b = braid::Session::load("b.onnx", opt);
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "braid/resource.h"
#include "braid/status.h"

namespace braid {

namespace detail {
class RuntimeCore;
}

// How the scheduler orders ready subgraphs.
enum class SchedulingPolicyOption {
  kHybrid,        // the binding resource decided from the live vector every step
  kCriticalPath,  // longest remaining path first
  kComputeFirst,  // most FLOPs first
  kMemoryFirst,   // least memory traffic and footprint first
};

struct RuntimeOptions {
  int threads = 0;  // threads the runtime may use; 0 = every core in the affinity mask
  // Sample the machine (/proc, cgroups, PSI). Off: every thread counts as available unless
  // the host adds its own sources to monitor().
  bool monitor_machine = true;
  // Measure (or load the cached) peak GFLOP/s and GB/s at start.
  bool calibrate = true;
  SchedulingPolicyOption policy = SchedulingPolicyOption::kHybrid;
  std::chrono::nanoseconds monitor_period = std::chrono::milliseconds(5);
  // Prefix for every /proc and /sys path the monitor reads ("" = this machine's), e.g. a
  // container that mounts the host's /proc elsewhere, or a test's captured tree.
  std::string monitor_root;
};

class Runtime {
 public:
  // Builds a runtime and starts its monitor. Thread-safe.
  static Result<std::shared_ptr<Runtime>> create(const RuntimeOptions& options = {});
  // The process-wide runtime (created on first use). Thread-safe.
  static std::shared_ptr<Runtime> default_runtime();

  ~Runtime();
  // The monitor; a host may add_source() its own availability signals. Thread-safe.
  ResourceMonitor& monitor();
  // Threads this runtime schedules onto. Thread-safe.
  int threads() const;

  detail::RuntimeCore& core() { return *core_; }
  std::shared_ptr<detail::RuntimeCore> core_ptr() const { return core_; }

 private:
  explicit Runtime(std::shared_ptr<detail::RuntimeCore> core);
  std::shared_ptr<detail::RuntimeCore> core_;
};

}  // namespace braid
