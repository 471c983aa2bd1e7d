// Helpers shared by the graph optimisation passes: who reads a value, which inputs are
// constants, and removing nodes while keeping the graph finalized.
#pragma once

#include <string>
#include <vector>

#include "braid/status.h"
#include "ir/graph.h"

namespace braid::detail {

// Graph outputs as a per-value flag.
std::vector<bool> graph_output_flags(const Graph& g);

// The only node reading value `v`, or kNoNode when `v` has zero or several readers (a node
// reading it twice counts twice) or is a graph output.
NodeId sole_consumer(const Graph& g, const std::vector<bool>& is_output, ValueId v);

// The constant behind input `i` of `n`, or nullptr.
const Tensor* constant_input(const Graph& g, const Node& n, size_t i);

// True when value `v` is declared float32.
bool is_f32_value(const Graph& g, ValueId v);

// A node with one output (present) and inputs that are all present up to `min_inputs`.
bool single_output(const Node& n);

// Adds a constant value named `name` (made unique) holding `t`.
ValueId add_constant(Graph& g, const std::string& name, Tensor t);

// Makes `producer` write `follower`'s output (the follower's output keeps its name,
// shape and graph-output status) and marks `follower` dead.
void absorb_follower(Graph& g, NodeId producer, NodeId follower, std::vector<bool>& dead);

// Drops the nodes flagged in `dead`, releases constants nothing reads any more and
// re-finalizes the graph.
Status remove_nodes(Graph& g, const std::vector<bool>& dead);

}  // namespace braid::detail
