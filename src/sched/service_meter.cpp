#include "sched/service_meter.h"

#include <algorithm>

namespace braid::detail {
namespace {

constexpr uint64_t kValueBits = 40;
constexpr uint64_t kValueMask = (uint64_t{1} << kValueBits) - 1;
constexpr uint64_t kEpochMask = (uint64_t{1} << (64 - kValueBits)) - 1;

uint64_t epoch_of(int64_t now_ns) {
  return (static_cast<uint64_t>(std::max<int64_t>(now_ns, 0)) >> ServiceMeter::kEpochShift) & kEpochMask;
}

}  // namespace

uint64_t ServiceMeter::decayed(uint64_t packed, uint64_t epoch) noexcept {
  const uint64_t then = packed >> kValueBits;
  uint64_t value = packed & kValueMask;
  // Epochs wrap after 2^24 x 134 ms (~26 days). An epoch "ahead" of ours (another thread
  // read the clock a moment later) counts as now.
  const uint64_t age = (epoch - then) & kEpochMask;
  if (age > kEpochMask / 2) return packed;
  value = age >= kValueBits ? 0 : value >> age;
  return (epoch << kValueBits) | value;
}

void ServiceMeter::add(double core_ns, int64_t now_ns) noexcept {
  const uint64_t add_us = core_ns > 0 ? static_cast<uint64_t>(core_ns / 1000.0) : 0;
  const uint64_t epoch = epoch_of(now_ns);
  uint64_t old = packed_.load(std::memory_order_relaxed);
  for (;;) {
    const uint64_t base = decayed(old, epoch);
    const uint64_t value = std::min<uint64_t>((base & kValueMask) + add_us, kValueMask);
    // Relaxed: a fairness hint; no data is published through it.
    if (packed_.compare_exchange_weak(old, (epoch << kValueBits) | value, std::memory_order_relaxed)) return;
  }
}

double ServiceMeter::value_us(int64_t now_ns) const noexcept {
  return static_cast<double>(decayed(packed_.load(std::memory_order_relaxed), epoch_of(now_ns)) & kValueMask);
}

}  // namespace braid::detail
