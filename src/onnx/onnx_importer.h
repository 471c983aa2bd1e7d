// ONNX import: the only code in Braid that sees onnx::ModelProto. Parses, checks (onnx
// checker), infers shapes (onnx shape inference), folds Constant nodes and builds the IR.
#pragma once

#include <string>

#include "braid/status.h"
#include "ir/graph.h"

namespace braid::detail {

inline constexpr int kMinOpset = 1;
inline constexpr int kMaxOpset = 17;
inline constexpr size_t kMaxNodes = 1u << 22;

// Imports a model from bytes. `model_path` names the model in errors and locates external
// data files (empty: none allowed).
Result<Graph> import_onnx_model(const void* data, size_t size, const std::string& model_path);
// Reads and imports a model file.
Result<Graph> import_onnx_file(const std::string& path);

}  // namespace braid::detail
