// Relu after a Conv, Gemm or MatMul becomes the GEMM's epilogue
// (braid_fused_activation = "Relu"), saving one read and one write of the output.
#include <vector>

#include "opt/passes.h"
#include "opt/rewrite_util.h"

namespace braid::detail {
namespace {

bool takes_fused_activation(const Node& n) {
  if (!n.domain.empty()) return false;
  return n.op_type == "Conv" || n.op_type == "Gemm" || n.op_type == "MatMul";
}

// The fused epilogues exist on the float32 paths only.
bool all_inputs_f32(const Graph& g, const Node& n) {
  for (ValueId in : n.inputs)
    if (in != kNoValue && !is_f32_value(g, in)) return false;
  return true;
}

}  // namespace

Result<int> fuse_relu(Graph& g) {
  const std::vector<bool> is_output = graph_output_flags(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int fused = 0;
  for (NodeId p = 0; p < g.nodes.size(); ++p) {
    const Node& producer = g.nodes[p];
    if (!takes_fused_activation(producer) || !single_output(producer)) continue;
    if (producer.find_attribute("braid_fused_activation") != nullptr) continue;
    const ValueId mid = producer.outputs[0];
    if (!is_f32_value(g, mid)) continue;
    if (!all_inputs_f32(g, producer)) continue;
    const NodeId f = sole_consumer(g, is_output, mid);
    if (f == kNoNode || dead[f]) continue;
    const Node& relu = g.nodes[f];
    if (relu.op_type != "Relu" || !relu.domain.empty() || relu.inputs.size() != 1 || !single_output(relu)) continue;
    if (!is_f32_value(g, relu.outputs[0])) continue;
    Attribute act;
    act.name = "braid_fused_activation";
    act.kind = Attribute::Kind::kString;
    act.s = "Relu";
    g.nodes[p].attributes.push_back(std::move(act));
    absorb_follower(g, p, f, dead);
    ++fused;
  }
  if (fused > 0) BRAID_RETURN_IF_ERROR(remove_nodes(g, dead));
  return fused;
}

}  // namespace braid::detail
