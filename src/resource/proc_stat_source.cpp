#include "resource/proc_stat_source.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <ctime>

#include "resource/text_scan.h"

namespace braid::detail {
namespace {

constexpr int kMaxCpuId = 1 << 16;

int64_t default_own_cpu_ns() {
  timespec ts{};
  if (::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t default_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Parses the numbers after "cpu"/"cpuN" into `t`.
Status parse_cpu_columns(std::string_view rest, std::string_view line, CpuTimes& t) {
  uint64_t* columns[] = {&t.user, &t.nice, &t.system, &t.idle, &t.iowait,
                         &t.irq, &t.softirq, &t.steal, &t.guest, &t.guest_nice};
  size_t n = 0;
  for (std::string_view tok = next_token(rest); !tok.empty(); tok = next_token(rest)) {
    auto v = parse_uint64(tok);
    if (!v) return invalid_argument("/proc/stat: bad number '" + std::string(tok) + "' in '" + std::string(line) + "'");
    if (n < std::size(columns)) *columns[n] = *v;
    ++n;  // newer kernels may append columns: ignored
  }
  if (n < 4) return invalid_argument("/proc/stat: truncated cpu line '" + std::string(line) + "'");
  for (size_t i = n; i < std::size(columns); ++i) *columns[i] = 0;  // older kernels
  return Status::ok_status();
}

}  // namespace

Status parse_proc_stat(std::string_view text, ProcStat& out) {
  out.cpus.clear();
  out.all = CpuTimes{};
  out.procs_running = -1;
  out.procs_blocked = -1;
  bool have_all = false;
  std::string_view line;
  while (next_line(text, line)) {
    std::string_view rest = line;
    const std::string_view key = next_token(rest);
    if (key.size() >= 3 && key.substr(0, 3) == "cpu") {
      CpuTimes t;
      if (key.size() == 3) {
        if (have_all) return invalid_argument("/proc/stat: duplicate aggregate cpu line");
        have_all = true;
      } else {
        auto id = parse_int64(key.substr(3));
        if (!id || *id < 0 || *id >= kMaxCpuId)
          return invalid_argument("/proc/stat: bad cpu name '" + std::string(key) + "'");
        t.cpu = static_cast<int>(*id);
      }
      BRAID_RETURN_IF_ERROR(parse_cpu_columns(rest, line, t));
      if (t.cpu < 0) {
        out.all = t;
      } else {
        out.cpus.push_back(t);
      }
    } else if (key == "procs_running") {
      out.procs_running = parse_int64(next_token(rest)).value_or(-1);
    } else if (key == "procs_blocked") {
      out.procs_blocked = parse_int64(next_token(rest)).value_or(-1);
    }
  }
  if (out.cpus.empty()) return invalid_argument("/proc/stat: no per-cpu lines");
  std::sort(out.cpus.begin(), out.cpus.end(), [](const CpuTimes& a, const CpuTimes& b) { return a.cpu < b.cpu; });
  for (size_t i = 1; i < out.cpus.size(); ++i) {
    if (out.cpus[i].cpu == out.cpus[i - 1].cpu)
      return invalid_argument("/proc/stat: duplicate line for cpu" + std::to_string(out.cpus[i].cpu));
  }
  return Status::ok_status();
}

ProcStatSource::ProcStatSource(ProcStatSourceOptions options)
    : options_(std::move(options)), file_(rooted_path(options_.root, "/proc/stat")) {
  options_.window_intervals = std::max(1, options_.window_intervals);
  if (options_.user_hz <= 0) {
    const long hz = ::sysconf(_SC_CLK_TCK);
    options_.user_hz = hz > 0 ? static_cast<double>(hz) : 100.0;
  }
  if (!options_.own_cpu_ns) options_.own_cpu_ns = default_own_cpu_ns;
  if (!options_.now_ns) options_.now_ns = default_now_ns;
  if (!options_.count_niced) {
    errno = 0;
    const int nice_value = ::getpriority(PRIO_PROCESS, 0);
    options_.count_niced = errno == 0 && nice_value > 0;
  }
  history_.resize(static_cast<size_t>(options_.window_intervals) + 1);
  if (options_.run_queue) own_runnable_.emplace(options_.root);
}

Status ProcStatSource::sample(ResourceVector& inout) {
  BRAID_ASSIGN_OR_RETURN(std::string_view text, file_.read());
  BRAID_RETURN_IF_ERROR(parse_proc_stat(text, parsed_));

  const size_t cap = history_.size();
  const size_t cur_index = history_next_;
  Snapshot& cur = history_[cur_index];
  cur.t_ns = options_.now_ns();
  cur.own_ns = options_.own_cpu_ns();
  cur.cpus = parsed_.cpus;  // reuses capacity after the first samples
  history_next_ = (history_next_ + 1) % cap;
  history_size_ = std::min(history_size_ + 1, cap);

  const int present = static_cast<int>(cur.cpus.size());
  if (std::isnan(inout.cores_total)) inout.cores_total = present;
  if (inout.allowed_core_count() == 0) {
    for (const CpuTimes& c : cur.cpus) inout.set_core_allowed(c.cpu, true);
  }
  // The run queue at this instant: every runnable thread minus ours (the sampler is one
  // of them, running). Only where every present CPU is ours: procs_running counts all.
  if (own_runnable_ && parsed_.procs_running >= 0 && inout.allowed_core_count() == present) {
    if (Result<int> own = own_runnable_->count(); own.ok()) {
      inout.others_runnable = std::clamp(static_cast<double>(parsed_.procs_running - *own), 0.0,
                                         static_cast<double>(present));
    } else {
      own_runnable_.reset();  // no /proc/self/task here: the busy-time rates alone
    }
  }
  if (history_size_ < 2) return Status::ok_status();  // baseline only

  const size_t back = std::min<size_t>(static_cast<size_t>(options_.window_intervals), history_size_ - 1);
  const Snapshot& old = history_[(cur_index + cap - back) % cap];
  const double elapsed_s = static_cast<double>(cur.t_ns - old.t_ns) * 1e-9;
  if (!(elapsed_s > 0)) return internal_error("proc_stat: clock did not advance between samples");
  const double tick_s = 1.0 / options_.user_hz;

  busy_.assign(cur.cpus.size(), std::nan(""));
  steal_.assign(cur.cpus.size(), 0.0);
  double busy_allowed = 0;
  for (size_t j = 0; j < cur.cpus.size(); ++j) {
    const CpuTimes& c = cur.cpus[j];
    const CpuTimes* o = nullptr;
    if (j < old.cpus.size() && old.cpus[j].cpu == c.cpu) {
      o = &old.cpus[j];
    } else {
      auto it = std::lower_bound(old.cpus.begin(), old.cpus.end(), c.cpu,
                                 [](const CpuTimes& a, int id) { return a.cpu < id; });
      if (it != old.cpus.end() && it->cpu == c.cpu) o = &*it;
    }
    // A CPU that just came online, or counters that went backwards (hotplug reset, a
    // truncated read): no rate for it this time.
    const bool niced = *options_.count_niced;
    if (o == nullptr || c.busy(niced) < o->busy(niced) || c.steal < o->steal) continue;
    busy_[j] = std::clamp(static_cast<double>(c.busy(niced) - o->busy(niced)) * tick_s / elapsed_s, 0.0, 1.0);
    steal_[j] = std::clamp(static_cast<double>(c.steal - o->steal) * tick_s / elapsed_s, 0.0, 1.0);
    if (inout.is_core_allowed(c.cpu)) busy_allowed += busy_[j];
  }

  // Our own CPU time is exact (the scheduler's ns clock) but not per CPU: attribute it to
  // the allowed CPUs in proportion to their busy time.
  const double own = std::max(0.0, static_cast<double>(cur.own_ns - old.own_ns) * 1e-9 / elapsed_s);
  const double others_share = busy_allowed > 0 ? std::max(0.0, 1.0 - own / busy_allowed) : 0.0;
  double others = 0, steal = 0;
  int max_id = -1;
  for (size_t j = 0; j < cur.cpus.size(); ++j) {
    const int id = cur.cpus[j].cpu;
    max_id = std::max(max_id, id);
    if (std::isnan(busy_[j])) {
      if (id >= 0 && id < kMaxResourceCores) inout.other_busy[static_cast<size_t>(id)] = 0.0f;
      continue;
    }
    const bool allowed = inout.is_core_allowed(id);
    const double other = allowed ? busy_[j] * others_share : busy_[j];
    if (id >= 0 && id < kMaxResourceCores) inout.other_busy[static_cast<size_t>(id)] = static_cast<float>(other);
    if (allowed) others += other;
    steal += steal_[j];
  }
  inout.core_count = std::min(max_id + 1, kMaxResourceCores);
  inout.cores_used_by_braid = own;
  inout.cores_used_by_others = others;
  inout.steal_fraction = present > 0 ? steal / present : 0.0;
  return Status::ok_status();
}

}  // namespace braid::detail
