#include "elementwise_test_util.h"

#include <cstring>
#include <random>

#include "kernels/cpu_features.h"
#include "kernels/op_kernel.h"
#include "kernels/ops/elementwise_half.h"
#include "kernels/registry.h"

namespace braid::ewtest {

using detail::Attribute;

Attribute attr_int(const std::string& name, int64_t v) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kInt;
  a.i = v;
  return a;
}
Attribute attr_float(const std::string& name, float v) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kFloat;
  a.f = v;
  return a;
}
Attribute attr_string(const std::string& name, const std::string& v) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kString;
  a.s = v;
  return a;
}
Attribute attr_ints(const std::string& name, std::vector<int64_t> v) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}

Result<std::vector<Tensor>> run_op(const OpCall& call) {
  detail::Graph g;
  g.default_opset = call.opset;
  detail::Node node;
  node.name = "n0";
  node.op_type = call.op;
  node.opset = call.opset;
  node.attributes = call.attributes;
  for (size_t i = 0; i < call.inputs.size(); ++i) {
    if (!call.inputs[i]) {
      node.inputs.push_back(detail::kNoValue);
      continue;
    }
    detail::Value v;
    v.name = "in" + std::to_string(i);
    if (call.declare_dtypes) v.dtype = call.inputs[i]->dtype();
    if (call.constant_inputs && i > 0) v.constant = *call.inputs[i];
    node.inputs.push_back(g.add_value(std::move(v)));
  }
  for (size_t i = 0; i < call.num_outputs; ++i) {
    detail::Value v;
    v.name = "out" + std::to_string(i);
    node.outputs.push_back(g.add_value(std::move(v)));
  }
  g.nodes.push_back(node);
  BRAID_RETURN_IF_ERROR(g.finalize());
  const detail::KernelDef* def = detail::OpRegistry::global().find("", call.op, call.opset);
  if (def == nullptr) return unsupported_op("no kernel for " + call.op);
  detail::KernelInit init{&g, &g.nodes[0]};
  BRAID_ASSIGN_OR_RETURN(std::unique_ptr<detail::OpKernel> kernel, def->create(init));
  std::vector<const Tensor*> ins;
  for (const auto& t : call.inputs) ins.push_back(t ? &*t : nullptr);
  std::vector<Tensor> outs(call.num_outputs);
  detail::KernelContext ctx;
  ctx.node = &g.nodes[0];
  ctx.inputs = std::span<const Tensor* const>(ins.data(), ins.size());
  ctx.outputs = std::span<Tensor>(outs.data(), outs.size());
  ctx.max_threads = call.max_threads;
  BRAID_RETURN_IF_ERROR(kernel->compute(ctx));
  return outs;
}

Tensor make_tensor(DataType dtype, const Shape& shape, const std::vector<double>& values) {
  Tensor t = Tensor::empty(dtype, shape).value();
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double v = values[static_cast<size_t>(i)];
    switch (dtype) {
      case DataType::kFloat32: t.data<float>()[i] = static_cast<float>(v); break;
      case DataType::kFloat64: t.data<double>()[i] = v; break;
      case DataType::kFloat16: t.data<uint16_t>()[i] = detail::ew::float_to_half(static_cast<float>(v)); break;
      case DataType::kBFloat16: t.data<uint16_t>()[i] = detail::ew::float_to_bfloat16(static_cast<float>(v)); break;
      case DataType::kInt8: t.data<int8_t>()[i] = static_cast<int8_t>(v); break;
      case DataType::kInt16: t.data<int16_t>()[i] = static_cast<int16_t>(v); break;
      case DataType::kInt32: t.data<int32_t>()[i] = static_cast<int32_t>(v); break;
      case DataType::kInt64: t.data<int64_t>()[i] = static_cast<int64_t>(v); break;
      case DataType::kUInt8: t.data<uint8_t>()[i] = static_cast<uint8_t>(v); break;
      case DataType::kUInt16: t.data<uint16_t>()[i] = static_cast<uint16_t>(v); break;
      case DataType::kUInt32: t.data<uint32_t>()[i] = static_cast<uint32_t>(v); break;
      case DataType::kUInt64: t.data<uint64_t>()[i] = static_cast<uint64_t>(v); break;
      case DataType::kBool: t.data<bool>()[i] = v != 0; break;
      default: break;
    }
  }
  return t;
}

Tensor make_bool(const Shape& shape, const std::vector<bool>& values) {
  Tensor t = Tensor::empty(DataType::kBool, shape).value();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<bool>()[i] = values[static_cast<size_t>(i)];
  return t;
}

std::vector<double> random_values(int64_t n, uint32_t seed, double lo, double hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(static_cast<size_t>(n));
  for (double& x : v) x = dist(rng);
  return v;
}

double element(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kFloat32: return t.data<float>()[i];
    case DataType::kFloat64: return t.data<double>()[i];
    case DataType::kFloat16: return detail::ew::half_to_float(t.data<uint16_t>()[i]);
    case DataType::kBFloat16: return detail::ew::bfloat16_to_float(t.data<uint16_t>()[i]);
    case DataType::kInt8: return t.data<int8_t>()[i];
    case DataType::kInt16: return t.data<int16_t>()[i];
    case DataType::kInt32: return t.data<int32_t>()[i];
    case DataType::kInt64: return static_cast<double>(t.data<int64_t>()[i]);
    case DataType::kUInt8: return t.data<uint8_t>()[i];
    case DataType::kUInt16: return t.data<uint16_t>()[i];
    case DataType::kUInt32: return t.data<uint32_t>()[i];
    case DataType::kUInt64: return static_cast<double>(t.data<uint64_t>()[i]);
    case DataType::kBool: return t.data<bool>()[i] ? 1.0 : 0.0;
    default: return 0.0;
  }
}

std::vector<double> elements(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = element(t, i);
  return v;
}

int64_t numel_of(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

int64_t broadcast_source(const Shape& out_shape, const Shape& in_shape, int64_t o) {
  const size_t lead = out_shape.size() - in_shape.size();
  int64_t off = 0, stride = 1;
  for (size_t d = out_shape.size(); d-- > 0;) {
    const int64_t idx = o % out_shape[d];
    o /= out_shape[d];
    if (d < lead) continue;
    const int64_t in_dim = in_shape[d - lead];
    if (in_dim != 1) off += idx * stride;
    stride *= in_dim;
  }
  return off;
}

std::vector<const char*> available_isas() {
  detail::set_isa_cap_for_testing("");
  const detail::CpuFeatures f = detail::cpu_features();
  std::vector<const char*> isas = {"scalar"};
  if (f.has_avx2_fma()) isas.push_back("avx2");
  if (f.has_avx512() && f.fma) isas.push_back("avx512");
  return isas;
}

}  // namespace braid::ewtest
