// Test helpers for the misc kernel family: OpRunner builds a one-node detail::Graph,
// creates the registered kernel for it and runs it, so tests exercise exactly what a
// session would (load-time validation included) without the ONNX importer.
//
//   OpRunner op("MaxPool", 12);
//   op.attr(ints("kernel_shape", {3, 3})).input(x);
//   auto out = op.run();  // Result<std::vector<Tensor>>
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "braid/tensor.h"
#include "ir/graph.h"
#include "kernels/op_kernel.h"
#include "kernels/registry.h"

namespace braid::misc_test {

inline detail::Attribute attr_int(std::string name, int64_t v) {
  detail::Attribute a;
  a.name = std::move(name);
  a.kind = detail::Attribute::Kind::kInt;
  a.i = v;
  return a;
}
inline detail::Attribute attr_float(std::string name, float v) {
  detail::Attribute a;
  a.name = std::move(name);
  a.kind = detail::Attribute::Kind::kFloat;
  a.f = v;
  return a;
}
inline detail::Attribute attr_string(std::string name, std::string v) {
  detail::Attribute a;
  a.name = std::move(name);
  a.kind = detail::Attribute::Kind::kString;
  a.s = std::move(v);
  return a;
}
inline detail::Attribute attr_ints(std::string name, std::vector<int64_t> v) {
  detail::Attribute a;
  a.name = std::move(name);
  a.kind = detail::Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}
inline detail::Attribute attr_floats(std::string name, std::vector<float> v) {
  detail::Attribute a;
  a.name = std::move(name);
  a.kind = detail::Attribute::Kind::kFloats;
  a.floats = std::move(v);
  return a;
}
inline detail::Attribute attr_strings(std::string name, std::vector<std::string> v) {
  detail::Attribute a;
  a.name = std::move(name);
  a.kind = detail::Attribute::Kind::kStrings;
  a.strings = std::move(v);
  return a;
}

class OpRunner {
 public:
  OpRunner(std::string op_type, int opset, int num_outputs = 1) {
    node_.op_type = std::move(op_type);
    node_.name = "n0";
    node_.opset = opset;
    for (int i = 0; i < num_outputs; ++i) add_output(true);
  }

  OpRunner& attr(detail::Attribute a) {
    node_.attributes.push_back(std::move(a));
    return *this;
  }
  // A run-time input (declared dtype and static shape), or a constant initializer.
  OpRunner& input(const Tensor& t, bool constant = false) {
    detail::Value v;
    v.name = "in" + std::to_string(node_.inputs.size());
    v.dtype = t.dtype();
    std::vector<detail::Dim> dims;
    for (int64_t d : t.shape()) dims.push_back(detail::Dim{d, {}});
    v.shape = dims;
    if (constant) v.constant = t;
    node_.inputs.push_back(graph_.add_value(std::move(v)));
    feeds_.push_back(constant ? Tensor() : t);
    return *this;
  }
  OpRunner& constant(const Tensor& t) { return input(t, true); }
  OpRunner& omitted() {
    node_.inputs.push_back(detail::kNoValue);
    feeds_.push_back(Tensor());
    return *this;
  }
  // Marks output i as omitted (an empty name in ONNX).
  OpRunner& omit_output(size_t i) {
    node_.outputs[i] = detail::kNoValue;
    return *this;
  }
  OpRunner& output_dtype(size_t i, DataType d) {
    graph_.values[node_.outputs[i]].dtype = d;
    return *this;
  }

  // Creates the kernel (load-time validation).
  Status load() {
    graph_.nodes = {node_};
    const detail::KernelDef* def = detail::OpRegistry::global().find("", node_.op_type, node_.opset);
    if (def == nullptr) return unsupported_op("no kernel for " + node_.op_type);
    detail::KernelInit init{&graph_, &graph_.nodes[0]};
    auto k = def->create(init);
    if (!k.ok()) return k.status();
    kernel_ = std::move(k).value();
    return {};
  }

  // Loads (once) and runs; omitted outputs come back undefined.
  Result<std::vector<Tensor>> run(int max_threads = 1) {
    if (!kernel_) BRAID_RETURN_IF_ERROR(load());
    const detail::Node& node = graph_.nodes[0];
    std::vector<const Tensor*> inputs;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i] == detail::kNoValue) inputs.push_back(nullptr);
      else if (graph_.values[node.inputs[i]].constant) inputs.push_back(&*graph_.values[node.inputs[i]].constant);
      else inputs.push_back(&feeds_[i]);
    }
    std::vector<Tensor> outputs(node.outputs.size());
    detail::KernelContext ctx;
    ctx.node = &node;
    ctx.inputs = std::span<const Tensor* const>(inputs.data(), inputs.size());
    ctx.outputs = std::span<Tensor>(outputs.data(), outputs.size());
    ctx.max_threads = max_threads;
    BRAID_RETURN_IF_ERROR(kernel_->compute(ctx));
    return outputs;
  }

 private:
  void add_output(bool present) {
    detail::Value v;
    v.name = "out" + std::to_string(node_.outputs.size());
    node_.outputs.push_back(present ? graph_.add_value(std::move(v)) : detail::kNoValue);
  }

  detail::Graph graph_;
  detail::Node node_;
  std::vector<Tensor> feeds_;
  std::unique_ptr<detail::OpKernel> kernel_;
};

template <class T>
Tensor make_tensor(Shape shape, const std::vector<T>& values) {
  return Tensor::from_vector<T>(std::move(shape), values).value();
}

// Seeded uniform values in [lo, hi).
inline std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1, float hi = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

inline int64_t numel_of(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

inline Tensor random_tensor(Shape shape, uint32_t seed, float lo = -1, float hi = 1) {
  return make_tensor<float>(shape, random_floats(static_cast<size_t>(numel_of(shape)), seed, lo, hi));
}

// Element i of a float / double / small integer tensor as double.
inline double at(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kFloat32: return t.data<float>()[i];
    case DataType::kFloat64: return t.data<double>()[i];
    case DataType::kUInt8: return t.data<uint8_t>()[i];
    case DataType::kInt8: return t.data<int8_t>()[i];
    case DataType::kInt32: return t.data<int32_t>()[i];
    case DataType::kInt64: return static_cast<double>(t.data<int64_t>()[i]);
    default: ADD_FAILURE() << "unexpected dtype " << dtype_name(t.dtype()); return 0;
  }
}

// Expects `actual` (float32/float64) to match the double reference within tolerance.
inline void expect_close(const Tensor& actual, const std::vector<double>& expected, const Shape& shape,
                         double rtol = 1e-5, double atol = 1e-5, const std::string& what = "") {
  ASSERT_EQ(actual.shape(), shape) << what;
  ASSERT_EQ(static_cast<size_t>(actual.numel()), expected.size()) << what;
  int bad = 0;
  for (int64_t i = 0; i < actual.numel() && bad < 5; ++i) {
    const double a = at(actual, i), e = expected[i];
    if (!(std::abs(a - e) <= atol + rtol * std::abs(e))) {
      ADD_FAILURE() << what << " element " << i << ": got " << a << ", expected " << e;
      ++bad;
    }
  }
}

// Expects a load or run failure with this code whose message mentions `needle`.
template <class R>
void expect_error(const R& r, StatusCode code, const std::string& needle) {
  Status s;
  if constexpr (std::is_same_v<R, Status>) s = r;
  else s = r.status();
  ASSERT_FALSE(s.ok()) << "expected an error mentioning '" << needle << "'";
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("n0"), std::string::npos) << "message should name the node: " << s.to_string();
}

}  // namespace braid::misc_test
