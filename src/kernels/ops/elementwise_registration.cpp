// Registers the elementwise kernel family. Each kernel file exposes a register_* function
// declared in elementwise_kernels.h and called from here.
#include "kernels/ops/elementwise_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {

void register_elementwise_kernels(OpRegistry& r) {
  register_elementwise_unary(r);
  register_elementwise_activation(r);
  register_elementwise_binary(r);
  register_elementwise_compare(r);
  register_elementwise_variadic(r);
  register_elementwise_cast(r);
  register_elementwise_softmax(r);
  register_elementwise_reduce(r);
  register_elementwise_argminmax(r);
  register_elementwise_topk(r);
  register_elementwise_cumsum(r);
}

}  // namespace braid::detail
