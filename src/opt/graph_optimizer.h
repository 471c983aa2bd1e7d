// Load-time graph optimisation: small, deterministic rewrites of the Graph IR that fold
// the cheap followers every CNN has into the op before them, so that an elementwise op does
// not cost a memory pass of its own. Runs once, before the ExecutionPlan is built.
//
//   GraphOptimizationOptions opts;                 // every pass on
//   BRAID_RETURN_IF_ERROR(optimize_graph(graph, opts));
//
// Rewrites (each only when the intermediate value has exactly one consumer, is not a graph
// output and is float32; graph outputs keep their names and values):
//   Conv(const W, const B?) -> BatchNormalization(const params)  => Conv(W', B')
//   Conv | Gemm | MatMul -> Relu                                 => braid_fused_activation
//   Conv(const W, <= 4 input channels) -> MaxPool(3x3/2 pad 1 | 2x2/2)
//                                                                => braid_fused_max_pool
//   MatMul(A, B) -> Add(const 1-D bias of length N)              => MatMul(A, B, bias)
//   Conv(X, const W, const B?) -> Add(const [C,1,1] or scalar c) => Conv(X, W, B + c)
//   Conv(X, W, B?) -> Add(R, shape may equal the output's)       => Conv(X, W, B, R)
//   MatMul(A, B, bias?) -> Add(R, likewise)                      => MatMul(A, B, bias, R)
//   ReduceMean, Sub, Pow(2), ReduceMean, Add(eps), Sqrt, Div,
//     Mul(const gamma), Add(const beta) over the last axis       => LayerNormalization
// (the Relu rewrite runs after the others, so Conv+BN+Add+Relu becomes one Conv; the
// MaxPool one after it, so Conv+Relu+MaxPool does too).
#pragma once

#include <cstdint>

#include "braid/status.h"
#include "ir/graph.h"

namespace braid::detail {

struct GraphOptimizationOptions {
  bool fold_batch_norm = true;   // Conv + BatchNormalization -> Conv
  bool fuse_activation = true;   // Conv/Gemm/MatMul + Relu -> GEMM epilogue
  bool fuse_bias = true;         // MatMul + Add(bias) -> MatMul with a bias input; Conv +
                                 // Add(per-channel constant) -> the Conv's bias
  bool fuse_residual = true;     // Conv/MatMul + Add(residual) -> a residual input
  bool fuse_layer_norm = true;   // the nine-node exported LayerNorm -> LayerNormalization
  bool fuse_max_pool = true;     // narrow-input Conv + MaxPool -> the Conv pools its rows
  bool remove_dead_nodes = true; // nodes whose outputs nobody reads
};

// What optimize_graph changed (for tests, logs and braid-inspect).
struct GraphOptimizationStats {
  int batch_norms_folded = 0;
  int activations_fused = 0;
  int biases_fused = 0;
  int residuals_fused = 0;
  int conv_biases_fused = 0;  // Conv + Add(per-channel constant)
  int layer_norms_fused = 0;
  int max_pools_fused = 0;
  int dead_nodes_removed = 0;
};

// Rewrites `graph` in place; the graph stays finalized (topological, links valid). Pure
// and deterministic: the same graph and options always give the same result. On error the
// graph is left as it was before the failing pass. Thread-safe (touches only `graph`).
[[nodiscard]] Status optimize_graph(Graph& graph, const GraphOptimizationOptions& opts,
                                    GraphOptimizationStats* stats = nullptr);

}  // namespace braid::detail
