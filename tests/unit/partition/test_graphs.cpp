#include "unit/partition/test_graphs.h"

#include <algorithm>
#include <random>
#include <stdexcept>

namespace braid::testing {

using detail::Attribute;
using detail::Dim;
using detail::Graph;
using detail::Node;
using detail::NodeId;
using detail::Value;
using detail::ValueId;

TestGraph::TestGraph(std::string name) {
  g_.name = std::move(name);
  g_.default_opset = 13;
}

ValueId TestGraph::input(const std::string& name, const std::vector<int64_t>& shape,
                         const std::vector<std::string>& symbols) {
  Value v;
  v.name = name;
  v.dtype = DataType::kFloat32;
  v.shape.emplace();
  for (size_t i = 0; i < shape.size(); ++i) {
    Dim d;
    d.value = shape[i];
    if (shape[i] < 0 && i < symbols.size()) d.symbol = symbols[i];
    v.shape->push_back(d);
  }
  const ValueId id = g_.add_value(std::move(v));
  g_.inputs.push_back(id);
  return id;
}

ValueId TestGraph::constant(const std::string& name, const std::vector<int64_t>& shape, uint32_t seed) {
  Value v;
  v.name = name;
  v.dtype = DataType::kFloat32;
  v.shape.emplace();
  for (int64_t d : shape) v.shape->push_back(Dim{d, {}});
  Tensor t = Tensor::empty(DataType::kFloat32, shape).value();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  v.constant = std::move(t);
  return g_.add_value(std::move(v));
}

ValueId TestGraph::op(const std::string& op_type, const std::vector<ValueId>& inputs,
                      const std::vector<int64_t>& out_shape, const std::string& name,
                      std::vector<Attribute> attributes) {
  Node n;
  n.name = name.empty() ? op_type + "_" + std::to_string(g_.nodes.size()) : name;
  n.op_type = op_type;
  n.opset = g_.default_opset;
  n.inputs = inputs;
  n.attributes = std::move(attributes);
  Value out;
  out.name = n.name + ":0";
  out.dtype = DataType::kFloat32;
  out.shape.emplace();
  for (int64_t d : out_shape) {
    Dim dim;
    dim.value = d;
    out.shape->push_back(dim);
  }
  const ValueId id = g_.add_value(std::move(out));
  n.outputs = {id};
  g_.nodes.push_back(std::move(n));
  return id;
}

Graph TestGraph::finish(const std::vector<ValueId>& outputs) {
  g_.outputs = outputs;
  Status s = g_.finalize();
  if (!s.ok()) throw std::runtime_error("TestGraph::finish: " + s.message());
  return g_;
}

NodeId TestGraph::node_id(const Graph& g, const std::string& name) {
  for (NodeId n = 0; n < g.nodes.size(); ++n)
    if (g.nodes[n].name == name) return n;
  throw std::runtime_error("no node " + name);
}

Attribute int_attr(const std::string& name, int64_t v) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kInt;
  a.i = v;
  return a;
}

Attribute ints_attr(const std::string& name, std::vector<int64_t> v) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}

Graph random_dag(int nodes, uint32_t seed, int width, int window) {
  TestGraph b("random_dag_" + std::to_string(seed));
  std::mt19937 rng(seed);
  std::vector<ValueId> values;
  values.push_back(b.input("x", {1, width}));
  const ValueId w = b.constant("w", {width, width}, seed);
  auto pick = [&]() {
    const size_t lo = values.size() > static_cast<size_t>(window) ? values.size() - window : 0;
    std::uniform_int_distribution<size_t> d(lo, values.size() - 1);
    return values[d(rng)];
  };
  std::vector<int> used(1, 0);
  for (int i = 0; i < nodes; ++i) {
    const int kind = static_cast<int>(rng() % 10);
    ValueId out;
    if (kind < 3) out = b.op("Relu", {values.back()}, {1, width});  // extends a chain
    else if (kind < 5) out = b.op("Sigmoid", {pick()}, {1, width});
    else if (kind < 7) out = b.op("Add", {pick(), pick()}, {1, width});
    else if (kind < 8) out = b.op("Sum", {pick(), pick(), pick()}, {1, width});
    else out = b.op("MatMul", {pick(), w}, {1, width});
    values.push_back(out);
  }
  // Every value nobody reads becomes a graph output, so no node is dead.
  Graph& g = b.graph();
  std::vector<bool> read(g.values.size(), false);
  for (const Node& n : g.nodes)
    for (ValueId in : n.inputs) read[in] = true;
  std::vector<ValueId> outs;
  for (const Node& n : g.nodes)
    if (!read[n.outputs[0]]) outs.push_back(n.outputs[0]);
  return b.finish(outs);
}

std::vector<std::vector<std::string>> subgraph_names(const Graph& g, const std::vector<std::vector<NodeId>>& subgraphs) {
  std::vector<std::vector<std::string>> out;
  for (const auto& s : subgraphs) {
    std::vector<std::string> names;
    for (NodeId n : s) names.push_back(g.nodes[n].name);
    std::sort(names.begin(), names.end());
    out.push_back(std::move(names));
  }
  return out;
}

}  // namespace braid::testing
