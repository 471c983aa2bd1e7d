// GraphBuilder: writes small ONNX models from C++ through the onnx protobuf types. Used at
// build time for Braid's bundled benchmark workloads (workloads.h) and by tests that need a
// graph of their own. A build-time/test library (`braid_modelgen`), not part of `braid`.
//
//   braid::modelgen::GraphBuilder g("tiny", /*seed=*/7);
//   g.input("x", DType::kFloat, {"batch", 16});
//   std::string w = g.weight({16, 8}, /*fan_in=*/16);        // He-style normal, seeded
//   std::string y = g.op("Relu", {g.op("MatMul", {"x", w})});
//   g.output(g.rename(y, "y"), DType::kFloat, {"batch", 8});
//   if (!g.write("tiny.onnx")) std::cerr << g.error() << "\n";
//
// The header stays free of protobuf: onnx::ModelProto is only forward-declared; include
// "onnx/onnx_pb.h" to use the value finish() returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace onnx {
class ModelProto;
}  // namespace onnx

namespace braid::modelgen {

// Element types, numbered as onnx::TensorProto::DataType so conversion is a cast.
enum class DType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
  kBFloat16 = 16,
};

// Size in bytes of one element (0 for kUndefined).
std::size_t dtype_size(DType dtype) noexcept;

// One dimension of a graph input/output shape: a fixed size or a symbolic name ("batch").
struct Dim {
  int64_t value = -1;  // used when param is empty
  std::string param;   // symbolic name, e.g. "batch"

  Dim(int64_t v) : value(v) {}                      // NOLINT(google-explicit-constructor)
  Dim(int v) : value(v) {}                          // NOLINT(google-explicit-constructor)
  Dim(const char* p) : param(p) {}                  // NOLINT(google-explicit-constructor)
  Dim(std::string p) : param(std::move(p)) {}       // NOLINT(google-explicit-constructor)
  bool symbolic() const noexcept { return !param.empty(); }
};
using Shape = std::vector<Dim>;

// A dense tensor value (initializer or tensor attribute): dtype, dims and little-endian raw
// bytes. Empty dims is a scalar.
struct Tensor {
  DType dtype = DType::kFloat;
  std::vector<int64_t> dims;
  std::vector<std::byte> raw;

  static Tensor from_floats(std::vector<int64_t> dims, std::span<const float> values);
  static Tensor from_int64s(std::vector<int64_t> dims, std::span<const int64_t> values);
  static Tensor scalar(float value);
  // Element count implied by dims (1 for a scalar).
  int64_t numel() const noexcept;
};

// A node attribute. Build one with the attr_* helpers below.
struct Attribute {
  using Value = std::variant<int64_t, float, std::vector<int64_t>, std::vector<float>, std::string, Tensor>;
  std::string name;
  Value value;
};
using Attributes = std::vector<Attribute>;

Attribute attr_int(std::string name, int64_t value);
Attribute attr_float(std::string name, float value);
Attribute attr_ints(std::string name, std::vector<int64_t> values);
Attribute attr_floats(std::string name, std::vector<float> values);
Attribute attr_string(std::string name, std::string value);
Attribute attr_tensor(std::string name, Tensor value);

// Deterministic random numbers, identical on every platform and compiler: xoshiro256**
// seeded through SplitMix64, normals by Box-Muller (no std:: distributions, whose output is
// implementation-defined). Not thread-safe.
class Rng {
 public:
  explicit Rng(uint64_t seed) noexcept;
  uint64_t next_u64() noexcept;
  double uniform() noexcept;  // [0, 1)
  double normal(double mean, double stddev) noexcept;

 private:
  uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// Builds one graph. Names of values it creates are "<prefix>_<n>" with one counter for the
// whole graph, so a builder driven the same way always writes the same bytes.
// Not thread-safe.
class GraphBuilder {
 public:
  GraphBuilder(std::string graph_name, uint64_t seed);
  ~GraphBuilder();
  GraphBuilder(GraphBuilder&&) noexcept;
  GraphBuilder& operator=(GraphBuilder&&) noexcept;
  GraphBuilder(const GraphBuilder&) = delete;
  GraphBuilder& operator=(const GraphBuilder&) = delete;

  // ---- graph interface
  // Declares a graph input; returns its name.
  std::string input(std::string name, DType dtype, Shape shape);
  // Declares a graph output. `name` must be produced by a node, an input or an initializer.
  void output(std::string name, DType dtype, Shape shape);

  // ---- constants and weights (all become initializers)
  std::string initializer(Tensor value, std::string_view prefix = "c");
  std::string initializer(std::vector<int64_t> dims, std::span<const float> values,
                          std::string_view prefix = "c");
  std::string initializer_i64(std::vector<int64_t> dims, std::span<const int64_t> values,
                              std::string_view prefix = "c");
  // Seeded normal(0, stddev) weights; |w| < 1e-6 becomes 1e-6 (no zeros, no denormals).
  std::string weight(std::vector<int64_t> dims, double stddev, std::string_view prefix = "w");
  // He-style: stddev = sqrt(2 / fan_in).
  std::string he_weight(std::vector<int64_t> dims, int64_t fan_in, std::string_view prefix = "w");
  // normal(0, stddev) vector of length n, same no-zero rule.
  std::string bias(int64_t n, double stddev = 0.05, std::string_view prefix = "b");
  // The builder's generator, for values that need custom shaping (e.g. LayerNorm gamma).
  Rng& rng() noexcept;

  // ---- nodes
  // Appends a node; returns the names of its n_outputs fresh outputs.
  std::vector<std::string> node(std::string_view op, std::vector<std::string> inputs, int n_outputs = 1,
                                Attributes attributes = {});
  // Single-output shorthand for node().
  std::string op(std::string_view op, std::vector<std::string> inputs, Attributes attributes = {});
  // Renames a value produced by a node (e.g. to give the graph output a stable name), updating
  // its consumers; returns new_name.
  std::string rename(const std::string& value, std::string new_name);
  // A fresh "<prefix>_<n>" name.
  std::string unique_name(std::string_view prefix);
  std::size_t node_count() const noexcept;

  // ---- layer helpers (NCHW, f32), the vocabulary of the bundled workloads
  // Conv with He weights (scaled by wscale), normal(0, 0.05) bias, pads k/2 unless given.
  std::string conv(const std::string& x, int64_t cin, int64_t cout, int64_t k, int64_t stride = 1,
                   int64_t pad = -1, int64_t group = 1, bool relu = true, double wscale = 1.0);
  std::string maxpool(const std::string& x, int64_t k, int64_t stride, int64_t pad = 0);
  std::string global_avg_pool(const std::string& x);
  std::string flatten(const std::string& x);
  // Gemm(x, W^T) + b with W [kout, kin], stddev sqrt(1/kin).
  std::string gemm(const std::string& x, int64_t kin, int64_t kout);
  // MatMul(x, W) + b with W [kin, kout]; stddev sqrt(2/kin) unless given (> 0).
  std::string linear(const std::string& x, int64_t kin, int64_t kout, bool relu = false,
                     double stddev = -1.0);

  // ---- result
  // Assembles the model (IR version 8, default-domain opset `opset`), runs
  // onnx::checker::check_model and strict shape inference, and returns it. ok() says whether
  // the checks passed; error() says why not. The builder stays usable (nodes can be added
  // and finish() called again).
  onnx::ModelProto finish(int64_t opset = 13);
  // finish(opset) and, when the checks pass, writes the serialized model (deterministic
  // serialization) to `path`. False with error() set otherwise.
  bool write(const std::string& path, int64_t opset = 13);
  // finish(opset) serialized deterministically; empty with error() set when checks fail.
  std::string serialize(int64_t opset = 13);
  bool ok() const noexcept;
  const std::string& error() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Serializes `model` deterministically (same message, same bytes). Thread-safe.
std::string serialize_model(const onnx::ModelProto& model);
// Writes serialize_model(model) to `path`; false with *error set (when given) on failure.
// Thread-safe.
bool write_model(const onnx::ModelProto& model, const std::string& path, std::string* error = nullptr);

}  // namespace braid::modelgen
