// The byte-level permutation behind Transpose, DepthToSpace and SpaceToDepth. It drops
// size-1 dims and merges dims that stay adjacent, then moves whole contiguous runs with
// memcpy when the innermost dim stays innermost, or transposes 2-D tiles when it moves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "braid/tensor.h"

namespace braid::detail::tensor_ops {

// Writes dst (contiguous) so that output dim i is input dim perm[i] of src (contiguous,
// shape in_shape, elements of `elem` bytes: 1, 2, 4 or 8). perm must be a permutation of
// [0, rank). Runs on up to max_threads threads. Thread-safe.
void transpose_bytes(const void* src, std::span<const int64_t> in_shape, std::span<const int64_t> perm, size_t elem,
                     void* dst, int max_threads);

}  // namespace braid::detail::tensor_ops
