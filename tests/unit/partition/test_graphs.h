// Hand-made IR graphs for the partitioner and DSDG tests: a tiny builder over
// detail::Graph (f32 values of known shapes, no kernels needed) and a seeded random DAG.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace braid::testing {

class TestGraph {
 public:
  explicit TestGraph(std::string name = "test");

  // A graph input of f32 and this shape (negative dims: symbolic "d<i>" named `symbol`).
  detail::ValueId input(const std::string& name, const std::vector<int64_t>& shape,
                        const std::vector<std::string>& symbols = {});
  // A constant f32 initializer filled with seeded values.
  detail::ValueId constant(const std::string& name, const std::vector<int64_t>& shape, uint32_t seed = 1);
  // A node with one f32 output of `out_shape` (empty optional: unknown rank).
  detail::ValueId op(const std::string& op_type, const std::vector<detail::ValueId>& inputs,
                     const std::vector<int64_t>& out_shape, const std::string& name = "",
                     std::vector<detail::Attribute> attributes = {});
  // Marks outputs and finalizes; the graph is then ready for the partitioner.
  detail::Graph finish(const std::vector<detail::ValueId>& outputs);

  detail::Graph& graph() { return g_; }
  // The id of the node called `name` in the finished graph.
  static detail::NodeId node_id(const detail::Graph& g, const std::string& name);

 private:
  detail::Graph g_;
};

detail::Attribute int_attr(const std::string& name, int64_t v);
detail::Attribute ints_attr(const std::string& name, std::vector<int64_t> v);

// A random DAG of `nodes` ops (Relu, Add, Sigmoid, Concat, MatMul) over [1, width] f32
// values: each node reads 1-3 earlier values chosen within a window, so there are long
// chains, forks and joins. Deterministic for a seed.
detail::Graph random_dag(int nodes, uint32_t seed, int width = 64, int window = 32);

// The sets of node names per subgraph, each sorted, for exact comparisons.
std::vector<std::vector<std::string>> subgraph_names(const detail::Graph& g,
                                                     const std::vector<std::vector<detail::NodeId>>& subgraphs);

}  // namespace braid::testing
