// Conversion of onnx::TensorProto to braid::Tensor, including raw_data, the typed repeated
// fields and external data files (confined to the model's directory).
#pragma once

#include <string>

#include "braid/tensor.h"

namespace onnx {
class TensorProto;
}

namespace braid::detail {

// Limits that bound what a (possibly hostile) model can make us allocate or read.
inline constexpr int kMaxTensorRank = 64;
inline constexpr int64_t kMaxTensorBytes = int64_t{1} << 36;  // 64 GiB

// `model_dir` is where external data files are looked up; empty forbids external data.
Result<Tensor> tensor_from_proto(const onnx::TensorProto& proto, const std::string& model_dir);

// Resolves an external-data `location` inside `model_dir`: relative, no "..", and the
// canonical path (symlinks resolved) must stay inside the directory.
Result<std::string> resolve_external_path(const std::string& model_dir, const std::string& location);

}  // namespace braid::detail
