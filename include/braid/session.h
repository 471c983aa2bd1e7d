// Session: a loaded model, ready to run. Load -> (plan, once) -> run(named inputs).
//
//   auto session = braid::Session::load("model.onnx").value();
//   braid::NamedTensors in{{"input", braid::Tensor::zeros(braid::DataType::kFloat32, {1, 3, 224, 224}).value()}};
//   braid::Result<braid::NamedTensors> out = session.run(in);
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "braid/options.h"
#include "braid/status.h"
#include "braid/tensor.h"

namespace braid {

using NamedTensors = std::map<std::string, Tensor>;

// A graph input or output as declared by the model. Unknown or symbolic dims are -1.
struct TensorInfo {
  std::string name;
  DataType dtype = DataType::kUndefined;
  std::vector<int64_t> shape;
  std::vector<std::string> dim_symbols;  // parallel to shape; non-empty for symbolic dims
  bool has_shape = false;                // false when the rank is unknown
};

// Per-run statistics (filled when RunStats* is passed to run()).
struct RunStats {
  double wall_ms = 0;
  int64_t kernels_run = 0;
  size_t peak_activation_bytes = 0;
};

class Session {
 public:
  // Loads, checks and plans a model file. Thread-safe.
  static Result<Session> load(const std::string& path, const SessionOptions& options = {});
  // Same, from bytes in memory (external data is not allowed). Thread-safe.
  static Result<Session> load_from_memory(const void* data, size_t size, const SessionOptions& options = {});

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  // The model's inputs and outputs. Thread-safe.
  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;

  // Runs the model once. Inputs are checked (names, dtypes, ranks, static dims); a failed
  // run leaves the session usable. Thread-safe: many threads may run one session at once.
  Result<NamedTensors> run(const NamedTensors& inputs, const RunOptions& options = {},
                           RunStats* stats = nullptr) const;

  struct Impl;
  // For Braid's own tools and tests.
  const Impl& impl() const { return *impl_; }

 private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace braid
