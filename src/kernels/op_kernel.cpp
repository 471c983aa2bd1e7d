#include "kernels/op_kernel.h"

namespace braid::detail {

Result<Tensor*> KernelContext::allocate_output(size_t i, DataType dtype, Shape shape) {
  if (i >= outputs.size())
    return internal_error("output index " + std::to_string(i) + " out of range for " + node->describe());
  auto t = Tensor::empty(dtype, std::move(shape));
  if (!t.ok()) return t.status().with_context(node->describe());
  outputs[i] = std::move(t).value();
  return &outputs[i];
}

DataType KernelInit::input_dtype(size_t i) const {
  if (!has_input(i)) return DataType::kUndefined;
  return graph->values[node->inputs[i]].dtype;
}

DataType KernelInit::output_dtype(size_t i) const {
  if (i >= node->outputs.size() || node->outputs[i] == kNoValue) return DataType::kUndefined;
  return graph->values[node->outputs[i]].dtype;
}

const Tensor* KernelInit::constant_input(size_t i) const {
  if (!has_input(i)) return nullptr;
  const Value& v = graph->values[node->inputs[i]];
  return v.constant ? &*v.constant : nullptr;
}

std::optional<Shape> KernelInit::static_input_shape(size_t i) const {
  if (!has_input(i)) return std::nullopt;
  const Value& v = graph->values[node->inputs[i]];
  if (v.constant) return v.constant->shape();
  if (!v.shape) return std::nullopt;
  Shape s;
  for (const Dim& d : *v.shape) {
    if (!d.known()) return std::nullopt;
    s.push_back(d.value);
  }
  return s;
}

Status unsupported_dtype(const Node& node, DataType dtype, const char* what) {
  return unsupported_op(node.describe() + ": " + what + " dtype " + dtype_name(dtype) +
                        " is not supported");
}

Status bad_node(const Node& node, const std::string& reason) {
  return invalid_argument(node.describe() + ": " + reason);
}

}  // namespace braid::detail
