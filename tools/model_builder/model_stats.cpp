// FLOP and parameter counts of a model; see model_stats.h.
#include "model_stats.h"

#include <cstdio>
#include <unordered_map>
#include <vector>

#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

namespace braid::modelgen {

namespace {

using Dims = std::vector<int64_t>;

int64_t product(const Dims& d) {
  int64_t n = 1;
  for (int64_t x : d) n *= x;
  return n;
}

void collect(const onnx::ValueInfoProto& vi, std::unordered_map<std::string, Dims>& shapes) {
  Dims d;
  for (const auto& dim : vi.type().tensor_type().shape().dim()) d.push_back(dim.has_dim_value() ? dim.dim_value() : 0);
  shapes[vi.name()] = std::move(d);
}

}  // namespace

ModelStats model_stats(const onnx::ModelProto& model) {
  onnx::ModelProto m = model;
  try {
    onnx::shape_inference::InferShapes(m);
  } catch (const std::exception&) {
    // counts below use whatever shapes are known
  }
  std::unordered_map<std::string, Dims> shapes;
  for (const auto& vi : m.graph().value_info()) collect(vi, shapes);
  for (const auto& vi : m.graph().input()) collect(vi, shapes);
  for (const auto& vi : m.graph().output()) collect(vi, shapes);
  ModelStats s;
  for (const auto& t : m.graph().initializer()) {
    shapes[t.name()] = Dims(t.dims().begin(), t.dims().end());
    s.params_m += static_cast<double>(product(shapes[t.name()])) / 1e6;
  }
  auto shape_of = [&shapes](const std::string& name) -> const Dims* {
    auto it = shapes.find(name);
    return it == shapes.end() ? nullptr : &it->second;
  };
  double mac = 0.0;
  double other = 0.0;
  for (const auto& n : m.graph().node()) {
    ++s.op_counts[n.op_type()];
    const Dims* out = n.output_size() > 0 ? shape_of(n.output(0)) : nullptr;
    const double numel = out != nullptr ? static_cast<double>(product(*out)) : 0.0;
    const Dims* in0 = n.input_size() > 0 ? shape_of(n.input(0)) : nullptr;
    const std::string& op = n.op_type();
    if (op == "Conv") {
      const Dims* w = n.input_size() > 1 ? shape_of(n.input(1)) : nullptr;
      if (w != nullptr && w->size() >= 3) mac += 2.0 * numel * static_cast<double>(product(Dims(w->begin() + 1, w->end())));
    } else if (op == "MatMul" || op == "Gemm") {
      if (in0 != nullptr && !in0->empty()) mac += 2.0 * numel * static_cast<double>(in0->back());
    } else if (op == "MaxPool") {
      int64_t k = 1;
      for (const auto& a : n.attribute()) {
        if (a.name() == "kernel_shape") {
          for (int64_t v : a.ints()) k *= v;
        }
      }
      other += numel * static_cast<double>(k);
    } else if (op == "GlobalAveragePool") {
      if (in0 != nullptr) other += static_cast<double>(product(*in0));
    } else if (op == "Softmax") {
      other += 5.0 * numel;
    } else {
      other += numel;
    }
  }
  s.nodes = m.graph().node_size();
  s.mac_gflop = mac / 1e9;
  s.other_gflop = other / 1e9;
  return s;
}

std::string to_json(const ModelStats& s) {
  std::string ops;
  for (const auto& [op, count] : s.op_counts) {
    if (!ops.empty()) ops += ", ";
    ops += "\"" + op + "\": " + std::to_string(count);
  }
  char nums[160];
  std::snprintf(nums, sizeof nums, "\"gemm_conv_gflop\": %.4f, \"other_gflop\": %.4f, \"params_m\": %.3f",
                s.mac_gflop, s.other_gflop, s.params_m);
  return "{\"nodes\": " + std::to_string(s.nodes) + ", \"ops\": {" + ops + "}, " + nums + "}";
}

}  // namespace braid::modelgen
