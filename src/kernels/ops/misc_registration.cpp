// Registers the misc kernel family. Each kernel file exposes a register_* function
// declared in misc_kernels.h and called from here.
#include "kernels/ops/misc_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {

void register_misc_kernels(OpRegistry& r) {
  register_misc_pool_kernels(r);
  register_misc_global_pool_kernels(r);
  register_misc_max_unpool_kernel(r);
  register_misc_batch_norm_kernels(r);
  register_misc_layer_norm_kernel(r);
  register_misc_lrn_mvn_kernels(r);
  register_misc_quant_kernels(r);
  register_misc_quant_matmul_kernels(r);
  register_misc_quant_conv_kernels(r);
  register_misc_rnn_kernels(r);
  register_misc_nms_kernel(r);
}

}  // namespace braid::detail
