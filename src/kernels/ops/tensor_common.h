// Helpers shared by the tensor kernel family: axis normalisation, int lists that come from
// attributes, constant inputs or runtime inputs, element-size dispatch (these kernels move
// bytes and never need the element type), and the grain of parallel copies.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "braid/status.h"
#include "braid/tensor.h"
#include "kernels/dims.h"
#include "kernels/op_kernel.h"

// Lives in its own namespace so these common names cannot clash with other families'.
namespace braid::detail::tensor_ops {

// Bytes a parallel copy task moves at least. A batch-1 activation (up to about a MiB)
// stays on one thread; bigger tensors split into tasks of at least this size.
inline constexpr int64_t kCopyGrainBytes = int64_t{1} << 20;

// Rows per task for a loop whose rows move `row_bytes` each.
inline int64_t copy_grain_rows(int64_t row_bytes) {
  return std::max<int64_t>(1, kCopyGrainBytes / std::max<int64_t>(1, row_bytes));
}

// `axis` in [-rank, rank) mapped to [0, rank); a bad_node error naming `what` otherwise.
Result<int64_t> normalize_axis(const Node& node, int64_t axis, int64_t rank, const char* what = "axis");

// Normalises every axis of `axes` against `rank` and rejects duplicates.
Result<std::vector<int64_t>> normalize_axes(const Node& node, const std::vector<int64_t>& axes, int64_t rank);

// Every dtype with a fixed element size (all but string and undefined).
bool is_fixed_size(DataType dtype);

// Load-time check for kernels that move elements by size: unsupported_dtype for string,
// ok for fixed-size dtypes and for dtypes not known until run time.
Status check_movable_dtype(const Node& node, DataType dtype, const char* what = "input");

// The values of an int32/int64 tensor (any shape) as int64.
Result<std::vector<int64_t>> read_int_tensor(const Node& node, const Tensor& t, const char* what);

// One int64 from a one-element int32/int64 tensor.
Result<int64_t> read_int_scalar(const Node& node, const Tensor& t, const char* what);

// One double from a one-element tensor of any numeric dtype.
Result<double> read_numeric_scalar(const Node& node, const Tensor& t, const char* what);

// An int list that an op takes from an attribute (old opsets) or from an input (newer
// ones). A constant input is read once at load; a computed one is read on every call.
class IntList {
 public:
  IntList() = default;  // absent
  static IntList values(std::vector<int64_t> v);
  // Input `index` of the node; reads it now when it is a constant. Absent when omitted.
  static Result<IntList> input(const KernelInit& init, size_t index, const char* what);

  bool present() const { return kind_ != Kind::kAbsent; }
  // The list; for a runtime input an error when the input is missing at run time.
  Result<std::vector<int64_t>> get(const KernelContext& ctx) const;
  // Whether the list is known at load (attribute or constant input).
  bool known() const { return known_; }

 private:
  enum class Kind { kAbsent, kValues, kInput };
  Kind kind_ = Kind::kAbsent;
  size_t index_ = 0;
  const char* what_ = "";
  bool known_ = false;
  std::vector<int64_t> values_;  // when known_
};

// Calls fn(U{}) with the unsigned integer type of `elem` bytes (1, 2, 4 or 8), so element
// moves compile to one load and store without knowing the dtype.
template <class Fn>
void dispatch_elem_size(size_t elem, Fn&& fn) {
  switch (elem) {
    case 1: fn(uint8_t{}); break;
    case 2: fn(uint16_t{}); break;
    case 4: fn(uint32_t{}); break;
    default: fn(uint64_t{}); break;
  }
}

// The bit pattern (low dtype_size bytes) of `v` stored as `dtype`: numeric dtypes and bool;
// float16 and bfloat16 round to nearest even. unsupported_dtype for string.
Result<uint64_t> scalar_bits(const Node& node, DataType dtype, double v);
// The bit pattern of the one element of `t` (any fixed-size dtype).
uint64_t element_bits(const Tensor& t);
// Fills n elements of `elem` bytes with the low bytes of `bits`.
void fill_bits(void* dst, int64_t n, size_t elem, uint64_t bits);

// Row-major element strides of `shape`.
std::vector<int64_t> row_major_strides(const Shape& shape);

// a * b and a + b for shape arithmetic, with an error on int64 overflow.
Result<int64_t> checked_mul(const Node& node, int64_t a, int64_t b);
Result<int64_t> checked_add(const Node& node, int64_t a, int64_t b);

// Walks the multi-indices of `dims` in row-major order from a linear start position while
// keeping an offset that moves by `strides` (of another tensor) per index.
class StridedCursor {
 public:
  StridedCursor(const int64_t* dims, const int64_t* strides, int rank, int64_t start);
  int64_t offset() const { return offset_; }
  void next();

 private:
  int rank_;
  const int64_t* dims_;
  const int64_t* strides_;
  Dims index_;  // inline: a cursor per parallel chunk costs no allocation
  int64_t offset_ = 0;
};

}  // namespace braid::detail::tensor_ops
