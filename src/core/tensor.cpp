#include "braid/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "core/fault_injection.h"
#include "core/buffer_pool.h"

namespace braid {

size_t dtype_size(DataType t) noexcept {
  switch (t) {
    case DataType::kFloat32: case DataType::kInt32: case DataType::kUInt32: return 4;
    case DataType::kUInt8: case DataType::kInt8: case DataType::kBool: return 1;
    case DataType::kUInt16: case DataType::kInt16: case DataType::kFloat16:
    case DataType::kBFloat16: return 2;
    case DataType::kInt64: case DataType::kFloat64: case DataType::kUInt64: return 8;
    case DataType::kUndefined: case DataType::kString: return 0;
  }
  return 0;
}

const char* dtype_name(DataType t) noexcept {
  switch (t) {
    case DataType::kUndefined: return "undefined";
    case DataType::kFloat32: return "float32";
    case DataType::kUInt8: return "uint8";
    case DataType::kInt8: return "int8";
    case DataType::kUInt16: return "uint16";
    case DataType::kInt16: return "int16";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
    case DataType::kString: return "string";
    case DataType::kBool: return "bool";
    case DataType::kFloat16: return "float16";
    case DataType::kFloat64: return "float64";
    case DataType::kUInt32: return "uint32";
    case DataType::kUInt64: return "uint64";
    case DataType::kBFloat16: return "bfloat16";
  }
  return "unknown";
}

Result<int64_t> checked_numel(const Shape& shape) {
  constexpr int64_t kMax = int64_t{1} << 62;
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return invalid_argument("negative dimension in shape " + shape_to_string(shape));
    if (d != 0 && n > kMax / d)
      return invalid_argument("element count of shape " + shape_to_string(shape) + " overflows");
    n *= d;
  }
  return n;
}

std::string shape_to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

namespace {

// Gives the buffer back to the pool it came from (large buffers are recycled there).
struct PoolFree {
  size_t capacity;
  void operator()(std::byte* p) const noexcept { detail::buffer_pool().release(p, capacity); }
};
}  // namespace

Result<Tensor> Tensor::empty(DataType dtype, Shape shape) {
  if (dtype == DataType::kUndefined || dtype == DataType::kString)
    return invalid_argument(std::string("cannot allocate a tensor of dtype ") + dtype_name(dtype));
  const size_t elem = dtype_size(dtype);
  if (elem == 0)  // a dtype value outside the enum (e.g. an unknown ONNX elem_type)
    return invalid_argument("cannot allocate a tensor of unknown dtype " +
                            std::to_string(static_cast<int32_t>(dtype)));
  BRAID_ASSIGN_OR_RETURN(int64_t n, checked_numel(shape));
  if (static_cast<uint64_t>(n) > (uint64_t{1} << 62) / elem)
    return out_of_memory("tensor of shape " + shape_to_string(shape) + " is too large");
  size_t bytes = static_cast<size_t>(n) * elem;
  if (detail::should_fail_allocation())
    return out_of_memory("injected allocation failure for " + shape_to_string(shape));
  size_t capacity = 0;
  void* p = detail::buffer_pool().allocate(bytes, &capacity);
  if (p == nullptr)
    return out_of_memory("cannot allocate " + std::to_string(bytes) + " bytes for tensor " +
                         shape_to_string(shape));
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.numel_ = n;
  t.storage_ = std::shared_ptr<std::byte>(static_cast<std::byte*>(p), PoolFree{capacity});
  t.data_ = p;
  return t;
}

Result<Tensor> Tensor::zeros(DataType dtype, Shape shape) {
  BRAID_ASSIGN_OR_RETURN(Tensor t, empty(dtype, std::move(shape)));
  std::memset(t.data_, 0, t.byte_size());
  return t;
}

Tensor Tensor::view(DataType dtype, Shape shape, void* data) {
  Tensor t;
  t.dtype_ = dtype;
  auto n = checked_numel(shape);
  t.numel_ = n.ok() ? *n : 0;
  t.shape_ = std::move(shape);
  t.data_ = data;
  return t;
}

Result<Tensor> Tensor::reshaped(Shape shape) const {
  BRAID_ASSIGN_OR_RETURN(int64_t n, checked_numel(shape));
  if (n != numel_)
    return invalid_argument("cannot reshape " + shape_to_string(shape_) + " to " +
                            shape_to_string(shape));
  Tensor t;  // not a copy of *this: that would copy the old shape only to replace it
  t.dtype_ = dtype_;
  t.shape_ = std::move(shape);
  t.numel_ = numel_;
  t.storage_ = storage_;
  t.data_ = data_;
  return t;
}

Result<Tensor> Tensor::clone() const {
  BRAID_ASSIGN_OR_RETURN(Tensor t, empty(dtype_, shape_));
  if (byte_size() != 0) std::memcpy(t.data_, data_, byte_size());
  return t;
}

}  // namespace braid
