// Registers the tensor kernel family. Each kernel file exposes a register_* function
// declared in tensor_kernels.h and called from here.
#include "kernels/ops/tensor_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {

void register_tensor_kernels(OpRegistry& r) {
  register_tensor_ops(r);
  register_tensor_reshape_ops(r);
  register_tensor_transpose_ops(r);
  register_tensor_concat_split_ops(r);
  register_tensor_slice_ops(r);
  register_tensor_gather_ops(r);
  register_tensor_scatter_ops(r);
  register_tensor_shape_ops(r);
  register_tensor_expand_tile_ops(r);
  register_tensor_pad_ops(r);
  register_tensor_depth_space_ops(r);
  register_tensor_index_ops(r);
  register_tensor_unique_ops(r);
  register_tensor_resize_ops(r);
}

}  // namespace braid::detail
