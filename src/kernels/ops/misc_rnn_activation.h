// The activation functions of LSTM / GRU / RNN (the `activations`, `activation_alpha` and
// `activation_beta` attributes): parsed once at load, applied to a gate row at run time.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "braid/status.h"
#include "ir/graph.h"

namespace braid::detail::misc {

enum class ActivationKind {
  kSigmoid, kTanh, kRelu, kAffine, kLeakyRelu, kThresholdedRelu, kScaledTanh, kHardSigmoid, kElu, kSoftsign, kSoftplus,
};

struct Activation {
  ActivationKind kind = ActivationKind::kSigmoid;
  float alpha = 0, beta = 0;
};

// Reads `activations` (names are case-insensitive) with their alpha / beta values; the
// list may name one set for all directions or one set per direction. Missing: `defaults`.
// Returns num_directions * per_direction activations.
Result<std::vector<Activation>> parse_activations(const Node& node, const std::vector<std::string>& defaults,
                                                  int num_directions);

// x[i] = f(x[i]) for i in [0, n).
template <class T>
void apply_activation(const Activation& a, T* x, int64_t n) {
  const T alpha = static_cast<T>(a.alpha), beta = static_cast<T>(a.beta);
  switch (a.kind) {
    case ActivationKind::kSigmoid:
      for (int64_t i = 0; i < n; ++i) x[i] = T(1) / (T(1) + std::exp(-x[i]));
      break;
    case ActivationKind::kTanh:
      for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
      break;
    case ActivationKind::kRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] > T(0) ? x[i] : T(0);
      break;
    case ActivationKind::kAffine:
      for (int64_t i = 0; i < n; ++i) x[i] = alpha * x[i] + beta;
      break;
    case ActivationKind::kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= T(0) ? x[i] : alpha * x[i];
      break;
    case ActivationKind::kThresholdedRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] > alpha ? x[i] : T(0);
      break;
    case ActivationKind::kScaledTanh:
      for (int64_t i = 0; i < n; ++i) x[i] = alpha * std::tanh(beta * x[i]);
      break;
    case ActivationKind::kHardSigmoid:
      for (int64_t i = 0; i < n; ++i) {
        const T v = alpha * x[i] + beta;
        x[i] = v < T(0) ? T(0) : v > T(1) ? T(1) : v;
      }
      break;
    case ActivationKind::kElu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= T(0) ? x[i] : alpha * (std::exp(x[i]) - T(1));
      break;
    case ActivationKind::kSoftsign:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] / (T(1) + std::abs(x[i]));
      break;
    case ActivationKind::kSoftplus:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] > T(30) ? x[i] : std::log1p(std::exp(x[i]));
      break;
  }
}

}  // namespace braid::detail::misc
