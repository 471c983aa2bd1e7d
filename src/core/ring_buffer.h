// RingBuffer<T>: a bounded, lock-free multi-producer multi-consumer queue (a sequence
// number per cell, after D. Vyukov's bounded MPMC design). try_push fails when full —
// the caller applies back-pressure instead of growing a queue — and try_pop fails when
// empty. No allocation after construction; one CAS per operation when uncontended.
//
//   RingBuffer<Request*> ring(8);          // capacity rounded up to a power of two
//   if (!ring.try_push(r)) { /* full: wait or refuse */ }
//   Request* out; if (ring.try_pop(out)) { ... }
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

namespace braid::detail {

template <class T>
class RingBuffer {
 public:
  // Capacity is rounded up to a power of two (at least 2). Not thread-safe.
  explicit RingBuffer(size_t capacity)
      : mask_(std::bit_ceil(capacity < 2 ? size_t{2} : capacity) - 1), cells_(new Cell[mask_ + 1]) {
    for (size_t i = 0; i <= mask_; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
  }
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;

  size_t capacity() const noexcept { return mask_ + 1; }

  // Appends `value`; false when the buffer is full. Lock-free. Thread-safe.
  bool try_push(T value) noexcept(std::is_nothrow_move_assignable_v<T>) {
    size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & mask_];
      // Acquire: pairs with the consumer's release that freed this cell.
      const size_t seq = cell.sequence.load(std::memory_order_acquire);
      const intptr_t diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos);
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          cell.value = std::move(value);
          // Release: the value is visible to the consumer that sees the new sequence.
          cell.sequence.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // the cell still holds an element a lap behind: full
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  // Removes the oldest element into `out`; false when empty. Lock-free. Thread-safe.
  bool try_pop(T& out) noexcept(std::is_nothrow_move_assignable_v<T>) {
    size_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & mask_];
      // Acquire: pairs with the producer's release that filled this cell.
      const size_t seq = cell.sequence.load(std::memory_order_acquire);
      const intptr_t diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos + 1);
      if (diff == 0) {
        if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          out = std::move(cell.value);
          // Release: the producer of the next lap sees the cell as free.
          cell.sequence.store(pos + mask_ + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // not filled yet: empty
      } else {
        pos = head_.load(std::memory_order_relaxed);
      }
    }
  }

  // Elements in the buffer; a snapshot under concurrency. Thread-safe.
  size_t size() const noexcept {
    const size_t tail = tail_.load(std::memory_order_acquire), head = head_.load(std::memory_order_acquire);
    return tail >= head ? tail - head : 0;
  }

 private:
  struct Cell {
    std::atomic<size_t> sequence;
    T value{};
  };
  const size_t mask_;
  std::unique_ptr<Cell[]> cells_;
  alignas(64) std::atomic<size_t> tail_{0};  // producers
  alignas(64) std::atomic<size_t> head_{0};  // consumers
};

}  // namespace braid::detail
