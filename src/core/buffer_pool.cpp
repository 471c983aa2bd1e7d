#include "core/buffer_pool.h"

#include <bit>
#include <cstdlib>

namespace braid::detail {
namespace {

// 8 classes per power of two from 64 KiB up to 2^47 bytes.
constexpr int kSubClasses = 8;
constexpr int kMinLog2 = 16;
constexpr int kMaxLog2 = 47;
constexpr size_t kNumClasses = static_cast<size_t>(kMaxLog2 - kMinLog2 + 1) * kSubClasses;
constexpr size_t kMaxFreePerClass = 64;

size_t default_limit() {
#if defined(__SANITIZE_ADDRESS__)
  return 0;
#else
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
  return 0;
#endif
#endif
  if (const char* env = std::getenv("BRAID_BUFFER_CACHE_BYTES"); env != nullptr && *env != '\0')
    return static_cast<size_t>(std::strtoull(env, nullptr, 10));
  return size_t{512} << 20;
#endif
}

}  // namespace

BufferPool::BufferPool(size_t cache_limit_bytes)
    : limit_(cache_limit_bytes), classes_(std::make_unique<SizeClass[]>(kNumClasses)) {}

BufferPool::~BufferPool() { trim(); }

size_t BufferPool::class_of(size_t bytes, size_t* class_bytes) noexcept {
  // The class of the smallest power of two p with p >= bytes / (1 + 1/8)... computed as:
  // floor(log2) e, then the sub-step within [2^e, 2^(e+1)) rounded up.
  const int e = std::bit_width(bytes) - 1;
  const size_t base = size_t{1} << e;
  const size_t step = base / kSubClasses;
  size_t sub = (bytes - base + step - 1) / step;  // 0..8
  size_t exp = static_cast<size_t>(e);
  if (sub == kSubClasses) {
    sub = 0;
    ++exp;
  }
  *class_bytes = (size_t{1} << exp) + sub * ((size_t{1} << exp) / kSubClasses);
  return (exp - kMinLog2) * kSubClasses + sub;
}

void* BufferPool::allocate(size_t bytes, size_t* capacity) noexcept {
  const size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
  if (limit_ == 0 || rounded < kMinPooledBytes || rounded > (size_t{1} << kMaxLog2)) {
    *capacity = rounded == 0 ? kAlign : rounded;
    return std::aligned_alloc(kAlign, *capacity);
  }
  size_t class_bytes = 0;
  const size_t c = class_of(rounded, &class_bytes);
  SizeClass& sc = classes_[c];
  {
    std::lock_guard lock(sc.mu);
    if (!sc.free.empty()) {
      void* p = sc.free.back();
      sc.free.pop_back();
      cached_.fetch_sub(class_bytes, std::memory_order_relaxed);
      reuses_.fetch_add(1, std::memory_order_relaxed);
      *capacity = class_bytes;
      return p;
    }
  }
  *capacity = class_bytes;
  return std::aligned_alloc(kAlign, class_bytes);
}

void BufferPool::release(void* p, size_t capacity) noexcept {
  if (p == nullptr) return;
  if (limit_ == 0 || capacity < kMinPooledBytes || capacity > (size_t{1} << kMaxLog2)) {
    std::free(p);
    return;
  }
  size_t class_bytes = 0;
  const size_t c = class_of(capacity, &class_bytes);
  // Reserve room in the cache first; give it back when the class is full.
  if (cached_.fetch_add(capacity, std::memory_order_relaxed) + capacity <= limit_) {
    SizeClass& sc = classes_[c];
    std::lock_guard lock(sc.mu);
    if (sc.free.size() < kMaxFreePerClass) {
      if (sc.free.capacity() == 0) sc.free.reserve(kMaxFreePerClass);  // once per class
      sc.free.push_back(p);
      return;
    }
  }
  cached_.fetch_sub(capacity, std::memory_order_relaxed);
  std::free(p);
}

void BufferPool::trim() noexcept {
  for (size_t c = 0; c < kNumClasses; ++c) {
    SizeClass& sc = classes_[c];
    std::lock_guard lock(sc.mu);
    for (void* p : sc.free) std::free(p);
    size_t class_bytes = 0;
    if (!sc.free.empty()) {
      const size_t exp = c / kSubClasses + kMinLog2, sub = c % kSubClasses;
      class_bytes = (size_t{1} << exp) + sub * ((size_t{1} << exp) / kSubClasses);
    }
    cached_.fetch_sub(class_bytes * sc.free.size(), std::memory_order_relaxed);
    sc.free.clear();
  }
}

BufferPool& buffer_pool() {
  static BufferPool* pool = new BufferPool(default_limit());  // intentionally never destroyed
  return *pool;
}

}  // namespace braid::detail
