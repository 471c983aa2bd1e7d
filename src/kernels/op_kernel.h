// The kernel interface: one OpKernel object per graph node, created at load time by the
// factory registered for its (domain, op_type, opset). Creating it parses attributes and
// prepacks constant weights; compute() then runs with one virtual call per invocation.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "braid/precision.h"
#include "braid/status.h"
#include "braid/tensor.h"
#include "ir/graph.h"

namespace braid::detail {

// What a kernel sees when it runs: its inputs, room for its outputs, its thread budget.
struct KernelContext {
  const Node* node = nullptr;
  std::span<const Tensor* const> inputs;  // nullptr entries for omitted optional inputs
  std::span<Tensor> outputs;              // one per node output; kernels fill them
  int max_threads = 1;                    // intra-op threads this invocation may use
  // Arithmetic for this invocation; only a precision in the kernel's precisions() mask
  // is ever passed (the executor falls back to f32 otherwise).
  Precision precision = Precision::kF32;
  // Where the request's activation arena (exec/memory_plan.h) planned each output:
  // allocate_output(i) returns a view of output_slots[i] when its size fits, else heap
  // memory. Empty (or a null entry): the heap.
  struct OutputSlot {
    void* data = nullptr;
    size_t bytes = 0;
  };
  std::span<const OutputSlot> output_slots;

  size_t num_inputs() const { return inputs.size(); }
  // The i-th input, or nullptr when omitted or past the end.
  const Tensor* input(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  // Allocates output i (uninitialised) and returns it: its planned arena slot when one
  // fits, else new heap storage.
  Result<Tensor*> allocate_output(size_t i, DataType dtype, Shape shape);
  // Same, for dims the kernel keeps inline (a Dims, an array) or an input's shape: in an
  // arena slot they are copied into the output's own shape storage, which the executor
  // reuses from run to run, so the call allocates nothing. (Another name, not an
  // overload: allocate_output(i, t, {}) must stay unambiguous.)
  Result<Tensor*> allocate_output_dims(size_t i, DataType dtype, std::span<const int64_t> dims);
  // Sets output i to an existing tensor (zero-copy outputs such as Reshape).
  void set_output(size_t i, Tensor t) { outputs[i] = std::move(t); }
  // Sets output i to `base`'s data under `dims` (same element count, else an error):
  // a zero-copy output whose shape is copied into the output's reused shape storage,
  // so it allocates nothing (Flatten, Squeeze).
  Status set_output_reshaped(size_t i, const Tensor& base, std::span<const int64_t> dims);
};

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  // Computes all outputs. Must be safe to call concurrently from many threads on one
  // kernel object (kernels keep no per-run state in members).
  virtual Status compute(KernelContext& ctx) const = 0;
  // The precisions compute() implements, as bits (1 << Precision). f32 unless overridden
  // (MatMul, Gemm and Conv with constant weights add bf16 and int8).
  virtual uint32_t precisions() const { return precision_bit(Precision::kF32); }
  static constexpr uint32_t precision_bit(Precision p) { return 1u << static_cast<unsigned>(p); }
};

// What a kernel factory sees at load time.
struct KernelInit {
  const Graph* graph = nullptr;
  const Node* node = nullptr;

  int opset() const { return node->opset; }
  size_t num_inputs() const { return node->inputs.size(); }
  size_t num_outputs() const { return node->outputs.size(); }
  bool has_input(size_t i) const { return i < node->inputs.size() && node->inputs[i] != kNoValue; }
  // Declared dtype of input i (kUndefined when omitted or unknown).
  DataType input_dtype(size_t i) const;
  DataType output_dtype(size_t i) const;
  // The constant (initializer) behind input i, or nullptr when it is computed at run time.
  const Tensor* constant_input(size_t i) const;
  // Declared static shape of input i when every dim is known.
  std::optional<Shape> static_input_shape(size_t i) const;
};

using KernelFactory = Result<std::unique_ptr<OpKernel>> (*)(const KernelInit& init);

struct KernelDef {
  std::string domain;   // "" for the default ONNX domain
  std::string op_type;
  int since_version = 1;
  int until_version = 1 << 30;  // inclusive
  KernelFactory create = nullptr;
};

// Errors every kernel uses, so messages read the same everywhere.
Status unsupported_dtype(const Node& node, DataType dtype, const char* what = "input");
Status bad_node(const Node& node, const std::string& reason);  // invalid_argument naming node

}  // namespace braid::detail
