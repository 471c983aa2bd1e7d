// ObjectPool: per-request state that is expensive to build (a flow graph, counters sized
// to the graph) is built once and reused. take() hands out a free object or builds one
// with the caller's factory; give_back() returns it. The pool grows to the most objects
// in use at once and never shrinks; a steady state allocates nothing. A mutex, taken
// once per take/give_back (per request, never per subgraph).
#pragma once

#include <memory>
#include <mutex>
#include <vector>

namespace braid::detail {

template <class T>
class ObjectPool {
 public:
  // A free object, or make() (returning std::unique_ptr<T>) when none is. Thread-safe.
  template <class Make>
  std::unique_ptr<T> take(Make&& make) {
    {
      std::lock_guard lock(mu_);
      if (!free_.empty()) {
        std::unique_ptr<T> p = std::move(free_.back());
        free_.pop_back();
        return p;
      }
    }
    return make();
  }

  // Returns an object taken from this pool. Thread-safe.
  void give_back(std::unique_ptr<T> p) {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(p));
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<T>> free_;
};

}  // namespace braid::detail
