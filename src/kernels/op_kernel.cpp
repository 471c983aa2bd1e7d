#include "kernels/op_kernel.h"

#include "core/fault_injection.h"
#include "core/tensor_access.h"

namespace braid::detail {

Result<Tensor*> KernelContext::allocate_output(size_t i, DataType dtype, Shape shape) {
  if (i >= outputs.size())
    return internal_error("output index " + std::to_string(i) + " out of range for " + node->describe());
  if (i < output_slots.size() && output_slots[i].data != nullptr) {
    // The planned slot: a view, no heap call. A shape larger than planned (a dim the
    // load-time shapes did not know) takes the heap path below.
    const size_t elem = dtype_size(dtype);
    auto n = checked_numel(shape);
    if (elem != 0 && n.ok() && static_cast<uint64_t>(*n) <= output_slots[i].bytes / elem) {
      if (should_fail_allocation())
        return out_of_memory("injected allocation failure for " + shape_to_string(shape)).with_context(node->describe());
      outputs[i] = Tensor::view(dtype, std::move(shape), output_slots[i].data);
      return &outputs[i];
    }
  }
  auto t = Tensor::empty(dtype, std::move(shape));
  if (!t.ok()) return t.status().with_context(node->describe());
  outputs[i] = std::move(t).value();
  return &outputs[i];
}

Result<Tensor*> KernelContext::allocate_output_dims(size_t i, DataType dtype, std::span<const int64_t> dims) {
  if (i >= outputs.size())
    return internal_error("output index " + std::to_string(i) + " out of range for " + node->describe());
  if (i < output_slots.size() && output_slots[i].data != nullptr) {
    const size_t elem = dtype_size(dtype);
    int64_t n = 1;
    bool valid = elem != 0;
    for (int64_t d : dims) {
      if (d < 0 || (d != 0 && n > (int64_t{1} << 62) / d)) valid = false;
      if (!valid) break;
      n *= d;
    }
    if (valid && static_cast<uint64_t>(n) <= output_slots[i].bytes / elem) {
      if (should_fail_allocation())
        return out_of_memory("injected allocation failure for " + shape_to_string(Shape(dims.begin(), dims.end())))
            .with_context(node->describe());
      TensorAccess::set_view(outputs[i], dtype, dims, n, output_slots[i].data);
      return &outputs[i];
    }
  }
  return allocate_output(i, dtype, Shape(dims.begin(), dims.end()));
}

Status KernelContext::set_output_reshaped(size_t i, const Tensor& base, std::span<const int64_t> dims) {
  if (i >= outputs.size())
    return internal_error("output index " + std::to_string(i) + " out of range for " + node->describe());
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0 || (d != 0 && n > (int64_t{1} << 62) / d)) n = -1;
    if (n < 0) break;
    n *= d;
  }
  if (n != base.numel())
    return bad_node(*node, "cannot reshape " + shape_to_string(base.shape()) + " to " +
                               shape_to_string(Shape(dims.begin(), dims.end())));
  TensorAccess::set_alias(outputs[i], base, dims, n);
  return {};
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
