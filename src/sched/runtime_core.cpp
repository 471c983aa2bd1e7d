#include "sched/runtime_core.h"

#include <cstdlib>
#include <cstring>

#include "braid/runtime.h"
#include "core/log.h"
#include "session/session_impl.h"

namespace braid::detail {

RuntimeCore::RuntimeCore(RuntimeConfig config, std::unique_ptr<ResourceMonitor> monitor)
    : monitor_(std::move(monitor)) {
  int threads = config.threads > 0 ? config.threads : available_cpu_count();
  if (monitor_ && config.start_monitor && !monitor_->running()) {
    Status st = monitor_->start();
    if (!st.ok()) log_warn("resource monitor did not start ({}); assuming all cores free", st.message());
  }
  dispatcher_ = std::make_unique<Dispatcher>(threads, monitor_.get(), config.planner, config.memory_budget);
}

RuntimeCore::~RuntimeCore() {
  if (monitor_) monitor_->stop();
}

std::shared_ptr<RuntimeCore> RuntimeCore::default_runtime() { return Runtime::default_runtime()->core_ptr(); }

}  // namespace braid::detail

namespace braid {

namespace {
detail::SchedulingPolicy to_policy(SchedulingPolicyOption p) {
  switch (p) {
    case SchedulingPolicyOption::kCriticalPath: return detail::SchedulingPolicy::kCriticalPath;
    case SchedulingPolicyOption::kComputeFirst: return detail::SchedulingPolicy::kComputeFirst;
    case SchedulingPolicyOption::kMemoryFirst: return detail::SchedulingPolicy::kMemoryFirst;
    case SchedulingPolicyOption::kHybrid: return detail::SchedulingPolicy::kHybrid;
  }
  return detail::SchedulingPolicy::kHybrid;
}
}  // namespace

Runtime::Runtime(std::shared_ptr<detail::RuntimeCore> core) : core_(std::move(core)) {}
Runtime::~Runtime() = default;

Result<std::shared_ptr<Runtime>> Runtime::create(const RuntimeOptions& options) {
  if (options.threads < 0) return invalid_argument("RuntimeOptions.threads must be >= 0");
  if (options.monitor_period.count() <= 0) return invalid_argument("RuntimeOptions.monitor_period must be positive");
  ResourceMonitorOptions mo;
  mo.period = options.monitor_period;
  mo.default_sources = options.monitor_machine;
  mo.calibrate = options.calibrate;
  mo.root = options.monitor_root;
  detail::RuntimeConfig rc;
  rc.threads = options.threads;
  rc.planner.policy = to_policy(options.policy);
  auto core = std::make_shared<detail::RuntimeCore>(rc, std::make_unique<ResourceMonitor>(mo));
  return std::shared_ptr<Runtime>(new Runtime(std::move(core)));
}

std::shared_ptr<Runtime> Runtime::default_runtime() {
  static std::shared_ptr<Runtime> runtime = [] {
    RuntimeOptions o;
    const char* env = std::getenv("BRAID_MONITOR");
    if (env != nullptr && std::strcmp(env, "0") == 0) o.monitor_machine = false;
    auto r = create(o);
    return r.ok() ? *r : nullptr;
  }();
  return runtime;
}

ResourceMonitor& Runtime::monitor() { return *core_->monitor(); }
int Runtime::threads() const { return core_->threads(); }

}  // namespace braid
