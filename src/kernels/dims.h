// InlineVector<T, N>: a short list kept inline up to N entries and on the heap only
// beyond, so that what kernels compute on every call (convolution and pooling windows,
// output shapes, per-input tables) costs no heap allocation. Reads like a std::vector for
// the uses kernels make of one. Dims is the int64 one (shape dims, per-axis parameters).
//
//   Dims out(rank, 1);            // inline
//   out.push_back(c);             // still inline for ranks up to kInline
//   Shape s = out.to_shape();     // a Tensor's shape (that one allocates)
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <type_traits>
#include <vector>

#include "braid/tensor.h"

namespace braid::detail {

template <class T, size_t N>
class InlineVector {
 public:
  static constexpr size_t kInline = N;

  InlineVector() = default;
  InlineVector(size_t n, T v) { assign(n, v); }
  InlineVector(std::initializer_list<T> l) { assign(l.begin(), l.end()); }
  InlineVector(std::span<const T> s) { assign(s.begin(), s.end()); }     // NOLINT: implicit by design
  InlineVector(const std::vector<T>& v) { assign(v.begin(), v.end()); }  // NOLINT: implicit by design
  template <class It>
    requires(!std::is_integral_v<It>)
  InlineVector(It first, It last) {
    assign(first, last);
  }
  InlineVector(const InlineVector& o) { assign(o.begin(), o.end()); }
  InlineVector& operator=(const InlineVector& o) {
    if (this != &o) assign(o.begin(), o.end());
    return *this;
  }

  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  T* data() noexcept { return size_ <= kInline ? inline_ : heap_.data(); }
  const T* data() const noexcept { return size_ <= kInline ? inline_ : heap_.data(); }
  T* begin() noexcept { return data(); }
  T* end() noexcept { return data() + size_; }
  const T* begin() const noexcept { return data(); }
  const T* end() const noexcept { return data() + size_; }
  T& operator[](size_t i) noexcept { return data()[i]; }
  const T& operator[](size_t i) const noexcept { return data()[i]; }
  T& back() noexcept { return data()[size_ - 1]; }
  const T& back() const noexcept { return data()[size_ - 1]; }
  operator std::span<const T>() const noexcept { return {data(), size_}; }  // NOLINT: implicit by design

  void clear() noexcept { size_ = 0; }
  void resize(size_t n, T v = T()) {
    const size_t old = size_;
    set_size(n);
    for (size_t i = old; i < n; ++i) data()[i] = v;
  }
  void assign(size_t n, T v) {
    set_size(n);
    std::fill(begin(), end(), v);
  }
  template <class It>
  void assign(It first, It last) {
    const auto n = static_cast<size_t>(std::distance(first, last));
    if (n <= kInline) {
      size_t i = 0;
      for (It it = first; it != last; ++it) inline_[i++] = static_cast<T>(*it);
      heap_.clear();
    } else {
      heap_.assign(first, last);
    }
    size_ = n;
  }
  void push_back(T v) {
    resize(size_ + 1);
    back() = v;
  }
  template <class It>
  void append(It first, It last) {
    for (; first != last; ++first) push_back(static_cast<T>(*first));
  }

  Shape to_shape() const
    requires std::is_same_v<T, int64_t>
  {
    return Shape(begin(), end());
  }

  friend bool operator==(const InlineVector& a, const InlineVector& b) noexcept { return std::ranges::equal(a, b); }
  friend bool operator==(const InlineVector& a, const std::vector<T>& b) noexcept { return std::ranges::equal(a, b); }

 private:
  // Moves the contents between the inline array and the heap when n crosses kInline.
  void set_size(size_t n) {
    if (n > kInline && size_ <= kInline) {
      heap_.assign(inline_, inline_ + size_);
    } else if (n <= kInline && size_ > kInline) {
      std::copy(heap_.begin(), heap_.begin() + static_cast<std::ptrdiff_t>(n), inline_);
      heap_.clear();
    }
    if (n > kInline) heap_.resize(n);
    size_ = n;
  }

  T inline_[kInline] = {};
  std::vector<T> heap_;
  size_t size_ = 0;
};

using Dims = InlineVector<int64_t, 8>;

// The numpy broadcast of `shapes` into `out` (inline: no allocation up to rank 8); false
// when they do not broadcast. Same rule as broadcast_shapes (kernels/broadcast.h).
inline bool broadcast_dims(std::span<const Shape* const> shapes, Dims* out) {
  size_t rank = 0;
  for (const Shape* s : shapes) rank = std::max(rank, s->size());
  out->assign(rank, 1);
  for (const Shape* s : shapes) {
    const size_t lead = rank - s->size();
    for (size_t d = 0; d < s->size(); ++d) {
      const int64_t dim = (*s)[d];
      int64_t& r = (*out)[lead + d];
      if (dim == r || dim == 1) continue;
      if (r != 1) return false;
      r = dim;
    }
  }
  return true;
}

}  // namespace braid::detail
