// Tensor-movement kernels: shape, layout and indexing ops (Identity, Reshape, Transpose,
// Concat, Slice, Gather, Pad, Resize, ...). Each kernel file registers its ops through one
// of these functions, all called from tensor_registration.cpp.
#pragma once

#include <vector>

#include "braid/status.h"
#include "braid/tensor.h"

namespace braid::detail {
class OpRegistry;
struct Node;

void register_tensor_ops(OpRegistry& r);  // identity.cpp: Identity, Dropout
void register_tensor_reshape_ops(OpRegistry& r);
void register_tensor_transpose_ops(OpRegistry& r);
void register_tensor_concat_split_ops(OpRegistry& r);
void register_tensor_slice_ops(OpRegistry& r);
void register_tensor_gather_ops(OpRegistry& r);
void register_tensor_scatter_ops(OpRegistry& r);
void register_tensor_shape_ops(OpRegistry& r);
void register_tensor_expand_tile_ops(OpRegistry& r);
void register_tensor_pad_ops(OpRegistry& r);
void register_tensor_depth_space_ops(OpRegistry& r);
void register_tensor_index_ops(OpRegistry& r);
void register_tensor_unique_ops(OpRegistry& r);
void register_tensor_resize_ops(OpRegistry& r);

namespace tensor_ops {
// Reshape's output shape for a requested shape (0 copies the input dim unless allow_zero,
// -1 is inferred); exposed for the unit tests.
Result<Shape> reshape_output_shape(const Node& node, const Shape& in, const std::vector<int64_t>& requested,
                                   bool allow_zero);

// One sliced dim: `count` elements from `start` every `step`.
struct SliceRange {
  int64_t start = 0;
  int64_t count = 0;
  int64_t step = 1;
};
// Slice's clamping of (start, end, step) on a dim of size `dim` (numpy semantics); an error
// for step 0. Exposed for the unit tests.
Result<SliceRange> slice_range(const Node& node, int64_t dim, int64_t start, int64_t end, int64_t step);
}  // namespace tensor_ops
}  // namespace braid::detail
