// OpSplitter: a graph rewrite that splits one heavy Conv / MatMul / Gemm into K
// independent slices along its output channels (Conv) or output columns (MatMul, Gemm)
// followed by a Concat, so that the partitioner sees K parallel branches and the
// scheduler can change the chunk size at run time. Each slice computes exactly the output
// elements it owns with the same reduction over the same weights, so the result equals
// the unsplit op (bitwise when the kernel's reduction order does not depend on N).
//
//   Result<Graph> g2 = split_op(graph, conv_node, 4);      // one node
//   Result<Graph> g3 = split_heavy_ops(graph, {.slices = 2}); // every heavy one
#pragma once

#include <string>
#include <vector>

#include "braid/status.h"
#include "ir/graph.h"
#include "partition/shape_resolver.h"

namespace braid::detail {

// Why node `n` cannot be split into `slices` slices, or "" when it can: a Conv with
// group 1 and constant weights, a MatMul whose B is a constant 2-D matrix, or a Gemm with
// a constant B (and a C that is constant or broadcast along N); at least `slices` output
// channels/columns; a known output rank. Thread-safe.
std::string split_blocker(const Graph& graph, NodeId n, int slices);

// The output channel/column counts of the K slices of a dimension of size `size`:
// multiples of 16 (the AVX-512 f32 width) when size >= 16 * slices, as even as possible.
// Thread-safe.
std::vector<int64_t> slice_sizes(int64_t size, int slices);

// A copy of `graph` with node `n` replaced by `slices` slice nodes and a Concat that
// writes the original output value (names: "<node>/slice<i>", "<node>/concat"). The copy
// is finalized. Fails with the blocker's reason when the node cannot be split.
// Thread-safe.
Result<Graph> split_op(const Graph& graph, NodeId n, int slices);

struct SplitOptions {
  int slices = 2;
  // A node is heavy when its estimated FLOPs are at least this share of the graph's.
  double min_flops_fraction = 0.02;
  // ... and at least this many FLOPs (so each slice stays worth a dispatch).
  double min_flops = 1e6;
  ShapeBindings shapes;  // for the FLOP estimate of dynamic dims
};

// Splits every splittable heavy node (see SplitOptions). `split_nodes`, when given,
// receives the names of the nodes that were split. Thread-safe.
Result<Graph> split_heavy_ops(const Graph& graph, const SplitOptions& options,
                              std::vector<std::string>* split_nodes = nullptr);

}  // namespace braid::detail
