// AsyncRunner: the streaming half of a Session (Session::submit). Submitted requests wait
// in a bounded lock-free RingBuffer; driver threads take them and run them through the
// session's executor, so several requests are in the runtime at once and pipeline through
// the graph (the dispatcher interleaves their subgraphs, oldest first on ties). The number
// queued or running is bounded (back-pressure): submit waits for room with an atomic
// wait (a futex, no lock), try_submit refuses. Drivers sleep on an atomic counter when the
// ring is empty. Their runs enter the runtime's arena like any caller, so they never add
// runnable threads beyond its concurrency.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "braid/session.h"
#include "core/ring_buffer.h"

namespace braid {

struct RunTicket::State {
  std::vector<Tensor> values;  // bound inputs; every value while it runs
  RunOptions options;
  Result<NamedTensors> result{internal_error("request not run")};
  std::atomic<uint32_t> done{0};  // 1 once `result` is final (release)
  std::atomic<bool> taken{false};
};

namespace detail {

class AsyncRunner {
 public:
  // `run` executes one request synchronously on the calling thread. Starts `drivers`
  // threads. Not thread-safe (construction).
  using RunFn = Result<NamedTensors> (*)(const Session::Impl& impl, std::vector<Tensor>& values,
                                         const RunOptions& options);
  AsyncRunner(const Session::Impl& impl, RunFn run, int capacity, int drivers);
  // Lets the drivers finish every queued request, then joins them.
  ~AsyncRunner();
  AsyncRunner(const AsyncRunner&) = delete;
  AsyncRunner& operator=(const AsyncRunner&) = delete;

  // Queues a request; with `wait_for_room` blocks while `capacity` requests are queued or
  // running, else fails with kResourceExhausted. Thread-safe.
  Status push(std::shared_ptr<RunTicket::State> request, bool wait_for_room);

  int capacity() const noexcept { return capacity_; }

 private:
  void drive();

  const Session::Impl& impl_;
  RunFn run_;
  const int capacity_;
  RingBuffer<std::shared_ptr<RunTicket::State>> ring_;
  alignas(64) std::atomic<int> in_flight_{0};      // queued + running
  alignas(64) std::atomic<uint32_t> pushed_{0};    // drivers wait on it
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> drivers_;
};

}  // namespace detail
}  // namespace braid
