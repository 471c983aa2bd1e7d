// BufferPool: recycles the large tensor buffers (activations, workspaces) between runs.
// A fresh large allocation is an mmap whose pages fault in on first touch, and its free
// is a munmap: on the bundled CNNs that is a few percent of every run, on real models
// far more. Freed buffers of at least kMinPooledBytes go back to a size class (sizes
// rounded up by at most 1/8) and the next allocation of that class reuses one, already
// faulted in. The cache is bounded (BRAID_BUFFER_CACHE_BYTES, default 512 MiB; 0 turns
// pooling off; off under AddressSanitizer, which must see every free); a free that would
// exceed it goes to the system.
//
//   void* p = buffer_pool().allocate(bytes, &capacity);   // 64-byte aligned
//   buffer_pool().release(p, capacity);
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace braid::detail {

class BufferPool {
 public:
  static constexpr size_t kAlign = 64;
  static constexpr size_t kMinPooledBytes = size_t{64} << 10;

  explicit BufferPool(size_t cache_limit_bytes);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A 64-byte aligned buffer of at least `bytes` (its real size in *capacity, which
  // release() needs back); nullptr when the system is out of memory. Thread-safe.
  void* allocate(size_t bytes, size_t* capacity) noexcept;
  // Returns a buffer from allocate(). Thread-safe.
  void release(void* p, size_t capacity) noexcept;
  // Frees every cached buffer. Thread-safe.
  void trim() noexcept;

  size_t cached_bytes() const noexcept { return cached_.load(std::memory_order_relaxed); }
  size_t cache_limit() const noexcept { return limit_; }
  uint64_t reuses() const noexcept { return reuses_.load(std::memory_order_relaxed); }

 private:
  struct SizeClass {
    std::mutex mu;  // held for a push or a pop: one per large allocation, never per element
    std::vector<void*> free;
  };
  // Class index and class size of a request (sizes >= kMinPooledBytes).
  static size_t class_of(size_t bytes, size_t* class_bytes) noexcept;

  const size_t limit_;
  std::unique_ptr<SizeClass[]> classes_;
  std::atomic<size_t> cached_{0};
  std::atomic<uint64_t> reuses_{0};
};

// The process-wide pool every Tensor allocation goes through (never destroyed, so tensors
// freed during static destruction still find it). Thread-safe.
BufferPool& buffer_pool();

}  // namespace braid::detail
