#include "inputs.h"

#include <cstring>
#include <random>

namespace braid::bench {
namespace {

std::string input_names(const Session& s) {
  std::string names;
  for (const TensorInfo& info : s.inputs()) names += (names.empty() ? "" : ", ") + info.name;
  return names;
}

const TensorInfo* find_input(const Session& s, const std::string& name) {
  for (const TensorInfo& info : s.inputs())
    if (info.name == name) return &info;
  return nullptr;
}

}  // namespace

Result<Shape> input_shape(const TensorInfo& info, const BenchOptions& o) {
  for (const InputShape& given : o.shapes) {
    if (given.name != info.name) continue;
    if (info.has_shape && given.dims.size() != info.shape.size())
      return invalid_argument("--shape " + info.name + " has rank " + std::to_string(given.dims.size()) +
                              ", the model's input has rank " + std::to_string(info.shape.size()));
    for (size_t d = 0; info.has_shape && d < given.dims.size(); ++d)
      if (info.shape[d] >= 0 && info.shape[d] != given.dims[d])
        return invalid_argument("--shape " + info.name + " sets dim " + std::to_string(d) + " to " +
                                std::to_string(given.dims[d]) + " but the model fixes it at " +
                                std::to_string(info.shape[d]));
    return Shape(given.dims);
  }
  Shape shape;
  for (size_t d = 0; d < info.shape.size(); ++d) {
    const int64_t dim = info.shape[d];
    shape.push_back(dim >= 0 ? dim : (d == 0 && o.batch > 0 ? o.batch : 1));
  }
  return shape;
}

Result<NamedTensors> make_inputs(const Session& s, const BenchOptions& o) {
  for (const InputShape& given : o.shapes)
    if (!find_input(s, given.name))
      return invalid_argument("--shape names no input of the model: '" + given.name + "' (inputs: " + input_names(s) + ")");
  NamedTensors in;
  for (const InputFile& f : o.input_files) {
    std::string name = f.name;
    if (name.empty()) {
      if (s.inputs().size() != 1)
        return invalid_argument("--input " + f.path + " needs NAME= (the model has " +
                                std::to_string(s.inputs().size()) + " inputs: " + input_names(s) + ")");
      name = s.inputs()[0].name;
    }
    const TensorInfo* info = find_input(s, name);
    if (!info) return invalid_argument("--input names no input of the model: '" + name + "' (inputs: " + input_names(s) + ")");
    auto t = read_tensor_file(f.path);
    if (!t.ok()) return t.status().with_context("--input " + f.path);
    if (t->dtype() != info->dtype)
      return invalid_argument("--input " + f.path + " holds " + dtype_name(t->dtype()) + ", input '" + name +
                              "' takes " + dtype_name(info->dtype));
    in[name] = std::move(t).value();
  }
  std::mt19937 rng(o.seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const TensorInfo& info : s.inputs()) {
    if (in.count(info.name)) continue;
    BRAID_ASSIGN_OR_RETURN(Shape shape, input_shape(info, o));
    BRAID_ASSIGN_OR_RETURN(Tensor t, Tensor::empty(info.dtype, shape));
    if (info.dtype == DataType::kFloat32) {
      for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
    } else {
      std::memset(t.raw_data(), 0, t.byte_size());
    }
    in[info.name] = std::move(t);
  }
  return in;
}

}  // namespace braid::bench
