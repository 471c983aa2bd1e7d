// Registers the elementwise kernel family. Each kernel file exposes a register_* function
// declared in elementwise_kernels.h and called from here.
#include "kernels/ops/elementwise_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {

void register_elementwise_kernels(OpRegistry& r) {
  register_elementwise_ops(r);
}

}  // namespace braid::detail
