#include "scenarios.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

namespace braid::bench {
namespace {

using Clock = std::chrono::steady_clock;

int64_t ns_of(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// True while the measured part should go on: `done` requests of `iterations`, or until
// `end` when iterations is 0.
bool more(const BenchOptions& o, size_t done, Clock::time_point end) {
  return o.iterations > 0 ? done < static_cast<size_t>(o.iterations) : Clock::now() < end;
}

// Counts one finished request for the progress line (relaxed: a display counter).
void count(std::atomic<size_t>* completed) {
  if (completed) completed->fetch_add(1, std::memory_order_relaxed);
}

Result<ScenarioSamples> closed_loop(const Session& s, const NamedTensors& in, const BenchOptions& o, int clients,
                                    std::atomic<size_t>* completed) {
  ScenarioSamples out;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s));
  std::atomic<size_t> issued{0};
  std::mutex mu;
  Status failure;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&] {
      std::vector<double> mine;
      std::vector<RequestSpan> spans;
      // The trace's request spans; a bursty competitor's split (burst_split.h).
      const bool keep_spans = !o.trace_path.empty() || !o.html_path.empty() ||
                              o.interference.kind == Interference::Kind::kBursty;
      const int tid = static_cast<int>(syscall(SYS_gettid));
      RunStats stats;  // filling it costs two relaxed atomics per kernel
      bool ran = false;
      int64_t peak_activation = -1;
      while (more(o, issued.fetch_add(1), end)) {
        const auto t0 = Clock::now();
        auto r = s.run(in, {}, &stats);
        const auto t1 = Clock::now();
        if (!r.ok()) {
          std::lock_guard lock(mu);
          failure = r.status();
          break;
        }
        ran = true;
        peak_activation = std::max(peak_activation, static_cast<int64_t>(stats.peak_activation_bytes));
        mine.push_back(ms_between(t0, t1));
        if (keep_spans) spans.push_back({ns_of(t0), ns_of(t1), tid});
        count(completed);
      }
      std::lock_guard lock(mu);
      if (ran)  // the client that finishes last ran the last request
        std::copy(stats.kernels_by_precision, stats.kernels_by_precision + kPrecisionCount, out.kernels_by_precision);
      out.peak_activation_bytes = std::max(out.peak_activation_bytes, peak_activation);
      out.latency_ms.insert(out.latency_ms.end(), mine.begin(), mine.end());
      out.spans.insert(out.spans.end(), spans.begin(), spans.end());
    });
  for (auto& t : threads) t.join();
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!failure.ok()) return failure;
  return out;
}

// Server (Poisson arrivals at qps) and offline (arrivals as fast as submit accepts them).
Result<ScenarioSamples> open_loop(const Session& s, const NamedTensors& in, const BenchOptions& o, bool poisson,
                                  std::atomic<size_t>* completed) {
  ScenarioSamples out;
  struct Pending {
    Clock::time_point arrival;
    RunTicket ticket;
  };
  std::deque<Pending> queue;
  std::mutex mu;
  std::atomic<bool> producing{true};
  Status failure;
  std::mt19937_64 rng(o.seed);
  std::exponential_distribution<double> gap(poisson ? o.qps : 1.0);
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s));
  std::thread retire([&] {
    for (;;) {
      Pending p;
      {
        std::unique_lock lock(mu);
        if (queue.empty()) {
          if (!producing.load()) return;
          lock.unlock();
          std::this_thread::sleep_for(std::chrono::microseconds(200));
          continue;
        }
        p = std::move(queue.front());
        queue.pop_front();
      }
      auto r = p.ticket.wait();
      const auto done = Clock::now();
      std::lock_guard lock(mu);
      if (!r.ok()) {
        if (failure.ok()) failure = r.status();
        continue;
      }
      const double ms = ms_between(p.arrival, done);
      out.latency_ms.push_back(ms);
      count(completed);
      if (o.latency_bound_ms > 0 && ms > o.latency_bound_ms) ++out.over_bound;
    }
  });
  auto next = start;
  for (size_t n = 0; more(o, n, end); ++n) {
    if (poisson) {
      next += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(gap(rng)));
      std::this_thread::sleep_until(next);
    }
    const auto arrival = poisson ? next : Clock::now();
    auto t = s.submit(in);  // waits while `concurrency` requests are in flight
    if (!t.ok()) {
      std::lock_guard lock(mu);
      failure = t.status();
      break;
    }
    std::lock_guard lock(mu);
    queue.push_back({arrival, std::move(t).value()});
  }
  producing = false;
  retire.join();
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!failure.ok()) return failure;
  return out;
}

}  // namespace

Result<ScenarioSamples> run_scenario(const Session& s, const NamedTensors& in, const BenchOptions& o,
                                     std::atomic<size_t>* completed) {
  switch (o.scenario) {
    case Scenario::kSingleStream: return closed_loop(s, in, o, 1, completed);
    case Scenario::kMultiStream: return closed_loop(s, in, o, o.concurrency, completed);
    case Scenario::kServer: return open_loop(s, in, o, true, completed);
    case Scenario::kOffline: return open_loop(s, in, o, false, completed);
  }
  return invalid_argument("unknown scenario");
}

}  // namespace braid::bench
