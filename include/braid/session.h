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
  // Most bytes of node-produced values alive at once in this run (each at its logical
  // size: an output that aliases its input, as Reshape's does, counts again; the caller's
  // inputs do not count).
  size_t peak_activation_bytes = 0;
  // Kernels run at each precision, indexed by Precision (a node without a bf16/int8
  // variant counts as f32 inside a lowered subgraph too).
  int64_t kernels_by_precision[kPrecisionCount] = {0, 0, 0};
};

// What the runtime has learned about one subgraph of a session (Session::subgraph_profile).
// Estimates come from the cost model at the last input shapes; times are learned from the
// adaptive runs (an EWMA per precision and thread count) and fall back to the calibrated
// cost model before the first run.
struct SubgraphProfile {
  int id = 0;
  int nodes = 0;
  std::string first_node;      // name (or op type) of its first and last node
  std::string last_node;
  double flops = 0;            // estimated, current shapes
  double bytes = 0;            // estimated bytes read + written
  bool compute_bound = false;  // against the machine's balance point
  double predicted_ms = 0;     // on one thread
  double measured_ms = -1;     // EWMA of its runs on one thread; -1 before any
  uint64_t runs = 0;           // measured runs at any thread count (the first run, cold, is not)
  double upward_rank_ms = 0;   // predicted time from its start to the end of the graph
};

// One request submitted with Session::submit. Move-only; the request runs to completion
// whether or not its ticket is kept.
class RunTicket {
 public:
  RunTicket();
  RunTicket(RunTicket&&) noexcept;
  RunTicket& operator=(RunTicket&&) noexcept;
  ~RunTicket();

  bool valid() const noexcept { return state_ != nullptr; }
  // True once the request has finished, successfully or not (never blocks). Thread-safe.
  bool ready() const noexcept;
  // Blocks until the request finishes and returns its outputs or its error. The result is
  // moved out: a second call returns an error. Thread-safe with ready().
  Result<NamedTensors> wait();

  struct State;

 private:
  friend class Session;
  explicit RunTicket(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
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
  // Same, into `outputs`, reusing what it holds: an output whose entry already has the
  // output's dtype and room for its elements, and either views caller memory or holds
  // storage no other Tensor shares (and overlaps no input), is written in place; the
  // others are stored as run() returns them. A serving loop that passes the same map
  // every time makes no heap allocation in a steady-state sequential run. On failure the
  // entries hold unspecified values. `outputs` is the caller's alone during the call.
  // Thread-safe (many threads, each with its own `outputs`).
  Status run_into(const NamedTensors& inputs, NamedTensors& outputs, const RunOptions& options = {},
                  RunStats* stats = nullptr) const;

  // Streaming: checks the inputs, queues the request and returns at once; it runs on the
  // runtime's threads while the caller goes on, and consecutive requests overlap
  // (request n+1's first subgraphs run while request n's last ones finish). At most
  // max_in_flight requests are queued or running (SessionOptions): submit waits for
  // room, try_submit fails with kResourceExhausted instead. The session must outlive its
  // pending requests (destroying it waits for them). Thread-safe.
  Result<RunTicket> submit(NamedTensors inputs, RunOptions options = {}) const;
  Result<RunTicket> try_submit(NamedTensors inputs, RunOptions options = {}) const;

  // One entry per subgraph of the parallel plan, in topological order. Thread-safe.
  std::vector<SubgraphProfile> subgraph_profile() const;

  // Precision (braid/precision.h). calibrate() runs the samples in f32, then every
  // lowerable subgraph once per lower precision on the same f32 inputs, records the
  // relative L2 and max abs error of its outputs and disallows each precision whose error
  // exceeds the subgraph's tolerance. Local errors compound, so it then runs the whole
  // model at each lower precision and, while the graph outputs' relative L2 error exceeds
  // `options.output_tolerance`, disallows that precision on the subgraph with the largest
  // local error. The result applies to later runs at once. Thread-safe (runs in flight
  // finish with the policies they started with or the new ones).
  Result<CalibrationReport> calibrate(const std::vector<NamedTensors>& samples,
                                      const CalibrationOptions& options = {});
  // Applies a saved calibration (same model: subgraph count and ids must match).
  Status load_calibration(const CalibrationReport& report);
  // Every subgraph's effective policy and measured errors. Thread-safe.
  CalibrationReport precision_report() const;

  struct Impl;
  // For Braid's own tools and tests.
  const Impl& impl() const { return *impl_; }

 private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace braid
