#include "resource/calibration.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "resource/bandwidth_probe.h"
#include "resource/fma_probe.h"
#include "resource/meminfo_source.h"
#include "resource/text_file.h"
#include "resource/text_scan.h"

namespace braid::detail {
namespace {

constexpr int kFormatVersion = 1;

Status mkdir_p(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') {
      const std::string prefix = dir.substr(0, i);
      if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
        return invalid_argument("cannot create directory " + prefix);
    }
  }
  return Status::ok_status();
}

Status write_atomically(const std::string& path, const std::string& content) {
  const size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) BRAID_RETURN_IF_ERROR(mkdir_p(path.substr(0, slash)));
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) return invalid_argument("cannot write " + tmp);
  const bool written = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return invalid_argument("cannot write " + path);
  }
  return Status::ok_status();
}

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Register-only, so the thread's CPU time is exactly the time it computed: timing it
// instead of the wall clock keeps the figure right on a busy machine.
double measure_fma_gflops() {
  const FmaProbe probe = select_fma_probe();
  volatile float sink = 0;
  auto timed = [&](int64_t iterations) {
    const double t0 = thread_cpu_seconds();
    sink = sink + probe.fn(iterations);
    return thread_cpu_seconds() - t0;
  };
  // Grow the iteration count until one run takes >= 20 ms, then keep the best of 3 runs.
  int64_t iterations = 1 << 14;
  while (timed(iterations) < 0.02 && iterations < (int64_t{1} << 40)) iterations *= 2;
  double best = 0;
  for (int run = 0; run < 3; ++run) {
    const double s = timed(iterations);
    if (s > 0) best = std::max(best, probe.flops_per_iteration * static_cast<double>(iterations) / s * 1e-9);
  }
  return best;
}

}  // namespace

Result<CalibrationFile> parse_calibration(std::string_view text) {
  CalibrationFile out;
  while (!text.empty()) {
    const size_t end = text.find_first_of(",\n");
    std::string_view item = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (const size_t hash = item.find('#'); hash != std::string_view::npos) item = item.substr(0, hash);
    item = trim(item);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) return invalid_argument("calibration: expected key=value, got '" + std::string(item) + "'");
    const std::string_view key = trim(item.substr(0, eq));
    const std::string_view value = trim(item.substr(eq + 1));
    auto number = [&](double& slot) -> Status {
      auto v = parse_double(value);
      if (!v || !std::isfinite(*v) || *v < 0)
        return invalid_argument("calibration: bad value for " + std::string(key) + ": '" + std::string(value) + "'");
      slot = *v;
      return Status::ok_status();
    };
    if (key == "gflops_per_core") {
      BRAID_RETURN_IF_ERROR(number(out.values.gflops_per_core));
    } else if (key == "bandwidth_gbps") {
      BRAID_RETURN_IF_ERROR(number(out.values.bandwidth_gbps));
    } else if (key == "bandwidth_gbps_one_core") {
      BRAID_RETURN_IF_ERROR(number(out.values.bandwidth_gbps_one_core));
    } else if (key == "isa") {
      out.values.isa = std::string(value);
    } else if (key == "machine") {
      out.machine = std::string(value);
    } else if (key == "version") {
      auto v = parse_int64(value);
      if (!v || *v != kFormatVersion) return invalid_argument("calibration: unsupported version '" + std::string(value) + "'");
    }
  }
  return out;
}

std::string format_calibration(const CalibrationFile& file) {
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "# Braid calibration cache (delete to re-measure)\nversion=%d\nmachine=%s\nisa=%s\n"
                "gflops_per_core=%.3f\nbandwidth_gbps=%.3f\nbandwidth_gbps_one_core=%.3f\n",
                kFormatVersion, file.machine.c_str(), file.values.isa.c_str(), file.values.gflops_per_core,
                file.values.bandwidth_gbps, file.values.bandwidth_gbps_one_core);
  return buf;
}

std::string machine_key() {
  std::string model = "unknown";
  if (auto cpuinfo = read_whole_file("/proc/cpuinfo"); cpuinfo.ok()) {
    std::string_view text = *cpuinfo, line;
    while (next_line(text, line)) {
      if (line.substr(0, 10) == "model name") {
        const size_t colon = line.find(':');
        if (colon != std::string_view::npos) model = std::string(trim(line.substr(colon + 1)));
        break;
      }
    }
  }
  std::replace(model.begin(), model.end(), ',', ' ');  // the inline format splits on ','
  int64_t mem_gib = 0;
  if (auto meminfo = read_whole_file("/proc/meminfo"); meminfo.ok()) {
    if (auto info = parse_meminfo(*meminfo); info.ok()) mem_gib = (info->total_bytes + (int64_t{1} << 29)) >> 30;
  }
  return model + "|cpus=" + std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)) + "|mem_gib=" + std::to_string(mem_gib);
}

std::string default_calibration_path() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] == '/')
    return std::string(xdg) + "/braid/calibration.txt";
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0')
    return std::string(home) + "/.cache/braid/calibration.txt";
  return "";
}

Result<ResourceCalibration> run_calibration_probes(const BandwidthProbeOptions& bandwidth, bool* contended) {
  ResourceCalibration out;
  out.isa = select_fma_probe().isa;
  out.gflops_per_core = measure_fma_gflops();
  BRAID_ASSIGN_OR_RETURN(BandwidthProbeResult bw, run_bandwidth_probe(bandwidth));
  out.bandwidth_gbps = bw.all_cores_gbps;
  out.bandwidth_gbps_one_core = bw.one_core_gbps;
  if (contended != nullptr) *contended = bw.contended;
  if (!(out.gflops_per_core > 0) || !(out.bandwidth_gbps > 0)) return internal_error("calibration probes measured nothing");
  return out;
}

Result<ResourceCalibration> load_or_calibrate(const ResourceMonitorOptions& options, ReportOnce& reports,
                                              const BandwidthProbeOptions& bandwidth) {
  if (options.calibration.gflops_per_core > 0 && options.calibration.bandwidth_gbps > 0) return options.calibration;

  std::string path = options.calibration_file;
  if (path.empty()) {
    if (const char* env = std::getenv("BRAID_CALIBRATION"); env != nullptr && env[0] != '\0') {
      const std::string value = env;
      if (value.find('=') != std::string::npos) {
        auto inline_values = parse_calibration(value);
        if (inline_values.ok() && inline_values->complete()) return inline_values->values;
        reports.failed("BRAID_CALIBRATION", inline_values.ok()
                                                ? invalid_argument("needs gflops_per_core and bandwidth_gbps > 0")
                                                : inline_values.status());
      } else {
        path = value;
      }
    }
  }
  if (path.empty()) path = default_calibration_path();

  const std::string key = machine_key();
  if (!path.empty()) {
    if (auto text = read_whole_file(path); text.ok()) {
      auto file = parse_calibration(*text);
      if (file.ok() && file->complete() && (file->machine.empty() || file->machine == key)) return file->values;
      if (!file.ok()) reports.failed("calibration file " + path, file.status());
    }
  }

  bool contended = false;
  BRAID_ASSIGN_OR_RETURN(ResourceCalibration measured, run_calibration_probes(bandwidth, &contended));
  if (contended) {
    // Other processes kept preempting the probe: use the estimate now, measure again on
    // the next start instead of caching it for every later one.
    reports.failed("calibration cache", invalid_argument("the machine was busy during the bandwidth probe; the "
                                                         "estimate is used but not cached"));
  } else if (!path.empty()) {
    CalibrationFile file{measured, key};
    if (Status s = write_atomically(path, format_calibration(file)); !s.ok()) reports.failed("calibration cache", s);
  }
  return measured;
}

}  // namespace braid::detail
