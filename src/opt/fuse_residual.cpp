// Conv + Add(residual that may have the output's shape): the ResNet shortcut. The residual
// becomes the Conv's fourth input (a Braid extension), added right after each task's GEMM
// while its block of the output is in cache, so the Add's pass over the output goes; a
// following Relu is fused afterwards by fuse_relu. MatMul + Add(R) likewise (the
// transformer's residual stream): R is MatMul's fourth input, after the optional bias.
#include <vector>

#include "opt/passes.h"
#include "opt/rewrite_util.h"

namespace braid::detail {
namespace {

// Declared shapes of one rank that may be equal at run time: no dim pair is two different
// known sizes. Exporters' shape inference often gives a residual and the Conv output
// different fresh symbols (unk__10 vs unk__16) for what is the same size. Correctness
// does not depend on it: an R whose shape differs at run time makes the Conv kernel do
// what Conv + Add would (its slow path); only the speed does.
bool may_be_same_shape(const Value& a, const Value& b) {
  if (!a.shape || !b.shape || a.shape->size() != b.shape->size()) return false;
  for (size_t i = 0; i < a.shape->size(); ++i) {
    const Dim &x = (*a.shape)[i], &y = (*b.shape)[i];
    if (x.known() && y.known() && x.value != y.value) return false;
  }
  return true;
}

}  // namespace

Result<int> fuse_residual(Graph& g) {
  const std::vector<bool> is_output = graph_output_flags(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int fused = 0;
  for (NodeId c = 0; c < g.nodes.size(); ++c) {
    const Node& conv = g.nodes[c];  // a Conv or a MatMul
    if ((conv.op_type != "Conv" && conv.op_type != "MatMul") || !conv.domain.empty() || conv.inputs.size() < 2 ||
        conv.inputs.size() > 3)
      continue;
    if (!single_output(conv) || conv.find_attribute("braid_fused_activation") != nullptr) continue;
    const ValueId mid = conv.outputs[0];
    if (!is_f32_value(g, mid) || !is_f32_value(g, conv.inputs[0]) || !is_f32_value(g, conv.inputs[1])) continue;
    const NodeId f = sole_consumer(g, is_output, mid);
    if (f == kNoNode || dead[f]) continue;
    const Node& add = g.nodes[f];
    if (add.op_type != "Add" || !add.domain.empty() || add.opset < 7 || add.inputs.size() != 2 || !single_output(add))
      continue;
    const size_t other = add.inputs[0] == mid ? 1 : 0;
    if (add.inputs[1 - other] != mid || add.inputs[other] == mid || add.inputs[other] == kNoValue) continue;
    const ValueId res = add.inputs[other];
    if (!is_f32_value(g, res) || !is_f32_value(g, add.outputs[0])) continue;
    // No known broadcast in the Add (an unknown one is the kernel's slow path).
    if (!may_be_same_shape(g.values[mid], g.values[res]) || !may_be_same_shape(g.values[mid], g.values[add.outputs[0]]))
      continue;
    Node& conv_mut = g.nodes[c];
    conv_mut.inputs.resize(4, kNoValue);  // X, W, B (maybe omitted), R; MatMul: A, B, bias, R
    conv_mut.inputs[3] = res;
    absorb_follower(g, c, f, dead);
    ++fused;
  }
  if (fused > 0) BRAID_RETURN_IF_ERROR(remove_nodes(g, dead));
  return fused;
}

}  // namespace braid::detail
