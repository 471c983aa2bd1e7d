// Replaces the global operator new/delete of the test executable that links this file;
// see counting_allocator.h.
#include "common/counting_allocator.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <new>
#include <vector>

namespace {

constexpr int kMaxFrames = 24;
constexpr size_t kMaxStacks = 1 << 16;

struct Stack {
  void* frames[kMaxFrames];
  int depth;
};

// Per thread: whether counting is on, the counts, and a fixed buffer of recorded stacks
// (malloc'd once, so recording does not recurse into operator new).
thread_local bool t_counting = false;
thread_local bool t_recording = false;
thread_local bool t_inside = false;  // re-entrancy guard (backtrace may allocate once)
thread_local uint64_t t_count = 0;
thread_local uint64_t t_bytes = 0;
thread_local Stack* t_stacks = nullptr;
thread_local size_t t_num_stacks = 0;

void note(size_t size) {
  if (!t_counting || t_inside) return;
  ++t_count;
  t_bytes += size;
  if (t_recording && t_stacks && t_num_stacks < kMaxStacks) {
    t_inside = true;
    Stack& s = t_stacks[t_num_stacks++];
    s.depth = backtrace(s.frames, kMaxFrames);
    t_inside = false;
  }
}

void* allocate(size_t size, size_t align) {
  note(size);
  if (size == 0) size = 1;
  void* p = align > alignof(std::max_align_t) ? std::aligned_alloc(align, (size + align - 1) / align * align)
                                              : std::malloc(size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* allocate_nothrow(size_t size, size_t align) noexcept {
  try {
    return allocate(size, align);
  } catch (...) {
    return nullptr;
  }
}

std::string symbol(void* addr) {
  Dl_info info;
  if (dladdr(addr, &info) == 0 || info.dli_sname == nullptr) {
    // A static function: the module offset, for addr2line -f -C -e MODULE OFFSET.
    char buf[64];
    const uintptr_t off = reinterpret_cast<uintptr_t>(addr) - reinterpret_cast<uintptr_t>(info.dli_fbase) - 1;
    std::snprintf(buf, sizeof buf, "[static] +0x%lx", static_cast<unsigned long>(off));
    return buf;
  }
  int status = 0;
  char* d = abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status);
  std::string s = status == 0 && d ? d : info.dli_sname;
  std::free(d);
  if (s.size() > 140) s = s.substr(0, 140) + "...";
  return s;
}

}  // namespace

void* operator new(size_t size) { return allocate(size, 0); }
void* operator new[](size_t size) { return allocate(size, 0); }
void* operator new(size_t size, std::align_val_t a) { return allocate(size, static_cast<size_t>(a)); }
void* operator new[](size_t size, std::align_val_t a) { return allocate(size, static_cast<size_t>(a)); }
void* operator new(size_t size, const std::nothrow_t&) noexcept { return allocate_nothrow(size, 0); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return allocate_nothrow(size, 0); }
void* operator new(size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate_nothrow(size, static_cast<size_t>(a));
}
void* operator new[](size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate_nothrow(size, static_cast<size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }

namespace braid::testing {

AllocationScope::AllocationScope(bool record_stacks) {
  if (record_stacks) {
    if (t_stacks == nullptr) {
      void* warm[2];
      backtrace(warm, 2);  // its first call loads libgcc (allocates): not inside a scope
      t_stacks = static_cast<Stack*>(std::malloc(sizeof(Stack) * kMaxStacks));
    }
    t_num_stacks = 0;
    t_recording = true;
  }
  t_count = 0;
  t_bytes = 0;
  t_counting = true;
}

AllocationScope::~AllocationScope() {
  t_counting = false;
  t_recording = false;
}

uint64_t AllocationScope::count() const { return t_count; }
uint64_t AllocationScope::bytes() const { return t_bytes; }

std::string AllocationScope::stack_report(int frames, int groups) const {
  const bool was = t_counting;
  t_counting = false;
  std::map<std::vector<void*>, uint64_t> by_stack;
  for (size_t i = 0; i < t_num_stacks; ++i) {
    const Stack& s = t_stacks[i];
    // Start after the allocator's own frames (the last "operator new" frame).
    int first = 0;
    for (int f = 0; f < s.depth && f < 6; ++f)
      if (symbol(s.frames[f]).rfind("operator new", 0) == 0) first = f + 1;
    std::vector<void*> key;
    for (int f = first; f < s.depth && static_cast<int>(key.size()) < frames; ++f) key.push_back(s.frames[f]);
    ++by_stack[key];
  }
  std::vector<std::pair<uint64_t, std::vector<void*>>> sorted;
  for (auto& [k, n] : by_stack) sorted.emplace_back(n, k);
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out;
  for (int g = 0; g < groups && g < static_cast<int>(sorted.size()); ++g) {
    out += std::to_string(sorted[g].first) + "x\n";
    for (void* a : sorted[g].second) out += "    " + symbol(a) + "\n";
  }
  t_counting = was;
  return out;
}

}  // namespace braid::testing
