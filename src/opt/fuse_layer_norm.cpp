// The LayerNorm that exporters without LayerNormalization emit (and opset < 17 models):
//   mean = ReduceMean(x, last axis); d = x - mean; var = ReduceMean(d ^ 2, last axis)
//   y = d / Sqrt(var + eps) * gamma + beta
// nine nodes, nine passes over the activations and nine dispatches, become one
// LayerNormalization(x, gamma, beta, axis = -1, epsilon = eps) (opset 17's kernel: a
// two-pass mean and variance and one affine pass per row).
#include <cmath>
#include <vector>

#include "opt/passes.h"
#include "opt/rewrite_util.h"

namespace braid::detail {
namespace {

bool is_op(const Node& n, const char* op, size_t inputs) {
  return n.op_type == op && n.domain.empty() && n.inputs.size() == inputs && single_output(n);
}

// Whether ReduceMean node `r` averages its input over the last axis only, keeping dims.
bool reduces_last_axis(const Graph& g, const Node& r) {
  if (!is_op(r, "ReduceMean", r.inputs.size()) || r.inputs.empty() || r.inputs.size() > 2) return false;
  if (const Attribute* k = r.find_attribute("keepdims"); k != nullptr && k->i != 1) return false;
  if (const Attribute* nz = r.find_attribute("noop_with_empty_axes"); nz != nullptr && nz->i != 0) return false;
  const Value& x = g.values[r.inputs[0]];
  const int64_t rank = x.shape ? static_cast<int64_t>(x.shape->size()) : -1;
  std::vector<int64_t> axes;
  if (r.inputs.size() == 2) {  // opset 18: axes as a constant input
    const Tensor* a = constant_input(g, r, 1);
    if (a == nullptr || a->dtype() != DataType::kInt64 || a->numel() != 1) return false;
    axes.push_back(a->data<int64_t>()[0]);
  } else if (const Attribute* a = r.find_attribute("axes"); a != nullptr) {
    axes = a->ints;
  }
  if (axes.size() != 1) return false;
  return axes[0] == -1 || (rank > 0 && axes[0] == rank - 1);
}

// The constant scalar float behind the input of `n` that is not `v`, or NaN.
float other_scalar(const Graph& g, const Node& n, ValueId v) {
  if (n.inputs.size() != 2) return NAN;
  const size_t other = n.inputs[0] == v ? 1 : 0;
  if (n.inputs[1 - other] != v) return NAN;
  const Tensor* c = constant_input(g, n, other);
  if (c == nullptr || c->dtype() != DataType::kFloat32 || c->numel() != 1) return NAN;
  return c->data<float>()[0];
}

// The input of binary `n` that is not `v` when it is a 1-D float32 constant of `c` values.
ValueId row_param(const Graph& g, const Node& n, ValueId v, int64_t c) {
  if (n.inputs.size() != 2) return kNoValue;
  const size_t other = n.inputs[0] == v ? 1 : 0;
  if (n.inputs[1 - other] != v || n.inputs[other] == v) return kNoValue;
  const Tensor* t = constant_input(g, n, other);
  if (t == nullptr || t->dtype() != DataType::kFloat32 || t->rank() != 1 || t->numel() != c) return kNoValue;
  return n.inputs[other];
}

}  // namespace

Result<int> fuse_layer_norm(Graph& g) {
  const std::vector<bool> is_output = graph_output_flags(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int fused = 0;
  for (NodeId r1 = 0; r1 < g.nodes.size(); ++r1) {
    if (dead[r1] || !reduces_last_axis(g, g.nodes[r1])) continue;
    const ValueId x = g.nodes[r1].inputs[0];
    const Value& xv = g.values[x];
    if (!is_f32_value(g, x) || !xv.shape || xv.shape->empty() || !xv.shape->back().known()) continue;
    const int64_t c = xv.shape->back().value;
    const ValueId mean = g.nodes[r1].outputs[0];
    const NodeId sub = sole_consumer(g, is_output, mean);
    if (sub == kNoNode || dead[sub] || !is_op(g.nodes[sub], "Sub", 2)) continue;
    if (g.nodes[sub].inputs[0] != x || g.nodes[sub].inputs[1] != mean) continue;
    const ValueId d = g.nodes[sub].outputs[0];
    // d feeds exactly the Pow and the Div.
    if (is_output[d] || g.values[d].consumers.size() != 2) continue;
    NodeId pow = g.values[d].consumers[0], div = g.values[d].consumers[1];
    if (g.nodes[pow].op_type != "Pow") std::swap(pow, div);
    if (dead[pow] || dead[div] || !is_op(g.nodes[pow], "Pow", 2) || !is_op(g.nodes[div], "Div", 2)) continue;
    if (g.nodes[pow].inputs[0] != d || other_scalar(g, g.nodes[pow], d) != 2.0f) continue;
    const NodeId r2 = sole_consumer(g, is_output, g.nodes[pow].outputs[0]);
    if (r2 == kNoNode || dead[r2] || !reduces_last_axis(g, g.nodes[r2])) continue;
    const NodeId add_eps = sole_consumer(g, is_output, g.nodes[r2].outputs[0]);
    if (add_eps == kNoNode || dead[add_eps] || !is_op(g.nodes[add_eps], "Add", 2)) continue;
    const float eps = other_scalar(g, g.nodes[add_eps], g.nodes[r2].outputs[0]);
    if (!(eps >= 0.0f)) continue;  // also rejects NaN: no scalar constant there
    const NodeId sqrt = sole_consumer(g, is_output, g.nodes[add_eps].outputs[0]);
    if (sqrt == kNoNode || dead[sqrt] || !is_op(g.nodes[sqrt], "Sqrt", 1)) continue;
    if (sole_consumer(g, is_output, g.nodes[sqrt].outputs[0]) != div) continue;
    if (g.nodes[div].inputs[0] != d || g.nodes[div].inputs[1] != g.nodes[sqrt].outputs[0]) continue;
    const ValueId normed = g.nodes[div].outputs[0];
    const NodeId mul = sole_consumer(g, is_output, normed);
    if (mul == kNoNode || dead[mul] || !is_op(g.nodes[mul], "Mul", 2)) continue;
    const ValueId gamma = row_param(g, g.nodes[mul], normed, c);
    if (gamma == kNoValue) continue;
    const ValueId scaled = g.nodes[mul].outputs[0];
    const NodeId add_beta = sole_consumer(g, is_output, scaled);
    if (add_beta == kNoNode || dead[add_beta] || !is_op(g.nodes[add_beta], "Add", 2)) continue;
    const ValueId beta = row_param(g, g.nodes[add_beta], scaled, c);
    if (beta == kNoValue || !is_f32_value(g, g.nodes[add_beta].outputs[0])) continue;

    Node& ln = g.nodes[r1];
    ln.op_type = "LayerNormalization";
    ln.opset = 17;
    ln.inputs = {x, gamma, beta};
    ln.attributes.clear();
    Attribute axis;
    axis.name = "axis";
    axis.kind = Attribute::Kind::kInt;
    axis.i = -1;
    Attribute epsilon;
    epsilon.name = "epsilon";
    epsilon.kind = Attribute::Kind::kFloat;
    epsilon.f = eps;
    ln.attributes = {axis, epsilon};
    absorb_follower(g, r1, add_beta, dead);
    for (NodeId n : {sub, pow, r2, add_eps, sqrt, div, mul}) dead[n] = true;
    ++fused;
  }
  if (fused > 0) BRAID_RETURN_IF_ERROR(remove_nodes(g, dead));
  return fused;
}

}  // namespace braid::detail
