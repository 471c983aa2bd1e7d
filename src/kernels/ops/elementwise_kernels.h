// elementwise kernels.
#pragma once

namespace braid::detail {
class OpRegistry;
void register_elementwise_ops(OpRegistry& r);
}  // namespace braid::detail
