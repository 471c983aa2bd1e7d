// Braid's bundled benchmark workloads, built with GraphBuilder. A C++ port of
// ../shared/tools/peer/make_models.py (same structure, shapes, op sequence and weight scheme:
// He-style normal weights, normal(0, 0.05) biases, |w| >= 1e-6), so Braid's numbers compare
// with the ORT baseline in RESULTS.md. Values differ from the Python files (another RNG).
//
//   std::string err;
//   onnx::ModelProto m = braid::modelgen::make_workload("inception", &err);
//   if (!err.empty()) std::cerr << err << "\n";
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model_builder.h"

namespace braid::modelgen {

// What a workload looks like from outside: one f32 input, one f32 output.
struct WorkloadInfo {
  std::string_view name;
  std::string_view description;
  bool bundled;  // written to ${PROJECT_BINARY_DIR}/models at build time
  int64_t opset;
  std::string_view input_name;
  std::vector<int64_t> input_dims;
  std::string_view output_name;
  std::vector<int64_t> output_dims;
};

// Every known workload: the five bundled ones (inception, wide_mlp, transformer, resnet,
// ensemble), then matmul_2048 (compute-ceiling probe) and transformer_ln (the transformer with
// LayerNormalization ops at opset 17 instead of the decomposed form). Thread-safe.
std::span<const WorkloadInfo> workloads();
// Names of the bundled ones, in order. Thread-safe.
std::vector<std::string> bundled_workload_names();
// The entry for `name`, or nullptr. Thread-safe.
const WorkloadInfo* find_workload(std::string_view name);

// Builds the named workload (deterministic: same bytes every time) and checks it. On an
// unknown name or a failed check returns an empty model and sets *error (when given).
// Thread-safe.
onnx::ModelProto make_workload(std::string_view name, std::string* error = nullptr);
// The workload serialized deterministically; empty with *error set on failure. Thread-safe.
std::string serialize_workload(std::string_view name, std::string* error = nullptr);
// Writes the workload to `path`; false with *error set on failure. Thread-safe.
bool write_workload(std::string_view name, const std::string& path, std::string* error = nullptr);

}  // namespace braid::modelgen
