// ResourceTimeline: samples the runtime's ResourceMonitor on its own thread every
// `period` while braid-bench measures, labelling each sample with the phase (model and
// mode) running then: the resource vector over time in the JSON and HTML reports and the
// counter tracks of the Chrome trace.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace braid {
class ResourceMonitor;
}

namespace braid::bench {

struct ResourceSample {
  double t_ms = 0;                    // since the timeline started
  int64_t steady_ns = 0;              // std::chrono::steady_clock (for the trace)
  std::string phase;                  // "model/mode", or "" between measurements
  double cores_available = 0;         // NaN where unknown (written as null)
  double cores_limit = 0;
  double cores_used_by_braid = 0;
  double cores_used_by_others = 0;
  double others_runnable = 0;         // other processes' runnable threads (NaN: unknown)
  int64_t memory_bytes_available = -1;
  double bandwidth_gbps_available = 0;
};

class ResourceTimeline {
 public:
  // Starts sampling `monitor` (null: records nothing). Not thread-safe.
  ResourceTimeline(const ResourceMonitor* monitor, std::chrono::milliseconds period);
  ~ResourceTimeline();  // stops
  ResourceTimeline(const ResourceTimeline&) = delete;
  ResourceTimeline& operator=(const ResourceTimeline&) = delete;

  // Labels the samples taken from now on. Thread-safe.
  void set_phase(std::string phase);
  // Stops sampling and returns every sample. Thread-safe (once).
  std::vector<ResourceSample> finish();
  std::chrono::milliseconds period() const { return period_; }
  std::chrono::steady_clock::time_point start() const { return start_; }

 private:
  void sample();

  const ResourceMonitor* monitor_;
  const std::chrono::milliseconds period_;
  const std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable wake_;  // wakes the sampler early at finish()
  bool stop_ = false;
  std::string phase_;
  std::vector<ResourceSample> samples_;
  std::thread thread_;
};

}  // namespace braid::bench
