// Registers the nn kernel family. Each kernel file exposes a register_* function
// declared in nn_kernels.h and called from here.
#include "kernels/ops/nn_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {

void register_nn_kernels(OpRegistry& r) {
  register_nn_matmul(r);
  register_nn_gemm(r);
  register_nn_conv(r);
  register_nn_conv_transpose(r);
  register_nn_einsum(r);
}

}  // namespace braid::detail
