#include "ir/graph.h"

#include <queue>

namespace braid::detail {

const Attribute* Node::find_attribute(std::string_view attr_name) const {
  for (const Attribute& a : attributes)
    if (a.name == attr_name) return &a;
  return nullptr;
}

std::string Node::describe() const {
  std::string d = domain.empty() ? op_type : domain + "." + op_type;
  return d + " node '" + name + "'";
}

ValueId Graph::add_value(Value v) {
  values.push_back(std::move(v));
  return static_cast<ValueId>(values.size() - 1);
}

ValueId Graph::find_value(std::string_view value_name) const {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].name == value_name) return static_cast<ValueId>(i);
  return kNoValue;
}

Status Graph::finalize() {
  for (Value& v : values) {
    v.producer = kNoNode;
    v.consumers.clear();
  }
  for (NodeId n = 0; n < nodes.size(); ++n) {
    for (ValueId out : nodes[n].outputs) {
      if (out == kNoValue) continue;
      if (out >= values.size()) return internal_error("output id out of range in " + nodes[n].describe());
      Value& v = values[out];
      if (v.producer != kNoNode || v.constant)
        return invalid_argument("value '" + v.name + "' is produced twice (by " + nodes[n].describe() + ")");
      v.producer = n;
    }
  }
  // Kahn's algorithm, stable: keeps the model's order where it is already topological.
  std::vector<uint32_t> pending(nodes.size(), 0);
  std::vector<std::vector<NodeId>> succ(nodes.size());
  for (NodeId n = 0; n < nodes.size(); ++n) {
    for (ValueId in : nodes[n].inputs) {
      if (in == kNoValue) continue;
      if (in >= values.size()) return internal_error("input id out of range in " + nodes[n].describe());
      values[in].consumers.push_back(n);
      NodeId p = values[in].producer;
      if (p != kNoNode) {
        ++pending[n];
        succ[p].push_back(n);
      }
    }
  }
  std::priority_queue<NodeId, std::vector<NodeId>, std::greater<>> ready;
  for (NodeId n = 0; n < nodes.size(); ++n)
    if (pending[n] == 0) ready.push(n);
  std::vector<NodeId> order;
  order.reserve(nodes.size());
  while (!ready.empty()) {
    NodeId n = ready.top();
    ready.pop();
    order.push_back(n);
    for (NodeId s : succ[n])
      if (--pending[s] == 0) ready.push(s);
  }
  if (order.size() != nodes.size()) {
    for (NodeId n = 0; n < nodes.size(); ++n)
      if (pending[n] != 0) return invalid_argument("graph has a cycle through " + nodes[n].describe());
  }
  bool identity = true;
  for (size_t i = 0; i < order.size(); ++i) identity = identity && order[i] == i;
  if (!identity) {
    std::vector<Node> sorted;
    sorted.reserve(nodes.size());
    for (NodeId n : order) sorted.push_back(std::move(nodes[n]));
    nodes = std::move(sorted);
    return finalize();
  }
  return {};
}

}  // namespace braid::detail
