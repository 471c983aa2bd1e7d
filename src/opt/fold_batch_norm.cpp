// Conv + BatchNormalization (inference, constant statistics) folded into the Conv's
// weights and bias at load, so the normalisation costs nothing at run time.
#include <cmath>
#include <vector>

#include "opt/passes.h"
#include "opt/rewrite_util.h"

namespace braid::detail {
namespace {

bool float_param(const Tensor* t) {
  return t != nullptr && (t->dtype() == DataType::kFloat32 || t->dtype() == DataType::kFloat64);
}

double param_at(const Tensor& t, int64_t i) {
  return t.dtype() == DataType::kFloat32 ? static_cast<double>(t.data<float>()[i]) : t.data<double>()[i];
}

float float_attr(const Node& n, const char* name, float def) {
  const Attribute* a = n.find_attribute(name);
  return a != nullptr && a->kind == Attribute::Kind::kFloat ? a->f : def;
}

int64_t int_attr(const Node& n, const char* name, int64_t def) {
  const Attribute* a = n.find_attribute(name);
  return a != nullptr && a->kind == Attribute::Kind::kInt ? a->i : def;
}

// Whether BatchNormalization node `bn` is the inference form with constant per-channel
// parameters for `channels` channels.
bool foldable_batch_norm(const Graph& g, const Node& bn, int64_t channels) {
  if (bn.inputs.size() != 5 || !single_output(bn)) return false;
  if (int_attr(bn, "training_mode", 0) != 0) return false;
  if (bn.opset < 9 && int_attr(bn, "spatial", 1) == 0) return false;  // per-element statistics
  for (size_t i = 1; i < 5; ++i) {
    const Tensor* p = constant_input(g, bn, i);
    if (!float_param(p) || p->rank() != 1 || p->numel() != channels) return false;
  }
  const float eps = float_attr(bn, "epsilon", 1e-5f);
  return eps >= 0;
}

}  // namespace

Result<int> fold_batch_norm_into_conv(Graph& g) {
  const std::vector<bool> is_output = graph_output_flags(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int folded = 0;
  for (NodeId c = 0; c < g.nodes.size(); ++c) {
    const Node& conv = g.nodes[c];
    if (conv.op_type != "Conv" || !conv.domain.empty() || !single_output(conv)) continue;
    if (conv.find_attribute("braid_fused_activation") != nullptr) continue;  // BN after an activation
    if (conv.inputs.size() < 2 || conv.inputs.size() > 3 || !is_f32_value(g, conv.inputs[0]) || !is_f32_value(g, conv.outputs[0])) continue;
    const Tensor* w = constant_input(g, conv, 1);
    if (w == nullptr || w->dtype() != DataType::kFloat32 || w->rank() < 3 || w->dim(0) <= 0) continue;
    const int64_t channels = w->dim(0);
    const bool has_bias = conv.inputs.size() >= 3 && conv.inputs[2] != kNoValue;
    const Tensor* b = has_bias ? constant_input(g, conv, 2) : nullptr;
    if (has_bias && (b == nullptr || b->dtype() != DataType::kFloat32 || b->numel() != channels)) continue;
    const NodeId f = sole_consumer(g, is_output, conv.outputs[0]);
    if (f == kNoNode || dead[f]) continue;
    const Node& bn = g.nodes[f];
    if (bn.op_type != "BatchNormalization" || !bn.domain.empty() || bn.inputs[0] != conv.outputs[0]) continue;
    if (!is_f32_value(g, bn.outputs.empty() ? kNoValue : bn.outputs[0]) || !foldable_batch_norm(g, bn, channels))
      continue;
    const Tensor &scale = *constant_input(g, bn, 1), &beta = *constant_input(g, bn, 2),
                 &mean = *constant_input(g, bn, 3), &var = *constant_input(g, bn, 4);
    const double eps = static_cast<double>(float_attr(bn, "epsilon", 1e-5f));
    BRAID_ASSIGN_OR_RETURN(Tensor w2, Tensor::empty(DataType::kFloat32, w->shape()));
    BRAID_ASSIGN_OR_RETURN(Tensor b2, Tensor::empty(DataType::kFloat32, {channels}));
    const int64_t per_channel = w->numel() / channels;
    for (int64_t oc = 0; oc < channels; ++oc) {
      const double s = param_at(scale, oc) / std::sqrt(param_at(var, oc) + eps);
      const float* src = w->data<float>() + oc * per_channel;
      float* dst = w2.data<float>() + oc * per_channel;
      for (int64_t i = 0; i < per_channel; ++i) dst[i] = static_cast<float>(static_cast<double>(src[i]) * s);
      const double bias = b ? static_cast<double>(b->data<float>()[oc]) : 0.0;
      b2.data<float>()[oc] = static_cast<float>((bias - param_at(mean, oc)) * s + param_at(beta, oc));
    }
    const std::string base = conv.name.empty() ? "conv" : conv.name;
    const ValueId w_id = add_constant(g, base + "/W_bn_folded", std::move(w2));
    const ValueId b_id = add_constant(g, base + "/B_bn_folded", std::move(b2));
    Node& conv_mut = g.nodes[c];
    conv_mut.inputs.resize(3);
    conv_mut.inputs[1] = w_id;
    conv_mut.inputs[2] = b_id;
    absorb_follower(g, c, f, dead);
    ++folded;
  }
  if (folded > 0) BRAID_RETURN_IF_ERROR(remove_nodes(g, dead));
  return folded;
}

}  // namespace braid::detail
