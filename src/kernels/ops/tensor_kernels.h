// Tensor-movement kernels: shape, layout and indexing ops (Identity, Reshape, ...).
#pragma once

namespace braid::detail {
class OpRegistry;
void register_tensor_ops(OpRegistry& r);
}  // namespace braid::detail
