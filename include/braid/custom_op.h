// Custom ops: a host registers its own kernel for a (domain, op_type) — the
// `com.microsoft` / `ai.onnx.contrib` ops some exported models use, or the host's own —
// and every ONNX session loaded afterwards runs it like a built-in kernel (scheduled,
// timed and learned by the DSDG like any other node).
//
//   braid::CustomOp op;
//   op.domain = "ai.onnx.contrib";
//   op.op_type = "Inverse";
//   op.compute = [](braid::CustomOpContext& ctx) -> braid::Status {
//     const braid::Tensor& x = ctx.input(0);
//     BRAID_ASSIGN_OR_RETURN(braid::Tensor * y, ctx.allocate_output(0, x.dtype(), x.shape()));
//     ...
//     return {};
//   };
//   braid::register_custom_op(std::move(op));   // before Session::load
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "braid/status.h"
#include "braid/tensor.h"

namespace braid {

namespace detail {
struct KernelContext;
struct Node;
}  // namespace detail

// What a custom kernel sees for one invocation. Valid only during compute().
class CustomOpContext {
 public:
  size_t num_inputs() const noexcept;
  // True when input i was given (optional inputs may be omitted).
  bool has_input(size_t i) const noexcept;
  // Input i; call has_input first for optional inputs.
  const Tensor& input(size_t i) const;
  size_t num_outputs() const noexcept;
  // Allocates output i (uninitialised) and returns it.
  Result<Tensor*> allocate_output(size_t i, DataType dtype, Shape shape);
  // Sets output i to an existing tensor (e.g. a view or a pass-through).
  void set_output(size_t i, Tensor t);
  // Intra-op threads this invocation may use (the scheduler's grant).
  int threads() const noexcept;
  // The node's name and its attributes, with defaults when absent.
  const std::string& node_name() const noexcept;
  int64_t attr_int(const std::string& name, int64_t def) const;
  float attr_float(const std::string& name, float def) const;
  std::string attr_string(const std::string& name, const std::string& def) const;
  std::vector<int64_t> attr_ints(const std::string& name) const;

 private:
  friend class CustomOpKernelAccess;
  explicit CustomOpContext(detail::KernelContext& ctx) : ctx_(ctx) {}
  detail::KernelContext& ctx_;
};

struct CustomOp {
  std::string domain;      // e.g. "ai.onnx.contrib"; "" is the default ONNX domain
  std::string op_type;
  int since_version = 1;   // opset of `domain` from which this kernel applies
  // Computes every output; called concurrently for different requests (keep no per-call
  // state in the closure). A thrown exception becomes the request's error.
  std::function<Status(CustomOpContext&)> compute;
  // Optional FLOPs of one invocation for the scheduler, given the input shapes (unknown:
  // the time is learned from runs).
  std::function<double(const std::vector<Shape>& input_shapes)> flops;
};

// Registers (or replaces) a kernel, process-wide, for sessions loaded afterwards. Fails on
// an empty op_type or a missing compute function. Thread-safe.
Status register_custom_op(CustomOp op);

}  // namespace braid
