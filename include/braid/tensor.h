// Tensor, DataType and Shape: the data that flows into, through and out of Braid.
// A Tensor owns 64-byte aligned storage (shared between copies) or views caller memory.
//
//   braid::Tensor x = braid::Tensor::empty(braid::DataType::kFloat32, {1, 3, 224, 224}).value();
//   float* p = x.data<float>();
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "braid/status.h"

namespace braid {

// Values follow onnx::TensorProto::DataType so conversion is a cast.
enum class DataType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,  // recognised so that errors can name it; no kernel supports it
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
};

// Bytes per element (0 for kUndefined and kString). Thread-safe.
size_t dtype_size(DataType t) noexcept;
// "float32", "int64", ... Thread-safe.
const char* dtype_name(DataType t) noexcept;

using Shape = std::vector<int64_t>;

// Product of dims; an error on a negative dim or on overflow past 2^62. Thread-safe.
Result<int64_t> checked_numel(const Shape& shape);
// "[1,3,224,224]". Thread-safe.
std::string shape_to_string(const Shape& shape);

// A dense row-major tensor. Copies share storage (like a shared_ptr); clone() copies data.
class Tensor {
 public:
  Tensor() = default;

  // Allocates uninitialised, 64-byte aligned storage. Thread-safe.
  static Result<Tensor> empty(DataType dtype, Shape shape);
  // Allocates and zero-fills. Thread-safe.
  static Result<Tensor> zeros(DataType dtype, Shape shape);
  // Views caller memory; the caller keeps it alive while the tensor is used. Thread-safe.
  static Tensor view(DataType dtype, Shape shape, void* data);
  // Copies `values` into a new float32/int64/... tensor; the element type picks the dtype.
  template <class T>
  static Result<Tensor> from_vector(Shape shape, const std::vector<T>& values);

  bool defined() const noexcept { return dtype_ != DataType::kUndefined; }
  DataType dtype() const noexcept { return dtype_; }
  const Shape& shape() const noexcept { return shape_; }
  int64_t rank() const noexcept { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(size_t i) const { return shape_[i]; }
  int64_t numel() const noexcept { return numel_; }
  size_t byte_size() const noexcept { return static_cast<size_t>(numel_) * dtype_size(dtype_); }
  bool owns_storage() const noexcept { return storage_ != nullptr; }

  void* raw_data() noexcept { return data_; }
  const void* raw_data() const noexcept { return data_; }
  template <class T>
  T* data() noexcept { return static_cast<T*>(data_); }
  template <class T>
  const T* data() const noexcept { return static_cast<const T*>(data_); }

  // Same storage, another shape with the same element count.
  Result<Tensor> reshaped(Shape shape) const;
  // Deep copy into new storage.
  Result<Tensor> clone() const;

 private:
  friend class TensorAccess;
  DataType dtype_ = DataType::kUndefined;
  Shape shape_;
  int64_t numel_ = 0;
  std::shared_ptr<std::byte> storage_;  // null for views
  void* data_ = nullptr;
};

template <class T>
struct DataTypeOf;
template <> struct DataTypeOf<float> { static constexpr DataType value = DataType::kFloat32; };
template <> struct DataTypeOf<double> { static constexpr DataType value = DataType::kFloat64; };
template <> struct DataTypeOf<int8_t> { static constexpr DataType value = DataType::kInt8; };
template <> struct DataTypeOf<uint8_t> { static constexpr DataType value = DataType::kUInt8; };
template <> struct DataTypeOf<int16_t> { static constexpr DataType value = DataType::kInt16; };
template <> struct DataTypeOf<uint16_t> { static constexpr DataType value = DataType::kUInt16; };
template <> struct DataTypeOf<int32_t> { static constexpr DataType value = DataType::kInt32; };
template <> struct DataTypeOf<uint32_t> { static constexpr DataType value = DataType::kUInt32; };
template <> struct DataTypeOf<int64_t> { static constexpr DataType value = DataType::kInt64; };
template <> struct DataTypeOf<uint64_t> { static constexpr DataType value = DataType::kUInt64; };
template <> struct DataTypeOf<bool> { static constexpr DataType value = DataType::kBool; };

template <class T>
Result<Tensor> Tensor::from_vector(Shape shape, const std::vector<T>& values) {
  BRAID_ASSIGN_OR_RETURN(Tensor t, empty(DataTypeOf<T>::value, std::move(shape)));
  if (static_cast<size_t>(t.numel()) != values.size())
    return invalid_argument("from_vector: " + std::to_string(values.size()) +
                            " values for shape " + shape_to_string(t.shape()));
  T* out = t.data<T>();
  for (size_t i = 0; i < values.size(); ++i) out[i] = values[i];
  return t;
}

// Reads a serialized onnx TensorProto file (the test_data_set_*/input_*.pb format).
// Thread-safe.
Result<Tensor> read_tensor_file(const std::string& path);
// Same, from bytes in memory. Thread-safe.
Result<Tensor> parse_tensor_proto(const void* data, size_t size);

}  // namespace braid
