// ResourceMonitor: the sampler thread, the ordered list of sources and the publication of
// each sample through a SnapshotCell. The sampling state (sources, filters, reports) is
// guarded by one mutex that only the sampler (or sample_now) and add_source take, so
// readers of current() never touch it.
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "braid/resource.h"
#include "core/fault_injection.h"
#include "resource/availability_estimator.h"
#include "resource/calibration.h"
#include "resource/cgroup_memory_source.h"
#include "resource/cpu_quota_source.h"
#include "resource/meminfo_source.h"
#include "resource/proc_stat_source.h"
#include "resource/psi_source.h"
#include "resource/report_once.h"
#include "resource/snapshot_cell.h"

namespace braid {
namespace {

int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t thread_cpu_ns() {
  timespec ts{};
  if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Kernel feedback older than this no longer describes the machine.
constexpr int64_t kFeedbackFreshNs = 1'000'000'000;
// EWMA of the feedback ratio over ~10 samples with reports.
constexpr double kFeedbackAlpha = 0.1;

}  // namespace

class ResourceMonitor::Impl {
 public:
  explicit Impl(Options options) : options_(std::move(options)), estimator_(options_.filter) {
    if (options_.default_sources) add_default_sources();
  }

  void add_default_sources() {
    // Re-read intervals in samples: limits every ~1 s, PSI (a 10 s average the kernel
    // recomputes every 2 s) every ~100 ms, MemAvailable and cgroup usage every ~50 ms.
    // Only /proc/stat, the signal that must follow a step within two periods, is read
    // every sample; this keeps the sampler within 1% of a core (docs/resource-monitor.md).
    const auto period = std::max<int64_t>(options_.period.count(), 1);
    auto every = [period](int64_t ns) { return static_cast<int>(std::clamp<int64_t>(ns / period, 1, 1'000'000)); };
    const int refresh = every(1'000'000'000);
    detail::CpuQuotaSourceOptions quota;
    quota.root = options_.root;
    quota.refresh_every_samples = refresh;
    sources_.push_back(std::make_unique<detail::CpuQuotaSource>(quota));
    detail::ProcStatSourceOptions stat;
    stat.root = options_.root;
    sources_.push_back(std::make_unique<detail::ProcStatSource>(stat));
    sources_.push_back(std::make_unique<detail::MemInfoSource>(options_.root, every(50'000'000)));
    detail::CgroupMemorySourceOptions cgroup_memory;
    cgroup_memory.root = options_.root;
    cgroup_memory.refresh_every_samples = refresh;
    cgroup_memory.usage_every_samples = every(50'000'000);
    sources_.push_back(std::make_unique<detail::CgroupMemorySource>(cgroup_memory));
    sources_.push_back(std::make_unique<detail::PsiSource>(options_.root, detail::PsiResource::kCpu, every(100'000'000)));
    sources_.push_back(
        std::make_unique<detail::PsiSource>(options_.root, detail::PsiResource::kMemory, every(100'000'000)));
  }

  Status add_source(std::unique_ptr<ResourceSource> source) {
    if (!source) return invalid_argument("add_source: null source");
    std::lock_guard<std::mutex> lock(sample_mu_);
    sources_.push_back(std::move(source));
    return Status::ok_status();
  }

  Status start() {
    std::lock_guard<std::mutex> run_lock(run_mu_);
    if (running_.load(std::memory_order_relaxed)) return invalid_argument("resource monitor: already running");
    if (options_.period.count() <= 0) return invalid_argument("resource monitor: period must be positive");
    {
      std::lock_guard<std::mutex> lock(sample_mu_);
      calibrate_locked();
      take_sample_locked();
    }
    {
      std::lock_guard<std::mutex> lock(wait_mu_);
      stop_requested_ = false;
    }
    try {
      thread_ = std::thread([this] { run(); });
    } catch (const std::exception& e) {
      return internal_error(std::string("resource monitor: cannot start the sampler thread: ") + e.what());
    }
    running_.store(true, std::memory_order_relaxed);
    return Status::ok_status();
  }

  void stop() {
    std::lock_guard<std::mutex> run_lock(run_mu_);
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(wait_mu_);
      stop_requested_ = true;
    }
    cv_.notify_all();
    thread_.join();
    running_.store(false, std::memory_order_relaxed);
  }

  Result<ResourceVector> sample_now() {
    std::lock_guard<std::mutex> run_lock(run_mu_);
    if (running_.load(std::memory_order_relaxed))
      return invalid_argument("resource monitor: sample_now() while the sampler thread runs");
    std::lock_guard<std::mutex> lock(sample_mu_);
    calibrate_locked();  // first use
    return take_sample_locked();
  }

  void report_memory_throughput(double bytes, double seconds, double predicted_seconds) noexcept {
    if (!(bytes > 0) || !(seconds > 0) || !(predicted_seconds > 0) || !std::isfinite(seconds + predicted_seconds))
      return;
    // Relaxed: statistical sums drained by the sampler; a report split across two
    // samples only shifts it by one period.
    feedback_seconds_.fetch_add(seconds, std::memory_order_relaxed);
    feedback_predicted_.fetch_add(predicted_seconds, std::memory_order_relaxed);
  }

  ResourceCalibration calibration() const {
    std::lock_guard<std::mutex> lock(calibration_mu_);
    return calibration_;
  }

  const Options options_;
  detail::SnapshotCell<ResourceVector> cell_;
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> samples_{0};
  std::atomic<int64_t> sampler_cpu_ns_{0};

 private:
  void run() {
    ::pthread_setname_np(::pthread_self(), "braid-sampler");
    const int64_t cpu_before = sampler_cpu_ns_.load(std::memory_order_relaxed);
    const int64_t cpu_start = thread_cpu_ns();
    auto next = std::chrono::steady_clock::now() + options_.period;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(wait_mu_);
        if (cv_.wait_until(lock, next, [this] { return stop_requested_; })) break;
      }
      {
        std::lock_guard<std::mutex> lock(sample_mu_);
        take_sample_locked();
      }
      // Relaxed: a statistic read by overhead measurements.
      sampler_cpu_ns_.store(cpu_before + thread_cpu_ns() - cpu_start, std::memory_order_relaxed);
      next += options_.period;
      const auto now = std::chrono::steady_clock::now();
      if (next <= now) next = now + options_.period;  // overran: skip, do not burst
    }
    sampler_cpu_ns_.store(cpu_before + thread_cpu_ns() - cpu_start, std::memory_order_relaxed);
  }

  void calibrate_locked() {
    const bool explicit_values = options_.calibration.gflops_per_core > 0 && options_.calibration.bandwidth_gbps > 0;
    if (have_calibration_ || (!options_.calibrate && !explicit_values)) return;
    Result<ResourceCalibration> result = internal_error("calibration threw");
    try {
      result = detail::load_or_calibrate(options_, reports_);
    } catch (const std::exception& e) {
      result = internal_error(std::string("calibration threw: ") + e.what());
    } catch (...) {
    }
    if (!result.ok()) {
      reports_.failed("calibration", result.status());
      return;
    }
    std::lock_guard<std::mutex> lock(calibration_mu_);
    calibration_ = *result;
    have_calibration_ = true;
  }

  double drain_feedback(int64_t now_ns) {
    // Relaxed: see report_memory_throughput.
    const double seconds = feedback_seconds_.exchange(0.0, std::memory_order_relaxed);
    const double predicted = feedback_predicted_.exchange(0.0, std::memory_order_relaxed);
    if (seconds > 0 && predicted > 0) {
      const double ratio = std::clamp(predicted / seconds, 0.0, 1.0);
      feedback_ratio_ = std::isnan(feedback_ratio_) ? ratio : feedback_ratio_ + kFeedbackAlpha * (ratio - feedback_ratio_);
      feedback_ns_ = now_ns;
    }
    if (std::isnan(feedback_ratio_) || now_ns - feedback_ns_ > kFeedbackFreshNs) return std::nan("");
    return feedback_ratio_;
  }

  ResourceVector take_sample_locked() {
    ResourceVector v;
    v.timestamp_ns = steady_now_ns();
    for (const std::unique_ptr<ResourceSource>& source : sources_) {
      Status status;
      try {
        status = detail::should_fail_source_read() ? internal_error("injected read failure") : source->sample(v);
      } catch (const std::exception& e) {
        status = internal_error(std::string("sample() threw: ") + e.what());
      } catch (...) {
        status = internal_error("sample() threw a non-standard exception");
      }
      if (status.ok()) {
        v.live_sources |= static_cast<uint32_t>(source->kind());
        if (!reports_.all_up()) reports_.recovered(source->name());
      } else {
        reports_.failed(source->name(), status);
      }
    }
    if (have_calibration_) {
      if (std::isnan(v.compute_gflops_per_core) && calibration_.gflops_per_core > 0) {
        v.compute_gflops_per_core = calibration_.gflops_per_core;
        v.set_live(ResourceSourceKind::kComputeCalibration);
      }
      if (std::isnan(v.bandwidth_gbps_peak) && calibration_.bandwidth_gbps > 0) {
        v.bandwidth_gbps_peak = calibration_.bandwidth_gbps;
        v.set_live(ResourceSourceKind::kBandwidthCalibration);
      }
    }
    const double feedback = drain_feedback(v.timestamp_ns);
    if (!std::isnan(feedback)) v.set_live(ResourceSourceKind::kKernelFeedback);
    estimator_.update(v, feedback);
    v.sample_index = samples_.load(std::memory_order_relaxed) + 1;
    cell_.store(v);
    // Release: a reader that sees the count also finds the vector published.
    samples_.store(v.sample_index, std::memory_order_release);
    return v;
  }

  // Sampling state: sources, filters, reports, calibration copy used while sampling.
  std::mutex sample_mu_;
  std::vector<std::unique_ptr<ResourceSource>> sources_;
  detail::ReportOnce reports_;
  detail::AvailabilityEstimator estimator_;
  bool have_calibration_ = false;
  double feedback_ratio_ = std::nan("");
  int64_t feedback_ns_ = 0;

  // Lifecycle: run_mu_ serialises start/stop/sample_now; wait_mu_ + cv_ wake the sampler.
  std::mutex run_mu_;
  std::mutex wait_mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;
  std::thread thread_;

  mutable std::mutex calibration_mu_;
  ResourceCalibration calibration_;

  std::atomic<double> feedback_seconds_{0.0};
  std::atomic<double> feedback_predicted_{0.0};
};

ResourceMonitor::ResourceMonitor(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

ResourceMonitor::~ResourceMonitor() { impl_->stop(); }

Status ResourceMonitor::add_source(std::unique_ptr<ResourceSource> source) {
  return impl_->add_source(std::move(source));
}

Status ResourceMonitor::start() { return impl_->start(); }

void ResourceMonitor::stop() { impl_->stop(); }

bool ResourceMonitor::running() const noexcept { return impl_->running_.load(std::memory_order_relaxed); }

ResourceVector ResourceMonitor::current() const noexcept { return impl_->cell_.load(); }

Result<ResourceVector> ResourceMonitor::sample_now() { return impl_->sample_now(); }

void ResourceMonitor::report_memory_throughput(double bytes, double seconds, double predicted_seconds) noexcept {
  impl_->report_memory_throughput(bytes, seconds, predicted_seconds);
}

ResourceCalibration ResourceMonitor::calibration() const { return impl_->calibration(); }

uint64_t ResourceMonitor::samples_taken() const noexcept {
  return impl_->samples_.load(std::memory_order_acquire);
}

std::chrono::nanoseconds ResourceMonitor::sampler_cpu_time() const noexcept {
  return std::chrono::nanoseconds(impl_->sampler_cpu_ns_.load(std::memory_order_relaxed));
}

const ResourceMonitor::Options& ResourceMonitor::options() const noexcept { return impl_->options_; }

}  // namespace braid
