#include "sched/runtime_core.h"

#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

#include "session/session_impl.h"

namespace braid::detail {

RuntimeCore::RuntimeCore(RuntimeConfig config, std::unique_ptr<ResourceMonitor> monitor)
    : monitor_(std::move(monitor)) {
  int threads = config.threads > 0 ? config.threads : available_cpu_count();
  if (monitor_ && config.start_monitor && !monitor_->running()) {
    Status st = monitor_->start();
    if (!st.ok()) spdlog::warn("braid: resource monitor did not start ({}); assuming all cores free", st.message());
  }
  dispatcher_ = std::make_unique<Dispatcher>(threads, monitor_.get(), config.planner, config.memory_budget);
}

RuntimeCore::~RuntimeCore() {
  if (monitor_) monitor_->stop();
}

std::shared_ptr<RuntimeCore> RuntimeCore::default_runtime() {
  static std::shared_ptr<RuntimeCore> runtime = [] {
    const char* env = std::getenv("BRAID_MONITOR");
    std::unique_ptr<ResourceMonitor> monitor;
    if (env == nullptr || std::strcmp(env, "0") != 0) monitor = std::make_unique<ResourceMonitor>();
    return std::make_shared<RuntimeCore>(RuntimeConfig{}, std::move(monitor));
  }();
  return runtime;
}

}  // namespace braid::detail
