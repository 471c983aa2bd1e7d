// What braid-bench records about the machine and the build next to every figure: CPU
// model, cores, the ISA extensions that matter to Braid's kernels, memory, the monitor's
// calibrated peaks, and the versions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace braid {
class ResourceMonitor;
}

namespace braid::bench {

struct MachineInfo {
  std::string cpu_model;          // /proc/cpuinfo "model name"
  int logical_cores = 0;          // online CPUs
  int allowed_cores = 0;          // CPUs in this process's affinity mask
  std::vector<std::string> isa;   // e.g. "avx2", "fma", "avx512f", "avx512_bf16" (cpuinfo flags)
  int64_t memory_total_bytes = -1;
  std::string calibration_isa;    // the monitor's FMA probe: "avx512", "avx2", "scalar"
  double gflops_per_core = 0;     // calibrated f32 peak of one core (0: unknown)
  double bandwidth_gbps = 0;      // calibrated STREAM triad, all cores (0: unknown)
};

struct VersionInfo {
  std::string braid;     // braid::version()
  std::string compiler;  // e.g. "gcc 12.2.0"
  std::string build_type;  // "release" (NDEBUG) or "debug"
};

// Reads /proc/cpuinfo and /proc/meminfo; `monitor` (may be null) gives the calibration.
// Not thread-safe.
MachineInfo read_machine_info(const ResourceMonitor* monitor);
VersionInfo read_version_info();

// Peak resident set of this process in KiB (VmHWM) and a reset of it through
// /proc/self/clear_refs, so that each model and mode gets its own peak. reset returns
// false where the kernel does not allow it (then the peak is the process's so far).
int64_t peak_rss_kib();
bool reset_peak_rss();

}  // namespace braid::bench
