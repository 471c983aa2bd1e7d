// Bias Adds after a GEMM-backed op:
//  - MatMul + Add(constant bias along the last axis): the Linear layer of exporters that do
//    not emit Gemm. The bias becomes MatMul's third input (a Braid extension: ONNX MatMul
//    has two), applied by the GEMM's per-column epilogue;
//  - Conv + Add(constant per-channel [C,1,1] or scalar): exporters (CNTK) that keep the
//    bias out of the Conv. It is added to the Conv's own bias.
// Either way the Add's pass over the output goes.
#include <vector>

#include "opt/passes.h"
#include "opt/rewrite_util.h"

namespace braid::detail {
namespace {

// N of MatMul node `mm` when B has rank >= 2 and a known last dim, else -1.
int64_t matmul_columns(const Graph& g, const Node& mm) {
  const Value& b = g.values[mm.inputs[1]];
  if (b.constant) return b.constant->rank() >= 2 ? b.constant->shape().back() : -1;
  if (!b.shape || b.shape->size() < 2 || !b.shape->back().known()) return -1;
  return b.shape->back().value;
}

// Whether `bias` adds one value per column of an output of declared rank `out_rank`
// (-1: unknown) without broadcasting the output to a larger shape.
bool column_bias(const Tensor& bias, int64_t n, int64_t out_rank) {
  if (bias.dtype() != DataType::kFloat32 || bias.rank() < 1 || bias.numel() != n || bias.shape().back() != n)
    return false;
  if (bias.rank() == 1) return true;
  return out_rank >= bias.rank();  // leading dims are all 1 (numel == n)
}

// Whether constant `c` adds one value per output channel (axis 1) of a Conv output of rank
// `out_rank` with `channels` channels, or one value to everything; without broadcasting the
// output to a larger shape.
bool channel_bias(const Tensor& c, int64_t out_rank, int64_t channels) {
  if (c.dtype() != DataType::kFloat32 || c.rank() > out_rank) return false;
  if (c.numel() == 1) return true;
  if (c.numel() != channels || c.rank() < out_rank - 1) return false;
  const int64_t channel_axis = c.rank() - (out_rank - 1);  // c's dim aligned with axis 1
  for (int64_t d = 0; d < c.rank(); ++d)
    if (c.dim(static_cast<size_t>(d)) != (d == channel_axis ? channels : 1)) return false;
  return true;
}

}  // namespace

Result<int> fuse_conv_bias_add(Graph& g) {
  const std::vector<bool> is_output = graph_output_flags(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int fused = 0;
  for (NodeId c = 0; c < g.nodes.size(); ++c) {
    const Node& conv = g.nodes[c];
    if (conv.op_type != "Conv" || !conv.domain.empty() || conv.inputs.size() < 2 || conv.inputs.size() > 3) continue;
    if (!single_output(conv) || conv.find_attribute("braid_fused_activation") != nullptr) continue;
    const ValueId mid = conv.outputs[0];
    if (!is_f32_value(g, mid) || !is_f32_value(g, conv.inputs[0])) continue;
    const Tensor* w = constant_input(g, conv, 1);
    if (w == nullptr || w->dtype() != DataType::kFloat32 || w->rank() < 3 || w->dim(0) <= 0) continue;
    const int64_t channels = w->dim(0);
    const bool has_bias = conv.inputs.size() == 3 && conv.inputs[2] != kNoValue;
    const Tensor* b = has_bias ? constant_input(g, conv, 2) : nullptr;
    if (has_bias && (b == nullptr || b->dtype() != DataType::kFloat32 || b->numel() != channels)) continue;
    const NodeId f = sole_consumer(g, is_output, mid);
    if (f == kNoNode || dead[f]) continue;
    const Node& add = g.nodes[f];
    if (add.op_type != "Add" || !add.domain.empty() || add.opset < 7 || add.inputs.size() != 2 || !single_output(add))
      continue;
    if (!is_f32_value(g, add.outputs[0])) continue;
    const size_t other = add.inputs[0] == mid ? 1 : 0;
    if (add.inputs[1 - other] != mid || add.inputs[other] == mid) continue;
    const Tensor* extra = constant_input(g, add, other);
    if (extra == nullptr || !channel_bias(*extra, w->rank(), channels)) continue;
    BRAID_ASSIGN_OR_RETURN(Tensor b2, Tensor::empty(DataType::kFloat32, {channels}));
    for (int64_t oc = 0; oc < channels; ++oc)
      b2.data<float>()[oc] = (b ? b->data<float>()[oc] : 0.0f) + extra->data<float>()[extra->numel() == 1 ? 0 : oc];
    const std::string base = conv.name.empty() ? "conv" : conv.name;
    const ValueId b_id = add_constant(g, base + "/B_add_folded", std::move(b2));
    Node& conv_mut = g.nodes[c];
    conv_mut.inputs.resize(3);
    conv_mut.inputs[2] = b_id;
    absorb_follower(g, c, f, dead);
    ++fused;
  }
  if (fused > 0) BRAID_RETURN_IF_ERROR(remove_nodes(g, dead));
  return fused;
}

Result<int> fuse_matmul_bias(Graph& g) {
  const std::vector<bool> is_output = graph_output_flags(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int fused = 0;
  for (NodeId m = 0; m < g.nodes.size(); ++m) {
    const Node& mm = g.nodes[m];
    if (mm.op_type != "MatMul" || !mm.domain.empty() || mm.inputs.size() != 2 || !single_output(mm)) continue;
    if (mm.find_attribute("braid_fused_activation") != nullptr) continue;
    if (!is_f32_value(g, mm.inputs[0]) || !is_f32_value(g, mm.inputs[1]) || !is_f32_value(g, mm.outputs[0])) continue;
    const int64_t n = matmul_columns(g, mm);
    if (n <= 0) continue;
    const ValueId mid = mm.outputs[0];
    const NodeId f = sole_consumer(g, is_output, mid);
    if (f == kNoNode || dead[f]) continue;
    const Node& add = g.nodes[f];
    if (add.op_type != "Add" || !add.domain.empty() || add.opset < 7 || add.inputs.size() != 2 || !single_output(add))
      continue;
    if (!is_f32_value(g, add.outputs[0])) continue;
    const size_t other = add.inputs[0] == mid ? 1 : 0;
    if (add.inputs[1 - other] != mid || add.inputs[other] == mid) continue;
    const Value& bias = g.values[add.inputs[other]];
    const int64_t out_rank = g.values[mid].shape ? static_cast<int64_t>(g.values[mid].shape->size()) : -1;
    if (!bias.constant || !column_bias(*bias.constant, n, out_rank)) continue;
    g.nodes[m].inputs.push_back(add.inputs[other]);
    absorb_follower(g, m, f, dead);
    ++fused;
  }
  if (fused > 0) BRAID_RETURN_IF_ERROR(remove_nodes(g, dead));
  return fused;
}

}  // namespace braid::detail
