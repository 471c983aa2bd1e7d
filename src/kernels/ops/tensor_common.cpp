#include "kernels/ops/tensor_common.h"

#include <string>

namespace braid::detail::tensor_ops {

Result<int64_t> normalize_axis(const Node& node, int64_t axis, int64_t rank, const char* what) {
  if (axis < -rank || axis >= rank)
    return bad_node(node, std::string(what) + " " + std::to_string(axis) + " is out of range for rank " +
                              std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

Result<std::vector<int64_t>> normalize_axes(const Node& node, const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<int64_t> out;
  out.reserve(axes.size());
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t a : axes) {
    BRAID_ASSIGN_OR_RETURN(int64_t n, normalize_axis(node, a, rank));
    if (seen[n]) return bad_node(node, "axis " + std::to_string(a) + " is repeated");
    seen[n] = true;
    out.push_back(n);
  }
  return out;
}

bool is_fixed_size(DataType dtype) {
  return dtype != DataType::kUndefined && dtype != DataType::kString && dtype_size(dtype) != 0;
}

Status check_movable_dtype(const Node& node, DataType dtype, const char* what) {
  if (dtype == DataType::kUndefined || is_fixed_size(dtype)) return {};
  return unsupported_dtype(node, dtype, what);
}

Result<std::vector<int64_t>> read_int_tensor(const Node& node, const Tensor& t, const char* what) {
  std::vector<int64_t> v(static_cast<size_t>(t.numel()));
  if (t.dtype() == DataType::kInt64) {
    if (t.numel() > 0) std::memcpy(v.data(), t.raw_data(), t.byte_size());
  } else if (t.dtype() == DataType::kInt32) {
    const int32_t* p = t.data<int32_t>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = p[i];
  } else {
    return bad_node(node, std::string(what) + " must be int32 or int64, not " + dtype_name(t.dtype()));
  }
  return v;
}

Result<int64_t> read_int_scalar(const Node& node, const Tensor& t, const char* what) {
  if (t.numel() != 1)
    return bad_node(node, std::string(what) + " must have one element, not " + std::to_string(t.numel()));
  BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> v, read_int_tensor(node, t, what));
  return v[0];
}

Result<double> read_numeric_scalar(const Node& node, const Tensor& t, const char* what) {
  if (t.numel() != 1)
    return bad_node(node, std::string(what) + " must have one element, not " + std::to_string(t.numel()));
  switch (t.dtype()) {
    case DataType::kFloat32: return static_cast<double>(*t.data<float>());
    case DataType::kFloat64: return *t.data<double>();
    case DataType::kInt8: return static_cast<double>(*t.data<int8_t>());
    case DataType::kUInt8: return static_cast<double>(*t.data<uint8_t>());
    case DataType::kInt16: return static_cast<double>(*t.data<int16_t>());
    case DataType::kUInt16: return static_cast<double>(*t.data<uint16_t>());
    case DataType::kInt32: return static_cast<double>(*t.data<int32_t>());
    case DataType::kUInt32: return static_cast<double>(*t.data<uint32_t>());
    case DataType::kInt64: return static_cast<double>(*t.data<int64_t>());
    case DataType::kUInt64: return static_cast<double>(*t.data<uint64_t>());
    case DataType::kBool: return *t.data<uint8_t>() != 0 ? 1.0 : 0.0;
    default: return bad_node(node, std::string(what) + " has unsupported dtype " + dtype_name(t.dtype()));
  }
}

IntList IntList::values(std::vector<int64_t> v) {
  IntList l;
  l.kind_ = Kind::kValues;
  l.known_ = true;
  l.values_ = std::move(v);
  return l;
}

Result<IntList> IntList::input(const KernelInit& init, size_t index, const char* what) {
  IntList l;
  if (!init.has_input(index)) return l;
  DataType dt = init.input_dtype(index);
  if (dt != DataType::kUndefined && dt != DataType::kInt32 && dt != DataType::kInt64)
    return bad_node(*init.node, std::string(what) + " must be int32 or int64, not " + dtype_name(dt));
  l.kind_ = Kind::kInput;
  l.index_ = index;
  l.what_ = what;
  if (const Tensor* c = init.constant_input(index)) {
    BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> v, read_int_tensor(*init.node, *c, what));
    l.known_ = true;
    l.values_ = std::move(v);
  }
  return l;
}

Result<std::vector<int64_t>> IntList::get(const KernelContext& ctx) const {
  if (known_) return values_;
  if (kind_ == Kind::kAbsent) return std::vector<int64_t>{};
  const Tensor* t = ctx.input(index_);
  if (t == nullptr) return bad_node(*ctx.node, std::string("missing input ") + what_);
  return read_int_tensor(*ctx.node, *t, what_);
}

namespace {

uint16_t float_to_half_bits(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) return static_cast<uint16_t>(sign | 0x7C00u | (abs > 0x7F800000u ? 0x200u : 0u));
  if (abs >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // rounds past the largest half
  if (abs < 0x38800000u) {                                                // subnormal half or zero
    if (abs < 0x33000000u) return static_cast<uint16_t>(sign);
    const uint32_t mant = (abs & 0x007FFFFFu) | 0x00800000u;
    const int shift = 126 - static_cast<int>(abs >> 23);  // 14..24
    uint32_t h = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h = ((abs - 0x38000000u) >> 13);
  const uint32_t rem = abs & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

uint16_t float_to_bf16_bits(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet NaN
  x += 0x7FFFu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}

template <class T>
uint64_t bits_of(T v) {
  uint64_t b = 0;
  std::memcpy(&b, &v, sizeof(T));
  return b;
}

}  // namespace

Result<uint64_t> scalar_bits(const Node& node, DataType dtype, double v) {
  switch (dtype) {
    case DataType::kFloat32: return bits_of(static_cast<float>(v));
    case DataType::kFloat64: return bits_of(v);
    case DataType::kFloat16: return uint64_t{float_to_half_bits(static_cast<float>(v))};
    case DataType::kBFloat16: return uint64_t{float_to_bf16_bits(static_cast<float>(v))};
    case DataType::kInt8: return bits_of(static_cast<int8_t>(v));
    case DataType::kUInt8: return bits_of(static_cast<uint8_t>(v));
    case DataType::kInt16: return bits_of(static_cast<int16_t>(v));
    case DataType::kUInt16: return bits_of(static_cast<uint16_t>(v));
    case DataType::kInt32: return bits_of(static_cast<int32_t>(v));
    case DataType::kUInt32: return bits_of(static_cast<uint32_t>(v));
    case DataType::kInt64: return bits_of(static_cast<int64_t>(v));
    case DataType::kUInt64: return bits_of(static_cast<uint64_t>(v));
    case DataType::kBool: return uint64_t{v != 0 ? 1u : 0u};
    default: return unsupported_dtype(node, dtype);
  }
}

uint64_t element_bits(const Tensor& t) {
  uint64_t b = 0;
  std::memcpy(&b, t.raw_data(), std::min<size_t>(8, dtype_size(t.dtype())));
  return b;
}

void fill_bits(void* dst, int64_t n, size_t elem, uint64_t bits) {
  if (n <= 0) return;
  if (bits == 0) {
    std::memset(dst, 0, static_cast<size_t>(n) * elem);
    return;
  }
  dispatch_elem_size(elem, [&](auto tag) {
    using T = decltype(tag);
    std::fill_n(static_cast<T*>(dst), n, static_cast<T>(bits));
  });
}

std::vector<int64_t> row_major_strides(const Shape& shape) {
  std::vector<int64_t> s(shape.size());
  int64_t acc = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

Result<int64_t> checked_mul(const Node& node, int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    return bad_node(node, std::to_string(a) + " * " + std::to_string(b) + " overflows int64");
  return r;
}

Result<int64_t> checked_add(const Node& node, int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return bad_node(node, std::to_string(a) + " + " + std::to_string(b) + " overflows int64");
  return r;
}

StridedCursor::StridedCursor(const int64_t* dims, const int64_t* strides, int rank, int64_t start)
    : rank_(rank), dims_(dims), strides_(strides), index_(static_cast<size_t>(rank), 0) {
  for (int d = rank - 1; d >= 0 && start > 0; --d) {
    if (dims[d] == 0) continue;
    index_[d] = start % dims[d];
    start /= dims[d];
    offset_ += index_[d] * strides[d];
  }
}

void StridedCursor::next() {
  for (int d = rank_ - 1; d >= 0; --d) {
    offset_ += strides_[d];
    if (++index_[d] < dims_[d]) return;
    offset_ -= index_[d] * strides_[d];
    index_[d] = 0;
  }
}

}  // namespace braid::detail::tensor_ops
