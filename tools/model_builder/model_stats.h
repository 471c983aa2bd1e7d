// Size and cost of an ONNX model, counted as ../shared/tools/peer/make_models.py counts them
// (so figures line up with RESULTS.md): 2*MAC for Conv/MatMul/Gemm, kernel-size FLOPs per
// MaxPool output, one per input element for GlobalAveragePool, five per Softmax output and
// one per output element for everything else.
//
//   ModelStats s = braid::modelgen::model_stats(model);
//   std::cout << s.nodes << " nodes, " << s.mac_gflop << " GFLOP\n";
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "model_builder.h"

namespace braid::modelgen {

struct ModelStats {
  int64_t nodes = 0;
  std::map<std::string, int64_t> op_counts;  // op type -> count, sorted by name
  double mac_gflop = 0.0;                    // Conv/MatMul/Gemm
  double other_gflop = 0.0;
  double params_m = 0.0;  // initializer elements, millions
};

// Runs shape inference on a copy of the model. Thread-safe.
ModelStats model_stats(const onnx::ModelProto& model);

// One-line JSON object. Thread-safe.
std::string to_json(const ModelStats& stats);

}  // namespace braid::modelgen
