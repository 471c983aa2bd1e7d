#include "opt/graph_optimizer.h"

#include <vector>

#include "opt/passes.h"
#include "opt/rewrite_util.h"

namespace braid::detail {

Result<int> remove_dead_nodes(Graph& g) {
  int removed = 0;
  for (;;) {
    const std::vector<bool> is_output = graph_output_flags(g);
    std::vector<bool> dead(g.nodes.size(), false);
    int round = 0;
    for (NodeId n = 0; n < g.nodes.size(); ++n) {
      bool used = false;
      for (ValueId out : g.nodes[n].outputs)
        used = used || (out != kNoValue && (is_output[out] || !g.values[out].consumers.empty()));
      if (!used && !g.nodes[n].outputs.empty()) {
        dead[n] = true;
        ++round;
      }
    }
    if (round == 0) return removed;
    BRAID_RETURN_IF_ERROR(remove_nodes(g, dead));
    removed += round;
  }
}

Status optimize_graph(Graph& graph, const GraphOptimizationOptions& opts, GraphOptimizationStats* stats) {
  // The passes run on a copy (constants share storage, so it is cheap): a failure half-way
  // leaves the caller's graph untouched.
  Graph work = graph;
  GraphOptimizationStats local;
  // Order matters: BatchNorm and bias folds into a Conv and the bias into a MatMul come
  // before the residual (input 3, after the bias) and the Relu (after both).
  if (opts.fold_batch_norm) {
    BRAID_ASSIGN_OR_RETURN(local.batch_norms_folded, fold_batch_norm_into_conv(work));
  }
  if (opts.fuse_bias) {
    BRAID_ASSIGN_OR_RETURN(local.conv_biases_fused, fuse_conv_bias_add(work));
    BRAID_ASSIGN_OR_RETURN(local.biases_fused, fuse_matmul_bias(work));
  }
  if (opts.fuse_layer_norm) {  // before the residual: its Add(beta) is no residual
    BRAID_ASSIGN_OR_RETURN(local.layer_norms_fused, fuse_layer_norm(work));
  }
  if (opts.fuse_residual) {
    BRAID_ASSIGN_OR_RETURN(local.residuals_fused, fuse_residual(work));
  }
  if (opts.fuse_activation) {
    BRAID_ASSIGN_OR_RETURN(local.activations_fused, fuse_relu(work));
  }
  if (opts.fuse_max_pool) {  // after the Relu: the kernel pools the activated rows
    BRAID_ASSIGN_OR_RETURN(local.max_pools_fused, fuse_max_pool(work));
  }
  if (opts.remove_dead_nodes) {
    BRAID_ASSIGN_OR_RETURN(local.dead_nodes_removed, remove_dead_nodes(work));
  }
  graph = std::move(work);
  if (stats) *stats = local;
  return {};
}

}  // namespace braid::detail
