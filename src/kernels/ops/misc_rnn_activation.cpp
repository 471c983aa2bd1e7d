#include "kernels/ops/misc_rnn_activation.h"

#include <cctype>

#include "kernels/attributes.h"
#include "kernels/op_kernel.h"

namespace braid::detail::misc {
namespace {

struct ActivationSpec {
  const char* name;  // lower case
  ActivationKind kind;
  int params;        // 0: none, 1: alpha, 2: alpha and beta
  float alpha, beta; // defaults, as the standalone ONNX operators
};

constexpr ActivationSpec kSpecs[] = {
    {"sigmoid", ActivationKind::kSigmoid, 0, 0, 0},
    {"tanh", ActivationKind::kTanh, 0, 0, 0},
    {"relu", ActivationKind::kRelu, 0, 0, 0},
    {"affine", ActivationKind::kAffine, 2, 1.0f, 0.0f},
    {"leakyrelu", ActivationKind::kLeakyRelu, 1, 0.01f, 0},
    {"thresholdedrelu", ActivationKind::kThresholdedRelu, 1, 1.0f, 0},
    {"scaledtanh", ActivationKind::kScaledTanh, 2, 1.0f, 1.0f},
    {"hardsigmoid", ActivationKind::kHardSigmoid, 2, 0.2f, 0.5f},
    {"elu", ActivationKind::kElu, 1, 1.0f, 0},
    {"softsign", ActivationKind::kSoftsign, 0, 0, 0},
    {"softplus", ActivationKind::kSoftplus, 0, 0, 0},
};

}  // namespace

Result<std::vector<Activation>> parse_activations(const Node& node, const std::vector<std::string>& defaults,
                                                  int num_directions) {
  const size_t per_direction = defaults.size();
  std::vector<std::string> names;
  if (const Attribute* a = node.find_attribute("activations"); a && a->kind == Attribute::Kind::kStrings)
    names = a->strings;
  if (names.empty()) names = defaults;
  if (names.size() == per_direction && num_directions == 2) {
    std::vector<std::string> twice = names;
    twice.insert(twice.end(), names.begin(), names.end());
    names = std::move(twice);
  }
  if (names.size() != per_direction * static_cast<size_t>(num_directions))
    return bad_node(node, "activations lists " + std::to_string(names.size()) + " functions, expected " +
                              std::to_string(per_direction * num_directions));
  const std::vector<float> alphas = attr_floats(node, "activation_alpha");
  const std::vector<float> betas = attr_floats(node, "activation_beta");
  size_t next_alpha = 0, next_beta = 0;
  std::vector<Activation> out;
  for (const std::string& name : names) {
    std::string lower;
    for (char ch : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const ActivationSpec* spec = nullptr;
    for (const ActivationSpec& s : kSpecs)
      if (lower == s.name) spec = &s;
    if (spec == nullptr) return unsupported_op(node.describe() + ": activation '" + name + "' is not supported");
    Activation act{spec->kind, spec->alpha, spec->beta};
    if (spec->params >= 1 && next_alpha < alphas.size()) act.alpha = alphas[next_alpha++];
    if (spec->params >= 2 && next_beta < betas.size()) act.beta = betas[next_beta++];
    out.push_back(act);
  }
  return out;
}

}  // namespace braid::detail::misc
