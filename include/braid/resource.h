// ResourceMonitor and ResourceVector: Braid's live view of the CPU, memory bandwidth and
// memory that are free for it *right now*. A sampler thread reads /proc, cgroup v1/v2 and
// PSI (or sources a host injects) every period and publishes an immutable snapshot that
// any thread copies without blocking.
//
//   braid::ResourceMonitor monitor;                    // default sources of this machine
//   if (braid::Status s = monitor.start(); !s.ok()) { /* degrade: no monitor */ }
//   braid::ResourceVector v = monitor.current();        // wait-free copy, any thread
//   int threads = static_cast<int>(v.cores_available + 0.5);
#pragma once

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "braid/status.h"

namespace braid {

// The per-core arrays of a ResourceVector hold this many CPUs; CPUs with higher ids are
// folded into the totals but not listed one by one.
inline constexpr int kMaxResourceCores = 256;

// One bit per kind of source, OR-ed into ResourceVector::live_sources when that source
// produced data in the sample.
enum class ResourceSourceKind : uint32_t {
  kNone = 0,
  kProcStat = 1u << 0,              // /proc/stat per-CPU busy time, steal
  kAffinity = 1u << 1,              // online CPUs and the process affinity mask
  kCpuQuota = 1u << 2,              // cgroup v2 cpu.max or v1 cpu.cfs_quota_us
  kMemInfo = 1u << 3,               // /proc/meminfo MemAvailable
  kCgroupMemory = 1u << 4,          // cgroup v2 memory.max/current or v1 limit/usage
  kPsiCpu = 1u << 5,                // /proc/pressure/cpu
  kPsiMemory = 1u << 6,             // /proc/pressure/memory
  kComputeCalibration = 1u << 7,    // per-core peak GFLOP/s from the FMA probe
  kBandwidthCalibration = 1u << 8,  // peak GB/s from the STREAM-like probe
  kKernelFeedback = 1u << 9,        // Braid's kernels' achieved vs predicted bandwidth
  kFake = 1u << 30,                 // FakeResourceSource (tests only)
  kHost = 1u << 31,                 // a source the embedding host added
};

// Short stable name of one kind ("proc_stat"). Thread-safe.
const char* resource_source_kind_name(ResourceSourceKind kind) noexcept;

// Calibrated peaks of this machine; zero means unknown.
struct ResourceCalibration {
  double gflops_per_core = 0;          // f32 FMA peak of one core (GFLOP/s)
  double bandwidth_gbps = 0;           // STREAM triad with all allowed cores (GB/s)
  double bandwidth_gbps_one_core = 0;  // STREAM triad with one core (GB/s)
  std::string isa;                     // ISA of the FMA probe: "avx512", "avx2", "scalar"
};

// One immutable snapshot of what is available to Braid. Trivially copyable so that it can
// be published through a seqlock. Unknown values are NaN (doubles) or -1 (byte counts).
struct ResourceVector {
  static constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

  int64_t timestamp_ns = 0;   // std::chrono::steady_clock, when the sample was taken
  uint64_t sample_index = 0;  // 1 for the first published sample, then +1 per sample
  uint32_t live_sources = 0;  // OR of ResourceSourceKind bits that produced data

  // ---- CPU (all in cores; 1.0 = one CPU fully)
  double cores_total = kUnknown;      // online CPUs of the machine
  double cores_limit = kUnknown;      // min(CPUs in our affinity mask, cgroup CPU quota)
  double cpu_quota_cores = kUnknown;  // cgroup quota/period; +inf when unlimited
  double cores_available = kUnknown;  // cores_limit minus other processes' load and steal
  double cores_used_by_braid = kUnknown;   // this process's CPU use
  double cores_used_by_others = kUnknown;  // other processes (and steal) on our CPUs
  double steal_fraction = kUnknown;        // share of all CPU time stolen by the hypervisor
  // Other processes' runnable threads at the sample instant (/proc/stat procs_running
  // minus ours in state R), capped at our allowed CPUs: no tick quantisation and no rate
  // window, so a competitor that starts or stops shows in the next sample. Unknown where
  // the process's threads cannot be listed or an affinity mask hides some CPUs.
  double others_runnable = kUnknown;
  int32_t core_count = 0;  // valid entries of the per-core arrays (max CPU id + 1)
  // Per CPU id: fraction [0, 1] of the CPU busy with other processes or stolen.
  std::array<float, kMaxResourceCores> other_busy{};
  // Per CPU id: bit set when Braid may run there (affinity mask and online CPUs).
  std::array<uint64_t, kMaxResourceCores / 64> allowed_cores{};

  // ---- compute and memory bandwidth
  double compute_gflops_per_core = kUnknown;   // calibrated f32 peak of one core
  double compute_gflops_available = kUnknown;  // per-core peak x cores_available
  double bandwidth_gbps_peak = kUnknown;       // calibrated triad peak, all cores
  double bandwidth_gbps_available = kUnknown;  // peak x share not used by others

  // ---- memory capacity (bytes)
  int64_t memory_bytes_total = -1;        // MemTotal
  int64_t memory_bytes_available = -1;    // min(system, cgroup) available
  int64_t memory_system_available = -1;   // /proc/meminfo MemAvailable
  int64_t memory_cgroup_limit = -1;       // tightest cgroup limit; -1 when none
  int64_t memory_cgroup_usage = -1;       // usage of our cgroup (or of the limiting one)
  int64_t memory_cgroup_available = -1;   // limit - usage + reclaimable; -1 when no limit

  // ---- pressure stall information, avg10 in percent (0..100); NaN when absent
  double cpu_pressure_some = kUnknown;
  double cpu_pressure_full = kUnknown;
  double memory_pressure_some = kUnknown;
  double memory_pressure_full = kUnknown;

  // True when `kind` produced data in this sample. Thread-safe.
  bool is_live(ResourceSourceKind kind) const noexcept {
    return (live_sources & static_cast<uint32_t>(kind)) != 0;
  }
  // Marks `kind` live. Not thread-safe.
  void set_live(ResourceSourceKind kind) noexcept { live_sources |= static_cast<uint32_t>(kind); }
  // True when CPU `cpu` is in the allowed mask. Thread-safe.
  bool is_core_allowed(int cpu) const noexcept {
    return cpu >= 0 && cpu < kMaxResourceCores && ((allowed_cores[cpu / 64] >> (cpu % 64)) & 1u);
  }
  // Sets or clears CPU `cpu` in the allowed mask (ids >= kMaxResourceCores are ignored).
  // Not thread-safe.
  void set_core_allowed(int cpu, bool allowed) noexcept {
    if (cpu < 0 || cpu >= kMaxResourceCores) return;
    const uint64_t bit = uint64_t{1} << (cpu % 64);
    allowed_cores[cpu / 64] = allowed ? (allowed_cores[cpu / 64] | bit) : (allowed_cores[cpu / 64] & ~bit);
  }
  // Number of CPUs in the allowed mask. Thread-safe.
  int allowed_core_count() const noexcept;
};

// The interface a measurement source implements; the host may add its own (an
// accelerator, a container agent). sample() fills the fields it measures into `inout`,
// leaves the others alone and returns a non-ok Status when it has nothing this time; the
// monitor then logs the failure once and keeps sampling. sample() must not throw.
class ResourceSource {
 public:
  virtual ~ResourceSource() = default;
  // Measures into `inout`. Called on the sampler thread only. Not thread-safe.
  virtual Status sample(ResourceVector& inout) = 0;
  // Short name for logs ("proc_stat"). Thread-safe.
  virtual const char* name() const = 0;
  // The bit the monitor sets in live_sources when sample() succeeds (built-in sources
  // also set finer bits themselves). Thread-safe.
  virtual ResourceSourceKind kind() const { return ResourceSourceKind::kHost; }
};

// The smoothing filter applied to the noisy CPU channels (see docs/resource-monitor.md).
// Its input is the load over the last two sample intervals, so a one-tick blip (10 ms of
// another process) reads 0.5 core at most and a process that keeps running reads 1.0
// within two periods.
struct ResourceFilterOptions {
  // EWMA time constant for changes within the step threshold, in sample periods.
  double time_constant_periods = 4.0;
  // A change larger than this (in cores; scaled by sqrt(cores / 2) above 2 cores for the
  // total) is a step candidate: above a one-tick blip (0.5), well below one core.
  double step_threshold_cores = 0.6;
  // The estimate jumps when this many consecutive samples lie on the same side, the
  // last beyond the threshold and the ones before beyond confirm_fraction x threshold.
  int confirm_samples = 2;
  double confirm_fraction = 0.5;
  // The run-queue signal (ResourceVector::others_runnable): once this many consecutive
  // samples count the same number of other runnable threads, that number is the load of
  // other processes, whatever the busy-time rates (which lag a step by up to two
  // intervals) say. 0 turns it off.
  int run_queue_confirm_samples = 2;
};

struct ResourceMonitorOptions {
  std::chrono::nanoseconds period = std::chrono::milliseconds(10);
  // Add the sources of this machine (/proc/stat, affinity + cgroup CPU quota, memory,
  // PSI) on construction. Tests turn this off and add a FakeResourceSource.
  bool default_sources = true;
  // Prefix for every /proc and /sys path the default sources read ("" = this machine).
  std::string root;
  // Load (or measure once and cache) the peak GFLOP/s and GB/s in start(). When false,
  // compute and bandwidth stay unknown unless `calibration` is given.
  bool calibrate = true;
  // Explicit peaks; when gflops_per_core and bandwidth_gbps are > 0 no probe runs.
  ResourceCalibration calibration;
  // Calibration cache file; "" = $BRAID_CALIBRATION if set, else
  // $XDG_CACHE_HOME/braid/calibration.txt or ~/.cache/braid/calibration.txt.
  std::string calibration_file;
  ResourceFilterOptions filter;
};

// Samples the machine on its own thread and publishes a ResourceVector every period.
// Readers never block and never see a half-written vector. Nothing throws out of it:
// a missing or unreadable source is logged once (braid/log.h) and marked absent.
class ResourceMonitor {
 public:
  using Options = ResourceMonitorOptions;

  // Builds the monitor (and its default sources when asked); starts no thread.
  // Not thread-safe.
  explicit ResourceMonitor(Options options = {});
  // Stops the sampler thread. Not thread-safe.
  ~ResourceMonitor();
  ResourceMonitor(const ResourceMonitor&) = delete;
  ResourceMonitor& operator=(const ResourceMonitor&) = delete;

  // Adds a source; it is sampled after the ones added before it, so it can refine their
  // fields. May be called while running. Thread-safe.
  Status add_source(std::unique_ptr<ResourceSource> source);

  // Loads or runs the calibration, publishes a first sample synchronously (current() is
  // meaningful as soon as this returns) and starts the sampler thread. Fails only when
  // already running or the period is not positive. Thread-safe.
  Status start();
  // Stops and joins the sampler thread; current() keeps returning the last vector.
  // Thread-safe.
  void stop();
  // True between start() and stop(). Thread-safe.
  bool running() const noexcept;

  // A copy of the latest published vector (a default vector before the first sample).
  // Wait-free in practice: never takes a lock, retries only if the writer overtakes the
  // reader twice during one copy. Thread-safe.
  ResourceVector current() const noexcept;

  // Takes one sample on the calling thread, publishes and returns it. Used by tests to
  // step a fake timeline deterministically and by tools; must not race with the sampler
  // thread, so it fails when running. Thread-safe.
  Result<ResourceVector> sample_now();

  // Feedback from Braid's kernels: a kernel moved `bytes` in `seconds` and was predicted
  // to take `predicted_seconds` on an idle machine. Their ratio estimates the share of
  // bandwidth still available. Lock-free. Thread-safe.
  void report_memory_throughput(double bytes, double seconds, double predicted_seconds) noexcept;

  // The calibration in use (zeros before start() or when disabled). Thread-safe.
  ResourceCalibration calibration() const;
  // Samples published so far. Thread-safe.
  uint64_t samples_taken() const noexcept;
  // CPU time the sampler thread has consumed so far (its own clock). Thread-safe.
  std::chrono::nanoseconds sampler_cpu_time() const noexcept;
  // The options this monitor was built with. Thread-safe.
  const Options& options() const noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace braid
