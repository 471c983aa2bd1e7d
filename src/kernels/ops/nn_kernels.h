// nn kernels.
#pragma once

namespace braid::detail {
class OpRegistry;
void register_nn_ops(OpRegistry& r);
}  // namespace braid::detail
