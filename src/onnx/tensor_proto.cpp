#include "onnx/tensor_proto.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include <onnx/onnx_pb.h>

namespace braid::detail {
namespace fs = std::filesystem;

namespace {

bool dtype_supported(DataType t) {
  return dtype_size(t) != 0;
}

template <class Dst, class Src>
Status copy_field(Tensor& t, const Src& field, const std::string& name) {
  if (static_cast<int64_t>(field.size()) != t.numel())
    return invalid_argument("tensor '" + name + "' has " + std::to_string(field.size()) +
                            " values for shape " + shape_to_string(t.shape()));
  Dst* out = t.data<Dst>();
  for (int64_t i = 0; i < t.numel(); ++i) out[i] = static_cast<Dst>(field.Get(static_cast<int>(i)));
  return {};
}

// Checks the external data (location, length, file size) before allocating the tensor, so
// that a short or missing file cannot make us allocate what its shape claims.
Result<Tensor> read_external(const onnx::TensorProto& p, DataType dtype, const Shape& shape, int64_t numel,
                             const std::string& model_dir) {
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;
  for (const auto& kv : p.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset") offset = std::strtoll(kv.value().c_str(), nullptr, 10);
    else if (kv.key() == "length") length = std::strtoll(kv.value().c_str(), nullptr, 10);
  }
  if (location.empty()) return invalid_argument("tensor '" + p.name() + "': external data without location");
  BRAID_ASSIGN_OR_RETURN(std::string path, resolve_external_path(model_dir, location));
  const int64_t want = numel * static_cast<int64_t>(dtype_size(dtype));
  if (length >= 0 && length != want)
    return invalid_argument("tensor '" + p.name() + "': external data length " + std::to_string(length) +
                            " != " + std::to_string(want) + " bytes for shape " + shape_to_string(shape));
  if (offset < 0) return invalid_argument("tensor '" + p.name() + "': negative external data offset");
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid_argument("tensor '" + p.name() + "': cannot open external data file " + path);
  in.seekg(0, std::ios::end);
  const int64_t file_size = static_cast<int64_t>(in.tellg());
  if (offset > file_size || file_size - offset < want)
    return invalid_argument("tensor '" + p.name() + "': external data file " + path + " is too short");
  BRAID_ASSIGN_OR_RETURN(Tensor t, Tensor::empty(dtype, shape));
  in.seekg(offset);
  in.read(static_cast<char*>(t.raw_data()), want);
  if (!in) return invalid_argument("tensor '" + p.name() + "': failed reading " + path);
  return t;
}

// Elements held inline by the field `dtype` is read from (the typed repeated fields; raw_data
// is checked in bytes by the caller).
int64_t typed_field_size(const onnx::TensorProto& p, DataType dtype) {
  switch (dtype) {
    case DataType::kFloat32: return p.float_data_size();
    case DataType::kFloat64: return p.double_data_size();
    case DataType::kInt64: return p.int64_data_size();
    case DataType::kUInt32: case DataType::kUInt64: return p.uint64_data_size();
    default: return p.int32_data_size();
  }
}

}  // namespace

Result<std::string> resolve_external_path(const std::string& model_dir, const std::string& location) {
  if (model_dir.empty()) return invalid_argument("external data '" + location + "' needs a model file path");
  fs::path loc(location);
  if (loc.is_absolute()) return invalid_argument("external data path '" + location + "' must be relative");
  for (const auto& part : loc)
    if (part == "..") return invalid_argument("external data path '" + location + "' must not contain '..'");
  std::error_code ec;
  fs::path dir = fs::weakly_canonical(fs::path(model_dir), ec);
  if (ec) return invalid_argument("cannot resolve model directory " + model_dir);
  fs::path full = fs::weakly_canonical(dir / loc, ec);
  if (ec) return invalid_argument("cannot resolve external data path '" + location + "'");
  auto [dir_end, full_it] = std::mismatch(dir.begin(), dir.end(), full.begin(), full.end());
  if (dir_end != dir.end())
    return invalid_argument("external data path '" + location + "' escapes the model directory");
  return full.string();
}

Result<Tensor> tensor_from_proto(const onnx::TensorProto& p, const std::string& model_dir) {
  const auto dtype = static_cast<DataType>(p.data_type());
  if (!dtype_supported(dtype))
    return Status{StatusCode::kUnsupportedOp, "tensor '" + p.name() + "' has unsupported dtype " +
                                            std::string(dtype_name(dtype)) + " (" + std::to_string(p.data_type()) + ")"};
  if (p.dims_size() > kMaxTensorRank)
    return invalid_argument("tensor '" + p.name() + "' has rank " + std::to_string(p.dims_size()) +
                            " > " + std::to_string(kMaxTensorRank));
  Shape shape(p.dims().begin(), p.dims().end());
  BRAID_ASSIGN_OR_RETURN(int64_t n, checked_numel(shape));
  if (n > kMaxTensorBytes / static_cast<int64_t>(dtype_size(dtype)))
    return invalid_argument("tensor '" + p.name() + "' of shape " + shape_to_string(shape) + " is too large");
  const std::string& name = p.name();
  // The data is checked against the shape before anything is allocated: a few bytes of
  // protobuf can claim a shape of up to kMaxTensorBytes.
  if (p.data_location() == onnx::TensorProto::EXTERNAL) return read_external(p, dtype, shape, n, model_dir);
  const auto bytes = static_cast<size_t>(n) * dtype_size(dtype);
  if (p.has_raw_data()) {
    if (p.raw_data().size() != bytes)
      return invalid_argument("tensor '" + name + "' raw_data has " + std::to_string(p.raw_data().size()) +
                              " bytes, shape " + shape_to_string(shape) + " of " + dtype_name(dtype) +
                              " needs " + std::to_string(bytes));
    BRAID_ASSIGN_OR_RETURN(Tensor t, Tensor::empty(dtype, shape));
    if (bytes) std::memcpy(t.raw_data(), p.raw_data().data(), bytes);
    return t;
  }
  if (typed_field_size(p, dtype) != n)
    return invalid_argument("tensor '" + name + "' has " + std::to_string(typed_field_size(p, dtype)) +
                            " values for shape " + shape_to_string(shape));
  BRAID_ASSIGN_OR_RETURN(Tensor t, Tensor::empty(dtype, shape));
  Status s;
  switch (dtype) {
    case DataType::kFloat32: s = copy_field<float>(t, p.float_data(), name); break;
    case DataType::kFloat64: s = copy_field<double>(t, p.double_data(), name); break;
    case DataType::kInt64: s = copy_field<int64_t>(t, p.int64_data(), name); break;
    case DataType::kUInt32: s = copy_field<uint32_t>(t, p.uint64_data(), name); break;
    case DataType::kUInt64: s = copy_field<uint64_t>(t, p.uint64_data(), name); break;
    case DataType::kInt32: s = copy_field<int32_t>(t, p.int32_data(), name); break;
    case DataType::kInt16: s = copy_field<int16_t>(t, p.int32_data(), name); break;
    case DataType::kUInt16: case DataType::kFloat16: case DataType::kBFloat16:
      s = copy_field<uint16_t>(t, p.int32_data(), name); break;
    case DataType::kInt8: s = copy_field<int8_t>(t, p.int32_data(), name); break;
    case DataType::kUInt8: s = copy_field<uint8_t>(t, p.int32_data(), name); break;
    case DataType::kBool: {
      if (static_cast<int64_t>(p.int32_data_size()) != t.numel())
        return invalid_argument("tensor '" + name + "' has wrong bool element count");
      auto* out = t.data<uint8_t>();
      for (int64_t i = 0; i < t.numel(); ++i) out[i] = p.int32_data(static_cast<int>(i)) != 0;
      break;
    }
    default: return internal_error("unhandled dtype");
  }
  if (!s.ok()) return s;
  return t;
}

}  // namespace braid::detail

namespace braid {

Result<Tensor> parse_tensor_proto(const void* data, size_t size) {
  if (size > static_cast<size_t>(INT32_MAX)) return invalid_argument("tensor file is larger than 2 GiB");
  onnx::TensorProto proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size)))
    return invalid_argument("not a valid onnx TensorProto (truncated or corrupt)");
  return detail::tensor_from_proto(proto, "");
}

Result<Tensor> read_tensor_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid_argument("cannot open tensor file " + path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto t = parse_tensor_proto(bytes.data(), bytes.size());
  if (!t.ok()) return t.status().with_context(path);
  return t;
}

}  // namespace braid
