#include "tensor_test_util.h"

#include <cstring>
#include <thread>

#include "kernels/op_kernel.h"
#include "kernels/registry.h"

namespace braid::testing {

OpTester& OpTester::input(Tensor t) {
  inputs_.push_back({std::move(t), false});
  return *this;
}
OpTester& OpTester::const_input(Tensor t) {
  inputs_.push_back({std::move(t), true});
  return *this;
}
OpTester& OpTester::omitted_input() {
  inputs_.push_back({std::nullopt, false});
  return *this;
}

namespace {
detail::Attribute named(const std::string& name, detail::Attribute::Kind kind) {
  detail::Attribute a;
  a.name = name;
  a.kind = kind;
  return a;
}
}  // namespace

OpTester& OpTester::attr_int(const std::string& name, int64_t v) {
  auto a = named(name, detail::Attribute::Kind::kInt);
  a.i = v;
  attrs_.push_back(std::move(a));
  return *this;
}
OpTester& OpTester::attr_ints(const std::string& name, std::vector<int64_t> v) {
  auto a = named(name, detail::Attribute::Kind::kInts);
  a.ints = std::move(v);
  attrs_.push_back(std::move(a));
  return *this;
}
OpTester& OpTester::attr_float(const std::string& name, float v) {
  auto a = named(name, detail::Attribute::Kind::kFloat);
  a.f = v;
  attrs_.push_back(std::move(a));
  return *this;
}
OpTester& OpTester::attr_floats(const std::string& name, std::vector<float> v) {
  auto a = named(name, detail::Attribute::Kind::kFloats);
  a.floats = std::move(v);
  attrs_.push_back(std::move(a));
  return *this;
}
OpTester& OpTester::attr_string(const std::string& name, std::string v) {
  auto a = named(name, detail::Attribute::Kind::kString);
  a.s = std::move(v);
  attrs_.push_back(std::move(a));
  return *this;
}
OpTester& OpTester::attr_tensor(const std::string& name, Tensor v) {
  auto a = named(name, detail::Attribute::Kind::kTensor);
  a.t = std::move(v);
  attrs_.push_back(std::move(a));
  return *this;
}
OpTester& OpTester::outputs(int n) {
  num_outputs_ = n;
  return *this;
}
OpTester& OpTester::omit_output(int i) {
  if (omitted_outputs_.size() <= static_cast<size_t>(i)) omitted_outputs_.resize(static_cast<size_t>(i) + 1, false);
  omitted_outputs_[static_cast<size_t>(i)] = true;
  return *this;
}
OpTester& OpTester::threads(int n) {
  threads_ = n;
  return *this;
}

Status OpTester::build(detail::Graph& g) const {
  detail::Node node;
  node.name = "n0";
  node.op_type = op_;
  node.opset = opset_;
  node.attributes = attrs_;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (!inputs_[i].t) {
      node.inputs.push_back(detail::kNoValue);
      continue;
    }
    detail::Value v;
    v.name = "in" + std::to_string(i);
    v.dtype = inputs_[i].t->dtype();
    if (inputs_[i].constant) v.constant = *inputs_[i].t;
    detail::ValueId id = g.add_value(std::move(v));
    if (!inputs_[i].constant) g.inputs.push_back(id);
    node.inputs.push_back(id);
  }
  for (int o = 0; o < num_outputs_; ++o) {
    if (static_cast<size_t>(o) < omitted_outputs_.size() && omitted_outputs_[static_cast<size_t>(o)]) {
      node.outputs.push_back(detail::kNoValue);
      continue;
    }
    detail::Value v;
    v.name = "out" + std::to_string(o);
    detail::ValueId id = g.add_value(std::move(v));
    g.outputs.push_back(id);
    node.outputs.push_back(id);
  }
  g.nodes.push_back(std::move(node));
  g.default_opset = opset_;
  return g.finalize();
}

Status OpTester::create() const {
  detail::Graph g;
  BRAID_RETURN_IF_ERROR(build(g));
  const detail::KernelDef* def = detail::OpRegistry::global().find("", op_, opset_);
  if (def == nullptr) return unsupported_op("no kernel for " + op_ + " at opset " + std::to_string(opset_));
  detail::KernelInit init{&g, &g.nodes[0]};
  auto k = def->create(init);
  return k.ok() ? Status() : k.status();
}

Result<std::vector<Tensor>> OpTester::run() const {
  detail::Graph g;
  BRAID_RETURN_IF_ERROR(build(g));
  const detail::KernelDef* def = detail::OpRegistry::global().find("", op_, opset_);
  if (def == nullptr) return unsupported_op("no kernel for " + op_ + " at opset " + std::to_string(opset_));
  const detail::Node& node = g.nodes[0];
  detail::KernelInit init{&g, &node};
  BRAID_ASSIGN_OR_RETURN(std::unique_ptr<detail::OpKernel> kernel, def->create(init));
  std::vector<const Tensor*> ins;
  for (const auto& in : inputs_) ins.push_back(in.t ? &*in.t : nullptr);
  std::vector<Tensor> outs(static_cast<size_t>(num_outputs_));
  detail::KernelContext ctx;
  ctx.node = &node;
  ctx.inputs = std::span<const Tensor* const>(ins.data(), ins.size());
  ctx.outputs = std::span<Tensor>(outs.data(), outs.size());
  ctx.max_threads = threads_;
  BRAID_RETURN_IF_ERROR(kernel->compute(ctx));
  for (size_t o = 0; o < outs.size(); ++o)
    if (node.outputs[o] != detail::kNoValue && !outs[o].defined())
      return internal_error("output " + std::to_string(o) + " not produced");
  return outs;
}

Result<std::vector<Tensor>> OpTester::run_concurrently(int callers, int rounds) const {
  detail::Graph g;
  BRAID_RETURN_IF_ERROR(build(g));
  const detail::KernelDef* def = detail::OpRegistry::global().find("", op_, opset_);
  if (def == nullptr) return unsupported_op("no kernel for " + op_);
  const detail::Node& node = g.nodes[0];
  detail::KernelInit init{&g, &node};
  BRAID_ASSIGN_OR_RETURN(std::unique_ptr<detail::OpKernel> kernel, def->create(init));
  std::vector<const Tensor*> ins;
  for (const auto& in : inputs_) ins.push_back(in.t ? &*in.t : nullptr);
  const size_t calls = static_cast<size_t>(callers) * static_cast<size_t>(rounds);
  std::vector<Tensor> firsts(calls);
  std::vector<Status> statuses(calls);
  std::vector<std::thread> threads;
  for (int t = 0; t < callers; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < rounds; ++r) {
        std::vector<Tensor> outs(static_cast<size_t>(num_outputs_));
        detail::KernelContext ctx;
        ctx.node = &node;
        ctx.inputs = std::span<const Tensor* const>(ins.data(), ins.size());
        ctx.outputs = std::span<Tensor>(outs.data(), outs.size());
        ctx.max_threads = threads_;
        const size_t slot = static_cast<size_t>(t) * static_cast<size_t>(rounds) + static_cast<size_t>(r);
        statuses[slot] = kernel->compute(ctx);
        firsts[slot] = outs[0];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const Status& st : statuses) BRAID_RETURN_IF_ERROR(st);
  return firsts;
}

Result<Tensor> OpTester::run1() const {
  BRAID_ASSIGN_OR_RETURN(std::vector<Tensor> outs, run());
  return outs.at(0);
}

int64_t RefTensor::flat(const std::vector<int64_t>& idx) const {
  int64_t f = 0;
  for (size_t d = 0; d < shape.size(); ++d) f = f * shape[d] + idx[d];
  return f;
}

std::vector<int64_t> RefTensor::unflat(int64_t i) const {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = shape[d] == 0 ? 0 : i % shape[d];
    i = shape[d] == 0 ? 0 : i / shape[d];
  }
  return idx;
}

namespace {
uint16_t to_half(float f) {
  // Exact for the small integers the tests use.
  if (f == 0) return 0;
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  int32_t e = static_cast<int32_t>((x >> 23) & 0xFF) - 127 + 15;
  uint32_t m = (x >> 13) & 0x3FFu;
  return static_cast<uint16_t>(sign | (static_cast<uint32_t>(e) << 10) | m);
}
float from_half(uint16_t h) {
  if ((h & 0x7FFF) == 0) return (h & 0x8000) ? -0.0f : 0.0f;
  uint32_t sign = (h & 0x8000u) << 16;
  uint32_t e = ((h >> 10) & 0x1Fu) - 15 + 127;
  uint32_t m = (h & 0x3FFu) << 13;
  uint32_t x = sign | (e << 23) | m;
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}
}  // namespace

Tensor RefTensor::to(DataType dt) const {
  Tensor t = Tensor::empty(dt, shape).value();
  for (size_t i = 0; i < v.size(); ++i) {
    double x = v[i];
    switch (dt) {
      case DataType::kFloat32: t.data<float>()[i] = static_cast<float>(x); break;
      case DataType::kFloat64: t.data<double>()[i] = x; break;
      case DataType::kInt8: t.data<int8_t>()[i] = static_cast<int8_t>(x); break;
      case DataType::kUInt8: t.data<uint8_t>()[i] = static_cast<uint8_t>(x); break;
      case DataType::kInt16: t.data<int16_t>()[i] = static_cast<int16_t>(x); break;
      case DataType::kUInt16: t.data<uint16_t>()[i] = static_cast<uint16_t>(x); break;
      case DataType::kInt32: t.data<int32_t>()[i] = static_cast<int32_t>(x); break;
      case DataType::kUInt32: t.data<uint32_t>()[i] = static_cast<uint32_t>(x); break;
      case DataType::kInt64: t.data<int64_t>()[i] = static_cast<int64_t>(x); break;
      case DataType::kUInt64: t.data<uint64_t>()[i] = static_cast<uint64_t>(x); break;
      case DataType::kBool: t.data<uint8_t>()[i] = x != 0; break;
      case DataType::kFloat16: t.data<uint16_t>()[i] = to_half(static_cast<float>(x)); break;
      case DataType::kBFloat16: {
        float f = static_cast<float>(x);
        uint32_t b;
        std::memcpy(&b, &f, 4);
        t.data<uint16_t>()[i] = static_cast<uint16_t>(b >> 16);
        break;
      }
      default: ADD_FAILURE() << "RefTensor::to: dtype " << dtype_name(dt);
    }
  }
  return t;
}

RefTensor RefTensor::from(const Tensor& t) {
  RefTensor r(t.shape());
  for (size_t i = 0; i < r.v.size(); ++i) {
    switch (t.dtype()) {
      case DataType::kFloat32: r.v[i] = t.data<float>()[i]; break;
      case DataType::kFloat64: r.v[i] = t.data<double>()[i]; break;
      case DataType::kInt8: r.v[i] = t.data<int8_t>()[i]; break;
      case DataType::kUInt8: r.v[i] = t.data<uint8_t>()[i]; break;
      case DataType::kInt16: r.v[i] = t.data<int16_t>()[i]; break;
      case DataType::kUInt16: r.v[i] = t.data<uint16_t>()[i]; break;
      case DataType::kInt32: r.v[i] = t.data<int32_t>()[i]; break;
      case DataType::kUInt32: r.v[i] = t.data<uint32_t>()[i]; break;
      case DataType::kInt64: r.v[i] = static_cast<double>(t.data<int64_t>()[i]); break;
      case DataType::kUInt64: r.v[i] = static_cast<double>(t.data<uint64_t>()[i]); break;
      case DataType::kBool: r.v[i] = t.data<uint8_t>()[i]; break;
      case DataType::kFloat16: r.v[i] = from_half(t.data<uint16_t>()[i]); break;
      case DataType::kBFloat16: {
        uint32_t b = static_cast<uint32_t>(t.data<uint16_t>()[i]) << 16;
        float f;
        std::memcpy(&f, &b, 4);
        r.v[i] = f;
        break;
      }
      default: ADD_FAILURE() << "RefTensor::from: dtype " << dtype_name(t.dtype());
    }
  }
  return r;
}

RefTensor RefTensor::iota(Shape s, int64_t mod) {
  RefTensor r(std::move(s));
  for (size_t i = 0; i < r.v.size(); ++i) r.v[i] = static_cast<double>(mod > 0 ? (i + 1) % mod : i + 1);
  return r;
}

Tensor make_f32(Shape s, std::vector<float> v) { return Tensor::from_vector(std::move(s), v).value(); }
Tensor make_i64(Shape s, std::vector<int64_t> v) { return Tensor::from_vector(std::move(s), v).value(); }
Tensor make_i32(Shape s, std::vector<int32_t> v) { return Tensor::from_vector(std::move(s), v).value(); }
Tensor make_bool(Shape s, std::vector<uint8_t> v) {
  Tensor t = Tensor::empty(DataType::kBool, std::move(s)).value();
  for (size_t i = 0; i < v.size(); ++i) t.data<uint8_t>()[i] = v[i];
  return t;
}

std::vector<DataType> movable_dtypes() {
  return {DataType::kFloat32, DataType::kFloat64, DataType::kInt8,   DataType::kUInt8,    DataType::kInt16,
          DataType::kUInt16,  DataType::kInt32,   DataType::kUInt32, DataType::kInt64,    DataType::kUInt64,
          DataType::kBool,    DataType::kFloat16, DataType::kBFloat16};
}

}  // namespace braid::testing
