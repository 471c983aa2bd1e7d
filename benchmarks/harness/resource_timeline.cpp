#include "resource_timeline.h"

#include "braid/resource.h"

namespace braid::bench {
ResourceTimeline::ResourceTimeline(const ResourceMonitor* monitor, std::chrono::milliseconds period)
    : monitor_(monitor), period_(period), start_(std::chrono::steady_clock::now()) {
  if (!monitor_) return;
  sample();
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      if (wake_.wait_for(lock, period_, [this] { return stop_; })) break;
      lock.unlock();
      sample();
      lock.lock();
    }
  });
}

ResourceTimeline::~ResourceTimeline() { finish(); }

void ResourceTimeline::set_phase(std::string phase) {
  std::lock_guard lock(mu_);
  phase_ = std::move(phase);
}

void ResourceTimeline::sample() {
  const ResourceVector v = monitor_->current();
  const auto now = std::chrono::steady_clock::now();
  ResourceSample s;
  s.t_ms = std::chrono::duration<double, std::milli>(now - start_).count();
  s.steady_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  s.cores_available = v.cores_available;
  s.cores_limit = v.cores_limit;
  s.cores_used_by_braid = v.cores_used_by_braid;
  s.cores_used_by_others = v.cores_used_by_others;
  s.others_runnable = v.others_runnable;
  s.memory_bytes_available = v.memory_bytes_available;
  s.bandwidth_gbps_available = v.bandwidth_gbps_available;
  std::lock_guard lock(mu_);
  s.phase = phase_;
  samples_.push_back(std::move(s));
}

std::vector<ResourceSample> ResourceTimeline::finish() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  return samples_;
}

}  // namespace braid::bench
