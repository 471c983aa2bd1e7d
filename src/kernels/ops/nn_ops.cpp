#include "kernels/ops/nn_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {
void register_nn_ops(OpRegistry& r) {}
}  // namespace braid::detail
