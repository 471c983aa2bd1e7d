// FakeResourceSource: a scripted timeline of ResourceVectors for TESTS ONLY. It lets every
// scheduler decision be tested deterministically instead of depending on the machine's
// load. Never add it to a production monitor.
//
//   braid::ResourceVector idle, busy;           // unknown everywhere ...
//   idle.cores_available = 2.0;                 // ... except what each step scripts
//   busy.cores_available = 1.0;
//   auto fake = std::make_unique<braid::FakeResourceSource>(
//       std::vector<braid::FakeResourceSource::Step>{idle, {busy, braid::internal_error("outage")}, busy});
//   monitor.add_source(std::move(fake));        // monitor built with default_sources=false
//   monitor.sample_now();                       // -> idle, an outage, then busy forever
#pragma once

#include <atomic>
#include <cstddef>
#include <utility>
#include <vector>

#include "braid/resource.h"

namespace braid {

class FakeResourceSource final : public ResourceSource {
 public:
  // One sample of the script: the fields to write, or a failure to return instead.
  struct Step {
    Step(const ResourceVector& v) : vector(v) {}  // NOLINT: implicit, so {a, b, c} reads well
    Step(const ResourceVector& v, Status s) : vector(v), status(std::move(s)) {}

    ResourceVector vector;  // fields left NaN / -1 / core_count 0 are not written
    Status status;          // non-ok: sample() returns it and writes nothing
  };

  // Plays `timeline` one step per sample() call; the last step repeats forever.
  // Not thread-safe.
  explicit FakeResourceSource(std::vector<Step> timeline);

  // Writes the current step's known fields into `inout` (per-core arrays and the
  // allowed mask when its core_count > 0), ORs its live_sources plus kFake, advances.
  // Not thread-safe.
  Status sample(ResourceVector& inout) override;
  // "fake". Thread-safe.
  const char* name() const override { return "fake"; }
  // kFake. Thread-safe.
  ResourceSourceKind kind() const override { return ResourceSourceKind::kFake; }

  // Index of the next step to play (clamped to the last one). Thread-safe.
  size_t position() const noexcept { return next_.load(std::memory_order_relaxed); }
  // Number of sample() calls so far. Thread-safe.
  size_t calls() const noexcept { return calls_.load(std::memory_order_relaxed); }

 private:
  std::vector<Step> timeline_;
  // Relaxed: only the sampler thread writes; readers want a progress indicator.
  std::atomic<size_t> next_{0};
  std::atomic<size_t> calls_{0};
};

}  // namespace braid
