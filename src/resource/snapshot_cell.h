// SnapshotCell<T>: one writer publishes trivially copyable snapshots, any number of
// readers copy the latest without locks. Two seqlock slots: the writer fills the slot
// readers are *not* directed to, then flips `latest_`, so a reader only retries when the
// writer has published during its copy — a reader never waits for a writer that was
// preempted mid-write. A reader returns a slot only if `latest_` still names it after the
// copy, so successive loads never go back in time.
//
// Every shared word is a std::atomic: data words are stored with release and loaded with
// acquire instead of relaxed accesses bracketed by fences (which TSan cannot model). On
// x86 both compile to plain moves, so the copy costs the same and is race-free under the
// C++ memory model.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace braid::detail {

template <class T>
class SnapshotCell {
  static_assert(std::is_trivially_copyable_v<T>, "SnapshotCell needs a trivially copyable T");
  static constexpr size_t kWords = (sizeof(T) + sizeof(uint64_t) - 1) / sizeof(uint64_t);

 public:
  explicit SnapshotCell(const T& initial = T{}) {
    store(initial);
    store(initial);
  }

  // Publishes `value`. Single writer only. Not thread-safe (one writer at a time).
  void store(const T& value) noexcept {
    const uint32_t target = latest_.load(std::memory_order_relaxed) ^ 1u;
    Slot& slot = slots_[target];
    const uint64_t seq = slot.seq.load(std::memory_order_relaxed);
    slot.seq.store(seq + 1, std::memory_order_relaxed);  // odd: being written
    uint64_t words[kWords] = {};
    std::memcpy(words, &value, sizeof(T));
    // Release: a reader that loads (acquire) any new word also sees the odd seq above, so
    // its re-check of seq fails.
    for (size_t i = 0; i < kWords; ++i) slot.words[i].store(words[i], std::memory_order_release);
    // Release: readers that see the even seq see every data word written before it.
    slot.seq.store(seq + 2, std::memory_order_release);
    // Release: a reader that follows the flip finds the slot complete.
    latest_.store(target, std::memory_order_release);
  }

  // The latest published value. Wait-free unless the writer laps the reader. Thread-safe.
  T load() const noexcept {
    uint64_t words[kWords];
    for (;;) {
      // Acquire: pairs with the writer's release flip.
      const uint32_t index = latest_.load(std::memory_order_acquire);
      const Slot& slot = slots_[index];
      // Acquire: the data loads below cannot move above this seq load, and a complete
      // write (even seq, release) is fully visible.
      const uint64_t before = slot.seq.load(std::memory_order_acquire);
      if (before & 1u) continue;
      // Acquire: the seq re-check below cannot move above these loads.
      for (size_t i = 0; i < kWords; ++i) words[i] = slot.words[i].load(std::memory_order_acquire);
      // The slot must also still be the published one: through a stale `latest_` a reader
      // can copy the other slot's next value, complete but not yet flipped to, and its next
      // load() would then return the older published value (time going backwards; seen
      // in the TSan run of SnapshotCell.ReadersNeverSeeTornValuesAt2Threads).
      if (slot.seq.load(std::memory_order_relaxed) == before && latest_.load(std::memory_order_relaxed) == index)
        break;
    }
    T out;
    std::memcpy(static_cast<void*>(&out), words, sizeof(T));
    return out;
  }

 private:
  struct alignas(64) Slot {
    std::atomic<uint64_t> seq{0};
    std::atomic<uint64_t> words[kWords];  // value-initialised (C++20)
  };
  Slot slots_[2];
  alignas(64) std::atomic<uint32_t> latest_{0};
};

}  // namespace braid::detail
