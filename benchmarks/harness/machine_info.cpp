#include "machine_info.h"

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "braid/resource.h"
#include "braid/version.h"

namespace braid::bench {

MachineInfo read_machine_info(const ResourceMonitor* monitor) {
  MachineInfo m;
  m.logical_cores = static_cast<int>(std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  m.allowed_cores = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : m.logical_cores;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, flags;
  while (std::getline(cpuinfo, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(name.find_last_not_of(" \t") + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (name == "model name" && m.cpu_model.empty()) m.cpu_model = value;
    if (name == "flags" && flags.empty()) flags = value;
  }
  // The extensions Braid's kernels and the peer's choose between.
  static const char* const kIsa[] = {"sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl",
                                     "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8"};
  std::istringstream words(flags);
  std::vector<std::string> have;
  for (std::string w; words >> w;) have.push_back(w);
  for (const char* isa : kIsa)
    if (std::find(have.begin(), have.end(), isa) != have.end()) m.isa.push_back(isa);
  std::ifstream meminfo("/proc/meminfo");
  while (std::getline(meminfo, line)) {
    long long kib = 0;
    if (std::sscanf(line.c_str(), "MemTotal: %lld kB", &kib) == 1) m.memory_total_bytes = kib * 1024;
  }
  if (monitor) {
    const ResourceCalibration c = monitor->calibration();
    m.calibration_isa = c.isa;
    m.gflops_per_core = c.gflops_per_core;
    m.bandwidth_gbps = c.bandwidth_gbps;
  }
  return m;
}

VersionInfo read_version_info() {
  VersionInfo v;
  v.braid = version();
#if defined(__clang__)
  v.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  v.compiler = "gcc " __VERSION__;
#else
  v.compiler = "unknown";
#endif
#ifdef NDEBUG
  v.build_type = "release";
#else
  v.build_type = "debug";
#endif
  return v;
}

int64_t peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    long long kib = 0;
    if (std::sscanf(line.c_str(), "VmHWM: %lld kB", &kib) == 1) return kib;
  }
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

bool reset_peak_rss() {
  // "5" resets the peak RSS to the current RSS (Linux 4.0+; needs write access to it).
  std::ofstream f("/proc/self/clear_refs");
  if (!f) return false;
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

}  // namespace braid::bench
