#include "opt/rewrite_util.h"

namespace braid::detail {

std::vector<bool> graph_output_flags(const Graph& g) {
  std::vector<bool> out(g.values.size(), false);
  for (ValueId v : g.outputs)
    if (v < out.size()) out[v] = true;
  return out;
}

NodeId sole_consumer(const Graph& g, const std::vector<bool>& is_output, ValueId v) {
  if (v == kNoValue || v >= g.values.size() || is_output[v]) return kNoNode;
  const Value& val = g.values[v];
  if (val.consumers.size() != 1) return kNoNode;
  return val.consumers[0];
}

const Tensor* constant_input(const Graph& g, const Node& n, size_t i) {
  if (i >= n.inputs.size() || n.inputs[i] == kNoValue) return nullptr;
  const Value& v = g.values[n.inputs[i]];
  return v.constant ? &*v.constant : nullptr;
}

bool is_f32_value(const Graph& g, ValueId v) {
  return v != kNoValue && v < g.values.size() && g.values[v].dtype == DataType::kFloat32;
}

bool single_output(const Node& n) {
  if (n.outputs.empty() || n.outputs[0] == kNoValue) return false;
  for (size_t i = 1; i < n.outputs.size(); ++i)
    if (n.outputs[i] != kNoValue) return false;
  return true;
}

ValueId add_constant(Graph& g, const std::string& name, Tensor t) {
  std::string unique = name;
  for (int i = 1; g.find_value(unique) != kNoValue; ++i) unique = name + "_" + std::to_string(i);
  Value v;
  v.name = std::move(unique);
  v.dtype = t.dtype();
  v.shape.emplace();
  for (int64_t d : t.shape()) v.shape->push_back(Dim{d, {}});
  v.constant = std::move(t);
  return g.add_value(std::move(v));
}

void absorb_follower(Graph& g, NodeId producer, NodeId follower, std::vector<bool>& dead) {
  g.nodes[producer].outputs.resize(1);
  g.nodes[producer].outputs[0] = g.nodes[follower].outputs[0];
  dead[follower] = true;
}

Status remove_nodes(Graph& g, const std::vector<bool>& dead) {
  std::vector<bool> was_read(g.values.size(), false);
  for (size_t v = 0; v < g.values.size(); ++v) was_read[v] = !g.values[v].consumers.empty();
  std::vector<Node> kept;
  kept.reserve(g.nodes.size());
  for (size_t n = 0; n < g.nodes.size(); ++n)
    if (n >= dead.size() || !dead[n]) kept.push_back(std::move(g.nodes[n]));
  g.nodes = std::move(kept);
  BRAID_RETURN_IF_ERROR(g.finalize());
  // Weights the rewrites replaced (the Conv's W before folding, BatchNorm parameters)
  // would otherwise stay alive for the session's lifetime.
  const std::vector<bool> is_output = graph_output_flags(g);
  std::vector<bool> is_input(g.values.size(), false);
  for (ValueId v : g.inputs) is_input[v] = true;
  for (size_t v = 0; v < was_read.size(); ++v) {
    Value& val = g.values[v];
    if (was_read[v] && val.consumers.empty() && val.constant && !is_output[v] && !is_input[v]) val.constant.reset();
  }
  return {};
}

}  // namespace braid::detail
