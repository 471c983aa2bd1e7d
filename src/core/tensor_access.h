// TensorAccess: Braid-internal operations on a Tensor's representation that the public
// API does not offer (tensor.h names it a friend).
#pragma once

#include <span>

#include "braid/tensor.h"

namespace braid {

class TensorAccess {
 public:
  // Makes `t` undefined but keeps its shape vector's capacity, so that the next
  // copy-assignment into it (a bound input) reuses it instead of allocating. Thread-safe
  // for distinct tensors.
  static void clear_keep_capacity(Tensor& t) noexcept {
    t.storage_.reset();
    t.data_ = nullptr;
    t.dtype_ = DataType::kUndefined;
    t.numel_ = 0;
    t.shape_.clear();
  }
  // Makes `t` a view of `data` with `dims` (`numel` elements), copying the dims into its
  // shape vector's existing capacity (no allocation once it has held a shape that long).
  static void set_view(Tensor& t, DataType dtype, std::span<const int64_t> dims, int64_t numel, void* data) noexcept {
    t.storage_.reset();
    t.dtype_ = dtype;
    t.shape_.assign(dims.begin(), dims.end());
    t.numel_ = numel;
    t.data_ = data;
  }
  // True when writing t's elements can affect no other Tensor: a view of caller memory,
  // or storage that no other Tensor shares.
  static bool unshared(const Tensor& t) noexcept {
    return t.data_ != nullptr && (t.storage_ == nullptr || t.storage_.use_count() == 1);
  }
  // Gives `t` (whose data now holds `numel` elements laid out as `dims`) that shape,
  // in its shape vector's existing capacity.
  static void set_shape(Tensor& t, std::span<const int64_t> dims, int64_t numel) noexcept {
    t.shape_.assign(dims.begin(), dims.end());
    t.numel_ = numel;
  }
  // Makes `t` share `base`'s storage and data under `dims` (`numel` elements, equal to
  // base's), copying the dims into t's shape capacity.
  static void set_alias(Tensor& t, const Tensor& base, std::span<const int64_t> dims, int64_t numel) noexcept {
    t.storage_ = base.storage_;
    t.dtype_ = base.dtype_;
    t.shape_.assign(dims.begin(), dims.end());
    t.numel_ = numel;
    t.data_ = base.data_;
  }
};

}  // namespace braid
