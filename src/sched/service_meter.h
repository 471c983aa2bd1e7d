// ServiceMeter: the core-time one session (UnitExecutor) received recently, for fair
// sharing among sessions: the scheduler runs first the ready work of the session that got
// the least (after priority). Halved every 2^27 ns (~134 ms) of wall time, so a session
// that was idle does not outrank the others for long, and one running continuously
// converges to its recent service rate. Lock-free: one CAS per completed subgraph.
//
//   meter.add(run_ns * threads, now_ns);     // a subgraph finished
//   double us = meter.value_us(now_ns);       // when a request starts
#pragma once

#include <atomic>
#include <cstdint>

namespace braid::detail {

class ServiceMeter {
 public:
  static constexpr int kEpochShift = 27;  // ns per halving: 2^27 (~134 ms)

  // Adds `core_ns` of service at steady-clock time `now_ns`. Thread-safe.
  void add(double core_ns, int64_t now_ns) noexcept;
  // The decayed service at `now_ns`, in microseconds of core time. Thread-safe.
  double value_us(int64_t now_ns) const noexcept;

 private:
  // epoch (high 24 bits) | service in microseconds (low 40 bits), both as of that epoch.
  static uint64_t decayed(uint64_t packed, uint64_t epoch) noexcept;
  std::atomic<uint64_t> packed_{0};
};

}  // namespace braid::detail
