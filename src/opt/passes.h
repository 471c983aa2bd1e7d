// The individual graph optimisation passes behind optimize_graph (graph_optimizer.h). Each
// takes a finalized graph, rewrites it in place, leaves it finalized and returns how many
// rewrites it made.
#pragma once

#include "braid/status.h"
#include "ir/graph.h"

namespace braid::detail {

// Conv(X, const W, const B?) -> BatchNormalization(const scale, B, mean, var) becomes one
// Conv with W' = W * s[oc], B' = (B - mean) * s + beta, s = scale / sqrt(var + eps),
// computed in double and stored as float32.
[[nodiscard]] Result<int> fold_batch_norm_into_conv(Graph& g);

// Conv(X, W, B?) / MatMul(A, B, bias?) -> Add(R whose declared shape may equal the
// output's) becomes Conv(X, W, B, R): R is
// added by the Conv kernel right after each task's GEMM, before the activation.
[[nodiscard]] Result<int> fuse_residual(Graph& g);

// Conv(X, const W, const B?) -> Add(constant per-channel [C,1,1] / [1,C,1,1] or scalar)
// becomes Conv(X, W, B + c).
[[nodiscard]] Result<int> fuse_conv_bias_add(Graph& g);

// Conv / Gemm / MatMul -> Relu becomes the producer with braid_fused_activation = "Relu".
[[nodiscard]] Result<int> fuse_relu(Graph& g);

// Conv(X, const W of <= 4 input channels, B?) -> MaxPool(3x3 stride 2 pads 1, or 2x2
// stride 2; floor rounding) becomes the Conv with braid_fused_max_pool = [k, 2, pad].
[[nodiscard]] Result<int> fuse_max_pool(Graph& g);

// MatMul(A, B) -> Add(const bias of N values) becomes MatMul(A, B, bias): the bias is the
// GEMM's per-column epilogue.
[[nodiscard]] Result<int> fuse_matmul_bias(Graph& g);

// ReduceMean -> Sub -> Pow(2) -> ReduceMean -> Add(eps) -> Sqrt -> Div -> Mul(gamma) ->
// Add(beta), over the last axis with constant 1-D gamma and beta, becomes one
// LayerNormalization(x, gamma, beta, axis = -1, epsilon = eps).
[[nodiscard]] Result<int> fuse_layer_norm(Graph& g);

// Removes nodes none of whose outputs is read or is a graph output (repeatedly).
[[nodiscard]] Result<int> remove_dead_nodes(Graph& g);

}  // namespace braid::detail
