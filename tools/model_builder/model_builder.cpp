// GraphBuilder over onnx::ModelProto; see model_builder.h.
#include "model_builder.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <exception>
#include <fstream>
#include <numbers>
#include <unordered_set>
#include <utility>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "onnx/checker.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

namespace braid::modelgen {

static_assert(std::endian::native == std::endian::little, "raw tensor data is written little-endian");

namespace {

constexpr int64_t kIrVersion = 8;
constexpr float kMinMagnitude = 1e-6f;  // smallest |weight|; keeps weights far from denormals

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* p) {
  p->set_name(name);
  p->set_data_type(static_cast<int32_t>(t.dtype));
  for (int64_t d : t.dims) p->add_dims(d);
  p->set_raw_data(reinterpret_cast<const char*>(t.raw.data()), t.raw.size());
}

void to_proto(const Shape& shape, DType dtype, const std::string& name, onnx::ValueInfoProto* vi) {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(static_cast<int32_t>(dtype));
  auto* sh = tt->mutable_shape();
  for (const Dim& d : shape) {
    auto* dim = sh->add_dim();
    if (d.symbolic()) {
      dim->set_dim_param(d.param);
    } else {
      dim->set_dim_value(d.value);
    }
  }
}

void to_proto(const Attribute& a, onnx::AttributeProto* p) {
  p->set_name(a.name);
  std::visit(
      [p](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          p->set_type(onnx::AttributeProto::INT);
          p->set_i(v);
        } else if constexpr (std::is_same_v<T, float>) {
          p->set_type(onnx::AttributeProto::FLOAT);
          p->set_f(v);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          p->set_type(onnx::AttributeProto::INTS);
          for (int64_t x : v) p->add_ints(x);
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          p->set_type(onnx::AttributeProto::FLOATS);
          for (float x : v) p->add_floats(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          p->set_type(onnx::AttributeProto::STRING);
          p->set_s(v);
        } else {
          static_assert(std::is_same_v<T, Tensor>);
          p->set_type(onnx::AttributeProto::TENSOR);
          to_proto(v, "", p->mutable_t());
        }
      },
      a.value);
}

}  // namespace

// ------------------------------------------------------------------ DType, Tensor, attributes

std::size_t dtype_size(DType dtype) noexcept {
  switch (dtype) {
    case DType::kUint8:
    case DType::kInt8:
    case DType::kBool:
      return 1;
    case DType::kUint16:
    case DType::kInt16:
    case DType::kFloat16:
    case DType::kBFloat16:
      return 2;
    case DType::kFloat:
    case DType::kInt32:
    case DType::kUint32:
      return 4;
    case DType::kInt64:
    case DType::kDouble:
    case DType::kUint64:
      return 8;
    case DType::kUndefined:
      break;
  }
  return 0;
}

Tensor Tensor::from_floats(std::vector<int64_t> dims, std::span<const float> values) {
  Tensor t;
  t.dtype = DType::kFloat;
  t.dims = std::move(dims);
  t.raw.resize(values.size_bytes());
  if (!values.empty()) std::memcpy(t.raw.data(), values.data(), values.size_bytes());
  return t;
}

Tensor Tensor::from_int64s(std::vector<int64_t> dims, std::span<const int64_t> values) {
  Tensor t;
  t.dtype = DType::kInt64;
  t.dims = std::move(dims);
  t.raw.resize(values.size_bytes());
  if (!values.empty()) std::memcpy(t.raw.data(), values.data(), values.size_bytes());
  return t;
}

Tensor Tensor::scalar(float value) { return from_floats({}, std::span<const float>(&value, 1)); }

int64_t Tensor::numel() const noexcept {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

Attribute attr_int(std::string name, int64_t value) { return {std::move(name), value}; }
Attribute attr_float(std::string name, float value) { return {std::move(name), value}; }
Attribute attr_ints(std::string name, std::vector<int64_t> values) { return {std::move(name), std::move(values)}; }
Attribute attr_floats(std::string name, std::vector<float> values) { return {std::move(name), std::move(values)}; }
Attribute attr_string(std::string name, std::string value) { return {std::move(name), std::move(value)}; }
Attribute attr_tensor(std::string name, Tensor value) { return {std::move(name), std::move(value)}; }

// ------------------------------------------------------------------ Rng

Rng::Rng(uint64_t seed) noexcept {
  uint64_t x = seed;
  for (uint64_t& s : s_) {  // SplitMix64 expands the seed into the xoshiro state
    x += 0x9E3779B97F4A7C15ull;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    s = z ^ (z >> 31);
  }
}

uint64_t Rng::next_u64() noexcept {
  const uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = std::rotl(s_[3], 45);
  return result;
}

double Rng::uniform() noexcept { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::normal(double mean, double stddev) noexcept {
  if (has_spare_) {
    has_spare_ = false;
    return mean + stddev * spare_;
  }
  const double u1 = 1.0 - uniform();  // (0, 1]: log() stays finite
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  spare_ = r * std::sin(theta);
  has_spare_ = true;
  return mean + stddev * r * std::cos(theta);
}

// ------------------------------------------------------------------ GraphBuilder

struct GraphBuilder::Impl {
  Impl(std::string n, uint64_t seed) : name(std::move(n)), rng(seed) {}
  std::string name;
  Rng rng;
  int64_t counter = 0;
  onnx::GraphProto graph;
  bool ok = false;
  std::string error = "finish() not called";
};

GraphBuilder::GraphBuilder(std::string graph_name, uint64_t seed)
    : impl_(std::make_unique<Impl>(std::move(graph_name), seed)) {
  impl_->graph.set_name(impl_->name);
}
GraphBuilder::~GraphBuilder() = default;
GraphBuilder::GraphBuilder(GraphBuilder&&) noexcept = default;
GraphBuilder& GraphBuilder::operator=(GraphBuilder&&) noexcept = default;

std::string GraphBuilder::unique_name(std::string_view prefix) {
  return std::string(prefix) + "_" + std::to_string(++impl_->counter);
}

Rng& GraphBuilder::rng() noexcept { return impl_->rng; }

std::size_t GraphBuilder::node_count() const noexcept {
  return static_cast<std::size_t>(impl_->graph.node_size());
}

std::string GraphBuilder::input(std::string name, DType dtype, Shape shape) {
  to_proto(shape, dtype, name, impl_->graph.add_input());
  return name;
}

void GraphBuilder::output(std::string name, DType dtype, Shape shape) {
  to_proto(shape, dtype, name, impl_->graph.add_output());
}

std::string GraphBuilder::initializer(Tensor value, std::string_view prefix) {
  std::string name = unique_name(prefix);
  to_proto(value, name, impl_->graph.add_initializer());
  return name;
}

std::string GraphBuilder::initializer(std::vector<int64_t> dims, std::span<const float> values,
                                      std::string_view prefix) {
  return initializer(Tensor::from_floats(std::move(dims), values), prefix);
}

std::string GraphBuilder::initializer_i64(std::vector<int64_t> dims, std::span<const int64_t> values,
                                          std::string_view prefix) {
  return initializer(Tensor::from_int64s(std::move(dims), values), prefix);
}

std::string GraphBuilder::weight(std::vector<int64_t> dims, double stddev, std::string_view prefix) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  std::vector<float> w(static_cast<std::size_t>(n));
  for (float& x : w) {
    x = static_cast<float>(impl_->rng.normal(0.0, stddev));
    if (std::fabs(x) < kMinMagnitude) x = kMinMagnitude;  // no exact zeros, no denormals
  }
  return initializer(std::move(dims), w, prefix);
}

std::string GraphBuilder::he_weight(std::vector<int64_t> dims, int64_t fan_in, std::string_view prefix) {
  return weight(std::move(dims), std::sqrt(2.0 / static_cast<double>(fan_in)), prefix);
}

std::string GraphBuilder::bias(int64_t n, double stddev, std::string_view prefix) {
  return weight({n}, stddev, prefix);
}

std::vector<std::string> GraphBuilder::node(std::string_view op, std::vector<std::string> inputs, int n_outputs,
                                            Attributes attributes) {
  std::vector<std::string> outs;
  outs.reserve(static_cast<std::size_t>(n_outputs));
  const std::string out_prefix = lower(op);
  for (int i = 0; i < n_outputs; ++i) outs.push_back(unique_name(out_prefix));
  onnx::NodeProto* n = impl_->graph.add_node();
  n->set_op_type(std::string(op));
  n->set_name(unique_name("n_" + std::string(op)));
  for (auto& in : inputs) n->add_input(std::move(in));
  for (const auto& out : outs) n->add_output(out);
  // Sorted by name, as onnx.helper.make_node writes them.
  std::stable_sort(attributes.begin(), attributes.end(),
                   [](const Attribute& a, const Attribute& b) { return a.name < b.name; });
  for (const auto& a : attributes) to_proto(a, n->add_attribute());
  return outs;
}

std::string GraphBuilder::op(std::string_view op, std::vector<std::string> inputs, Attributes attributes) {
  return node(op, std::move(inputs), 1, std::move(attributes))[0];
}

std::string GraphBuilder::rename(const std::string& value, std::string new_name) {
  for (auto& n : *impl_->graph.mutable_node()) {
    for (auto& o : *n.mutable_output()) {
      if (o == value) o = new_name;
    }
    for (auto& i : *n.mutable_input()) {
      if (i == value) i = new_name;
    }
  }
  for (auto& o : *impl_->graph.mutable_output()) {
    if (o.name() == value) o.set_name(new_name);
  }
  return new_name;
}

// ---- layer helpers

std::string GraphBuilder::conv(const std::string& x, int64_t cin, int64_t cout, int64_t k, int64_t stride,
                               int64_t pad, int64_t group, bool relu, double wscale) {
  if (pad < 0) pad = k / 2;
  const int64_t fan_in = (cin / group) * k * k;
  const double stddev = std::sqrt(2.0 / static_cast<double>(fan_in)) * wscale;
  std::string w = weight({cout, cin / group, k, k}, stddev);
  std::string b = bias(cout);
  std::string y = op("Conv", {x, w, b},
                     {attr_ints("kernel_shape", {k, k}), attr_ints("strides", {stride, stride}),
                      attr_ints("pads", {pad, pad, pad, pad}), attr_int("group", group)});
  return relu ? op("Relu", {y}) : y;
}

std::string GraphBuilder::maxpool(const std::string& x, int64_t k, int64_t stride, int64_t pad) {
  return op("MaxPool", {x},
            {attr_ints("kernel_shape", {k, k}), attr_ints("strides", {stride, stride}),
             attr_ints("pads", {pad, pad, pad, pad})});
}

std::string GraphBuilder::global_avg_pool(const std::string& x) { return op("GlobalAveragePool", {x}); }

std::string GraphBuilder::flatten(const std::string& x) { return op("Flatten", {x}, {attr_int("axis", 1)}); }

std::string GraphBuilder::gemm(const std::string& x, int64_t kin, int64_t kout) {
  std::string w = weight({kout, kin}, std::sqrt(1.0 / static_cast<double>(kin)));
  std::string b = bias(kout);
  return op("Gemm", {x, w, b}, {attr_int("transB", 1)});
}

std::string GraphBuilder::linear(const std::string& x, int64_t kin, int64_t kout, bool relu, double stddev) {
  if (stddev <= 0.0) stddev = std::sqrt(2.0 / static_cast<double>(kin));
  std::string w = weight({kin, kout}, stddev);
  std::string b = bias(kout);
  std::string mm = op("MatMul", {x, w});
  std::string y = op("Add", {mm, b});
  return relu ? op("Relu", {y}) : y;
}

// ---- result

onnx::ModelProto GraphBuilder::finish(int64_t opset) {
  onnx::ModelProto m;
  m.set_ir_version(kIrVersion);
  m.set_producer_name("braid-modelgen");
  m.set_producer_version("1");
  auto* imp = m.add_opset_import();
  imp->set_domain("");
  imp->set_version(opset);
  *m.mutable_graph() = impl_->graph;

  impl_->ok = false;
  impl_->error.clear();
  const std::string where = "model '" + impl_->name + "': ";

  // Every graph output must be defined (the checker does not insist on it).
  std::unordered_set<std::string> defined;
  for (const auto& i : m.graph().input()) defined.insert(i.name());
  for (const auto& t : m.graph().initializer()) defined.insert(t.name());
  for (const auto& n : m.graph().node()) {
    for (const auto& o : n.output()) defined.insert(o);
  }
  for (const auto& o : m.graph().output()) {
    if (!defined.contains(o.name())) {
      impl_->error = where + "graph output '" + o.name() + "' is produced by nothing";
      return m;
    }
  }
  try {
    onnx::checker::check_model(m);
  } catch (const std::exception& e) {
    impl_->error = where + "onnx checker: " + e.what();
    return m;
  }
  try {
    onnx::ModelProto inferred = m;
    onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(/*check_type=*/true, /*strict=*/1));
  } catch (const std::exception& e) {
    impl_->error = where + "shape inference: " + e.what();
    return m;
  }
  impl_->ok = true;
  return m;
}

std::string GraphBuilder::serialize(int64_t opset) {
  onnx::ModelProto m = finish(opset);
  if (!impl_->ok) return {};
  return serialize_model(m);
}

bool GraphBuilder::write(const std::string& path, int64_t opset) {
  onnx::ModelProto m = finish(opset);
  if (!impl_->ok) return false;
  std::string error;
  if (!write_model(m, path, &error)) {
    impl_->ok = false;
    impl_->error = "model '" + impl_->name + "': " + error;
    return false;
  }
  return true;
}

bool GraphBuilder::ok() const noexcept { return impl_->ok; }
const std::string& GraphBuilder::error() const noexcept { return impl_->error; }

// ------------------------------------------------------------------ serialization

std::string serialize_model(const onnx::ModelProto& model) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream sos(&bytes);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);  // no map fields today; keeps it so if some appear
    if (!model.SerializeToCodedStream(&cos)) bytes.clear();  // only fails for > 2 GiB
  }
  return bytes;
}

bool write_model(const onnx::ModelProto& model, const std::string& path, std::string* error) {
  const std::string bytes = serialize_model(model);
  if (bytes.empty()) {
    if (error != nullptr) *error = "protobuf serialization failed (model over 2 GiB?)";
    return false;
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  f.close();
  if (!f) {
    if (error != nullptr) *error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace braid::modelgen
