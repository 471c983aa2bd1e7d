#include "session/async_runner.h"

#include <pthread.h>

namespace braid::detail {

AsyncRunner::AsyncRunner(const Session::Impl& impl, RunFn run, int capacity, int drivers)
    : impl_(impl), run_(run), capacity_(std::max(1, capacity)), ring_(static_cast<size_t>(std::max(1, capacity))) {
  for (int i = 0; i < std::max(1, drivers); ++i) drivers_.emplace_back([this] { drive(); });
}

AsyncRunner::~AsyncRunner() {
  stopping_.store(true, std::memory_order_release);
  pushed_.fetch_add(1, std::memory_order_release);
  pushed_.notify_all();
  for (std::thread& t : drivers_) t.join();
}

Status AsyncRunner::push(std::shared_ptr<RunTicket::State> request, bool wait_for_room) {
  // Reserve a slot first: the ring (capacity rounded up) then always has room.
  int cur = in_flight_.load(std::memory_order_relaxed);
  for (;;) {
    if (cur >= capacity_) {
      if (!wait_for_room)
        return resource_exhausted("submit: " + std::to_string(capacity_) +
                                  " requests are already queued or running (SessionOptions::max_in_flight)");
      in_flight_.wait(cur, std::memory_order_relaxed);
      cur = in_flight_.load(std::memory_order_relaxed);
      continue;
    }
    if (in_flight_.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel, std::memory_order_relaxed)) break;
  }
  const bool pushed = ring_.try_push(std::move(request));
  if (!pushed) {  // cannot happen while the reservation holds; refuse rather than lose it
    in_flight_.fetch_sub(1, std::memory_order_acq_rel);
    in_flight_.notify_all();
    return internal_error("submit: request ring full despite a reserved slot");
  }
  pushed_.fetch_add(1, std::memory_order_release);
  pushed_.notify_one();
  return {};
}

void AsyncRunner::drive() {
  ::pthread_setname_np(::pthread_self(), "braid-submit");
  std::shared_ptr<RunTicket::State> request;
  for (;;) {
    // Read the counter before trying the ring: a push after the failed pop changes it, so
    // the wait below cannot miss it.
    const uint32_t seen = pushed_.load(std::memory_order_acquire);
    if (ring_.try_pop(request)) {
      request->result = run_(impl_, request->values, request->options);
      request->values.clear();
      // Release: wait() that sees done == 1 sees the result.
      request->done.store(1, std::memory_order_release);
      request->done.notify_all();
      request.reset();
      in_flight_.fetch_sub(1, std::memory_order_acq_rel);
      in_flight_.notify_all();
      continue;
    }
    if (stopping_.load(std::memory_order_acquire)) return;  // drained
    pushed_.wait(seen, std::memory_order_acquire);
  }
}

}  // namespace braid::detail
