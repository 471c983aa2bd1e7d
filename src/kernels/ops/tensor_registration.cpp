// Registers the tensor kernel family. Each kernel file exposes a register_* function
// declared in tensor_kernels.h and called from here.
#include "kernels/ops/tensor_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {

void register_tensor_kernels(OpRegistry& r) {
  register_tensor_ops(r);
}

}  // namespace braid::detail
