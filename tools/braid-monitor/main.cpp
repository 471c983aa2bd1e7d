// braid-monitor: a `top` for Braid's view of the machine. Prints the ResourceVector that
// the ResourceMonitor publishes, once per period.
//
//   braid-monitor [--period-ms N] [--count N] [--root DIR] [--no-calibrate]
//                 [--calibration-file F] [--quiet]
//
// At exit it prints the sampler thread's CPU time as a share of one core (the overhead
// figure quoted in docs/resource-monitor.md); --quiet prints only that.
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "braid/resource.h"

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop.store(true); }

void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--period-ms N] [--count N] [--root DIR] [--no-calibrate]\n"
               "          [--calibration-file F] [--quiet]\n"
               "  --period-ms N   sampling period (default 10)\n"
               "  --count N       stop after N periods (default: until Ctrl-C)\n"
               "  --root DIR      read /proc and /sys below DIR (a captured tree)\n"
               "  --no-calibrate  skip the GFLOP/s and GB/s calibration\n"
               "  --quiet         print only the overhead summary at exit\n",
               argv0);
}

std::string sources(uint32_t live) {
  std::string out;
  for (uint32_t bit = 1; bit != 0; bit <<= 1) {
    if ((live & bit) == 0) continue;
    if (!out.empty()) out += ',';
    out += braid::resource_source_kind_name(static_cast<braid::ResourceSourceKind>(bit));
  }
  return out.empty() ? "-" : out;
}

std::string number(double x, const char* format) {
  if (std::isnan(x)) return "-";
  if (std::isinf(x)) return "max";
  char buf[32];
  std::snprintf(buf, sizeof(buf), format, x);
  return buf;
}

std::string gib(int64_t bytes) { return bytes < 0 ? "-" : number(static_cast<double>(bytes) / (1 << 30), "%.2f"); }

double process_cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

}  // namespace

int main(int argc, char** argv) {
  braid::ResourceMonitor::Options options;
  long count = -1;
  bool quiet = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        usage(argv[0]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--period-ms") {
      const double ms = std::atof(value());
      if (!(ms > 0)) {
        std::fprintf(stderr, "--period-ms must be positive\n");
        return 2;
      }
      options.period = std::chrono::nanoseconds(static_cast<int64_t>(ms * 1e6));
    } else if (arg == "--count") {
      count = std::atol(value());
    } else if (arg == "--root") {
      options.root = value();
    } else if (arg == "--no-calibrate") {
      options.calibrate = false;
    } else if (arg == "--calibration-file") {
      options.calibration_file = value();
    } else if (arg == "--quiet") {
      quiet = true;
    } else if (arg == "-h" || arg == "--help") {
      usage(argv[0]);
      return 0;
    } else {
      usage(argv[0]);
      return 2;
    }
  }
  ::signal(SIGINT, on_signal);
  ::signal(SIGTERM, on_signal);

  braid::ResourceMonitor monitor(options);
  if (braid::Status s = monitor.start(); !s.ok()) {
    std::fprintf(stderr, "braid-monitor: %s\n", s.to_string().c_str());
    return 1;
  }
  const braid::ResourceCalibration cal = monitor.calibration();
  if (!quiet) {
    auto peak = [](double x) { return x > 0 ? number(x, "%.1f") : std::string("-"); };
    std::printf("# calibration: %s GFLOP/s per core (%s), %s GB/s all cores, %s GB/s one core\n",
                peak(cal.gflops_per_core).c_str(), cal.isa.empty() ? "-" : cal.isa.c_str(),
                peak(cal.bandwidth_gbps).c_str(), peak(cal.bandwidth_gbps_one_core).c_str());
    std::printf("%9s %6s %6s %6s %5s %6s %5s %8s %7s %8s %8s %6s %6s  %s\n", "t_s", "avail", "limit", "others", "runq",
                "braid", "steal", "GFLOP/s", "GB/s", "mem_GiB", "cg_GiB", "psiCPU", "psiMEM", "live sources");
  }
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t t0_ns = monitor.current().timestamp_ns;
  uint64_t last = 0;
  long printed = 0;
  auto next = t0;
  while (!g_stop.load() && (count < 0 || printed < count)) {
    next += options.period;
    std::this_thread::sleep_until(next);
    const braid::ResourceVector v = monitor.current();
    if (v.sample_index == last) continue;
    last = v.sample_index;
    ++printed;
    if (quiet) continue;
    std::printf("%9.3f %6s %6s %6s %5s %6s %5s %8s %7s %8s %8s %6s %6s  %s\n", (v.timestamp_ns - t0_ns) * 1e-9,
                number(v.cores_available, "%.2f").c_str(), number(v.cores_limit, "%.2f").c_str(),
                number(v.cores_used_by_others, "%.2f").c_str(), number(v.others_runnable, "%.0f").c_str(),
                number(v.cores_used_by_braid, "%.2f").c_str(),
                number(v.steal_fraction, "%.2f").c_str(), number(v.compute_gflops_available, "%.1f").c_str(),
                number(v.bandwidth_gbps_available, "%.1f").c_str(), gib(v.memory_bytes_available).c_str(),
                gib(v.memory_cgroup_available).c_str(), number(v.cpu_pressure_some, "%.2f").c_str(),
                number(v.memory_pressure_some, "%.2f").c_str(), sources(v.live_sources).c_str());
    std::fflush(stdout);
  }
  monitor.stop();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double sampler = std::chrono::duration<double>(monitor.sampler_cpu_time()).count();
  const double process = process_cpu_seconds() - cpu0;
  std::fprintf(stderr,
               "# %llu samples in %.2f s at %.1f ms: sampler thread %.3f s CPU = %.3f%% of one core "
               "(%.1f us per sample); whole process %.3f%% of one core\n",
               static_cast<unsigned long long>(monitor.samples_taken()), wall,
               std::chrono::duration<double, std::milli>(options.period).count(), sampler, 100.0 * sampler / wall,
               1e6 * sampler / std::max<double>(1.0, static_cast<double>(monitor.samples_taken())),
               100.0 * process / wall);
  return 0;
}
