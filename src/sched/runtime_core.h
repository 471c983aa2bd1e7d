// RuntimeCore: what every session of one Runtime shares — the ResourceMonitor, the
// Dispatcher (scheduler + arena). A process-wide default exists for sessions created
// without a Runtime.
#pragma once

#include <memory>

#include "braid/resource.h"
#include "sched/dispatcher.h"

namespace braid::detail {

struct RuntimeConfig {
  int threads = 0;  // 0: every core in the affinity mask
  bool start_monitor = true;
  PlannerConfig planner;
  double memory_budget = 0;
};

class RuntimeCore {
 public:
  // `monitor` may be null (no live availability: all threads assumed free).
  RuntimeCore(RuntimeConfig config, std::unique_ptr<ResourceMonitor> monitor);
  ~RuntimeCore();

  // The process-wide runtime (monitor on unless env BRAID_MONITOR=0). Thread-safe.
  static std::shared_ptr<RuntimeCore> default_runtime();

  Dispatcher& dispatcher() { return *dispatcher_; }
  ResourceMonitor* monitor() { return monitor_.get(); }
  int threads() const { return dispatcher_->max_threads(); }

 private:
  std::unique_ptr<ResourceMonitor> monitor_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

}  // namespace braid::detail
