#include "partition/machine_balance.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <tbb/flow_graph.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include "braid/resource.h"
#include "core/log.h"
#include "kernels/parallel.h"
#include "resource/calibration.h"
#include "resource/report_once.h"
#include "session/session_impl.h"

namespace braid::detail {
namespace {

using Clock = std::chrono::steady_clock;

// Bumped whenever the probe changes what it measures, so old caches are re-measured.
constexpr const char* kDispatchCacheVersion = "3";

double elapsed_ns(Clock::time_point a, Clock::time_point b) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

double median(std::vector<double> v) { return quantile(std::move(v), 0.5); }

// Time a thread has spent runnable but waiting for a CPU, in ns: the second field of
// /proc/thread-self/schedstat (tid 0) or /proc/self/task/<tid>/schedstat; -1 when the
// kernel does not provide it.
double runqueue_wait_ns(pid_t tid = 0) {
  char path[64];
  if (tid == 0) std::snprintf(path, sizeof(path), "/proc/thread-self/schedstat");
  else std::snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", static_cast<int>(tid));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[128];
  const ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  unsigned long long run = 0, wait = 0;
  if (std::sscanf(buf, "%llu %llu", &run, &wait) != 2) return -1;
  return static_cast<double>(wait);
}

// Parses a positive double; false when `text` is not one.
bool parse_positive(const std::string& text, double& out) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !(v > 0)) return false;
  while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r') ++end;
  if (*end != '\0') return false;
  out = v;
  return true;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

// The cached overhead when the cache file is for this machine, else 0.
double read_dispatch_cache(const std::string& path, const std::string& machine) {
  std::ifstream in(path);
  if (!in) return 0;
  std::string line, file_machine, version;
  double overhead = 0;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos || line[0] == '#') continue;
    const std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    if (key == "machine") file_machine = value;
    if (key == "dispatch_overhead_ns") parse_positive(value, overhead);
    if (key == "version") version = value;
  }
  return file_machine == machine && version == kDispatchCacheVersion ? overhead : 0;
}

void write_dispatch_cache(const std::string& path, const std::string& machine, const DispatchProbe& p) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp" + std::to_string(static_cast<long>(::getpid()));
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return;
    out << "# Braid dispatch overhead (partition/machine_balance.cpp); delete to re-measure\n"
        << "version=" << kDispatchCacheVersion << "\n"
        << "machine=" << machine << "\n"
        << "dispatch_overhead_ns=" << p.overhead_ns() << "\n"
        << "spawn_wait_ns=" << p.spawn_wait_ns << "\n"
        << "fork_join_ns=" << p.fork_join_ns << "\n"
        << "flow_graph_ns=" << p.flow_graph_ns << "\n"
        << "cross_thread_ns=" << p.cross_thread_ns << "\n"
        << "cold_cross_thread_ns=" << p.cold_cross_thread_ns << "\n"
        << "clean_round_trips=" << p.clean_round_trips << "\n"
        << "contended_round_trips=" << p.contended_round_trips << "\n"
        << "threads=" << p.threads << "\n";
    if (!out) return;
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::filesystem::remove(tmp, ec);
}

}  // namespace

MachineBalance nominal_machine_balance() {
  MachineBalance m;
  m.gflops_per_core = 288;
  m.cores = 2;
  m.gbps = 49;
  m.gbps_one_core = 41.5;
  m.dispatch_overhead_ns = 1300;  // clean cross-thread round trips measured here: 1.07-1.51 us
  m.source = "nominal";
  return m;
}

Result<MachineBalance> parse_machine_balance(std::string_view text, int cores) {
  const std::string s(text);
  const size_t comma = s.find(',');
  double gflops = 0, gbps = 0;
  if (comma == std::string::npos || !parse_positive(trim(s.substr(0, comma)), gflops) ||
      !parse_positive(trim(s.substr(comma + 1)), gbps))
    return invalid_argument("machine balance '" + s + "': expected \"<peak GFLOP/s>,<peak GB/s>\", both > 0");
  MachineBalance m;
  m.cores = std::max(cores, 1);
  m.gflops_per_core = gflops / m.cores;
  m.gbps = gbps;
  m.gbps_one_core = gbps;
  m.source = "env";
  return m;
}

double DispatchProbe::overhead_ns() const noexcept {
  return std::max({spawn_wait_ns, fork_join_ns, flow_graph_ns, cross_thread_ns});
}

DispatchProbe run_dispatch_probe(int threads) {
  DispatchProbe p;
  p.threads = std::max(threads > 0 ? threads : available_cpu_count(), 2);
  tbb::task_arena arena(p.threads);
  constexpr int kReps = 9, kIters = 200, kChain = 64;
  arena.execute([&] {
    std::vector<double> spawn, fork, flow;
    tbb::task_group tg;
    for (int r = 0; r < kReps; ++r) {
      auto t0 = Clock::now();
      for (int i = 0; i < kIters; ++i) {
        tg.run([] {});
        tg.wait();
      }
      auto t1 = Clock::now();
      spawn.push_back(elapsed_ns(t0, t1) / kIters);
      // Two tasks per join: with a second thread in the arena, one of them is usually
      // stolen, so this pays the cross-thread hand-off a parallel subgraph pays.
      t0 = Clock::now();
      for (int i = 0; i < kIters; ++i) {
        tg.run([] {});
        tg.run([] {});
        tg.wait();
      }
      t1 = Clock::now();
      fork.push_back(elapsed_ns(t0, t1) / (2.0 * kIters));
    }
    tbb::flow::graph g;
    tbb::flow::broadcast_node<tbb::flow::continue_msg> start(g);
    std::vector<std::unique_ptr<tbb::flow::continue_node<tbb::flow::continue_msg>>> chain;
    chain.reserve(kChain);
    for (int i = 0; i < kChain; ++i) {
      chain.push_back(std::make_unique<tbb::flow::continue_node<tbb::flow::continue_msg>>(
          g, [](const tbb::flow::continue_msg&) { return tbb::flow::continue_msg(); }));
      if (i == 0) tbb::flow::make_edge(start, *chain[0]);
      else tbb::flow::make_edge(*chain[i - 1], *chain[i]);
    }
    for (int r = 0; r < kReps; ++r) {
      const auto t0 = Clock::now();
      for (int i = 0; i < 4; ++i) {
        start.try_put(tbb::flow::continue_msg());
        g.wait_for_all();
      }
      const auto t1 = Clock::now();
      flow.push_back(elapsed_ns(t0, t1) / (4.0 * kChain));
    }
    p.spawn_wait_ns = median(spawn);
    p.fork_join_ns = median(fork);
    p.flow_graph_ns = median(flow);

    // Cross-thread round trip: this thread spins (it does not take its own task), so
    // another thread must steal the task and its completion must travel back. A round
    // trip counts only when neither thread waited on a run queue meanwhile (schedstat):
    // on a shared machine most of them otherwise measure another process's time slice
    // (up to a 4 ms tick), which the ResourceMonitor reports and the scheduler handles.
    std::vector<double> warm, cold;
    int contended = 0;
    pid_t worker = 0;  // the thread that ran the previous round trip's task
    auto round_trip = [&](std::vector<double>& out) {
      std::atomic<bool> done{false};
      pid_t ran_on = 0;
      double worker_wait1 = -1;
      // Run-queue waits of both threads just before t0; the task reads the worker's again.
      const double worker_wait0 = worker != 0 ? runqueue_wait_ns(worker) : -1;
      const double main_wait0 = runqueue_wait_ns();
      const auto t0 = Clock::now();
      // release/acquire: the spinner sees the task ran; tg.wait() orders the rest.
      tg.run([&done, &ran_on, &worker_wait1] {
        done.store(true, std::memory_order_release);
        ran_on = static_cast<pid_t>(::syscall(SYS_gettid));
        worker_wait1 = runqueue_wait_ns();
      });
      const auto limit = t0 + std::chrono::milliseconds(50);  // no thread came: give up
      while (!done.load(std::memory_order_acquire) && Clock::now() < limit) {
        __builtin_ia32_pause();
      }
      const auto t1 = Clock::now();
      const double main_wait1 = runqueue_wait_ns();
      tg.wait();
      const double rt = elapsed_ns(t0, t1);
      const bool measurable = worker_wait0 >= 0 && worker_wait1 >= 0 && main_wait0 >= 0 && ran_on == worker;
      const double waited = (main_wait1 - main_wait0) + (worker_wait1 - worker_wait0);
      if (done.load(std::memory_order_acquire) && measurable && ran_on != ::getpid() && waited <= 0.05 * rt) {
        out.push_back(rt);
      } else {
        ++contended;
      }
      worker = ran_on;
    };
    // Until 40 clean ones, at most 400 tries or 0.5 s (a busy machine makes each try a
    // scheduler tick or more).
    const auto stop = Clock::now() + std::chrono::milliseconds(500);
    for (int r = 0; r < 400 && warm.size() < 40 && Clock::now() < stop; ++r) round_trip(warm);
    for (int r = 0; r < 2 * kReps; ++r) {
      const auto until = Clock::now() + std::chrono::milliseconds(1);
      while (Clock::now() < until) {
      }
      round_trip(cold);
    }
    p.clean_round_trips = static_cast<int>(warm.size() + cold.size());
    p.contended_round_trips = contended;
    p.contended = warm.size() < 5;
    p.cross_thread_ns = p.contended ? 0 : median(warm);
    p.cold_cross_thread_ns = median(cold);
  });
  return p;
}

std::string dispatch_cache_path() {
  const std::string calibration = default_calibration_path();
  if (calibration.empty()) return {};
  return (std::filesystem::path(calibration).parent_path() / "dispatch.txt").string();
}

double measure_dispatch_overhead_ns() {
  static const double overhead = [] {
    if (const char* env = std::getenv("BRAID_DISPATCH_OVERHEAD_NS"); env != nullptr && env[0] != '\0') {
      double v = 0;
      if (parse_positive(env, v)) return v;
      log_warn("BRAID_DISPATCH_OVERHEAD_NS='{}' is not a positive number; measuring instead", env);
    }
    const std::string path = dispatch_cache_path();
    const std::string machine = machine_key();
    if (!path.empty()) {
      if (double cached = read_dispatch_cache(path, machine); cached > 0) return cached;
    }
    const DispatchProbe p = run_dispatch_probe();
    if (p.contended)
      log_info("dispatch probe: the machine was busy ({} of {} cross-thread round trips waited for a CPU); "
               "charging the same-thread hand-off ({} ns) this time, not caching",
               p.contended_round_trips, p.contended_round_trips + p.clean_round_trips, p.overhead_ns());
    else if (!path.empty())
      write_dispatch_cache(path, machine, p);
    return p.overhead_ns() > 0 ? p.overhead_ns() : nominal_machine_balance().dispatch_overhead_ns;
  }();
  return overhead;
}

const MachineBalance& machine_balance() {
  static const MachineBalance balance = [] {
    const int cores = available_cpu_count();
    MachineBalance m = nominal_machine_balance();
    if (const char* env = std::getenv("BRAID_MACHINE_BALANCE"); env != nullptr && env[0] != '\0') {
      Result<MachineBalance> parsed = parse_machine_balance(env, cores);
      if (parsed.ok()) m = *parsed;
      else log_warn("BRAID_MACHINE_BALANCE: {}; using the calibration", parsed.status().message());
    }
    if (m.source != "env") {
      ReportOnce reports;
      Result<ResourceCalibration> cal = load_or_calibrate(ResourceMonitorOptions{}, reports);
      if (cal.ok() && cal->gflops_per_core > 0 && cal->bandwidth_gbps > 0) {
        m.gflops_per_core = cal->gflops_per_core;
        m.cores = cores;
        m.gbps = cal->bandwidth_gbps;
        m.gbps_one_core = cal->bandwidth_gbps_one_core > 0 ? cal->bandwidth_gbps_one_core : cal->bandwidth_gbps;
        m.source = "calibration";
      } else {
        log_warn("machine balance: no calibration ({}); using nominal peaks",
                 cal.ok() ? std::string("zero peaks") : cal.status().message());
      }
    }
    m.dispatch_overhead_ns = measure_dispatch_overhead_ns();
    set_core_gflops(m.gflops_per_core);  // the kernels' grains follow this core's speed
    return m;
  }();
  return balance;
}

}  // namespace braid::detail
