// Host graphs: a host engine hands Braid its own subgraphs — callables with their own
// kernels (or accelerator code) — and gets the same adaptive scheduling as ONNX sessions:
// one DSDG of its subgraphs with learned costs, the Runtime's ResourceMonitor and
// scheduler (shared with every other session of that Runtime), the same modes. Braid
// partitions nothing here: each subgraph is one schedulable unit.
//
//   braid::HostGraph g("pipeline");
//   int pre = g.add("pre", [](braid::HostTask& t) { ...; return braid::Status(); });
//   int a = g.add("left", left_fn, {pre}, {.flops = 4e8});   // cost known
//   int b = g.add("right", right_fn, {pre});                  // cost learned from runs
//   g.add("join", join_fn, {a, b});
//   braid::HostSession s = braid::HostSession::create(std::move(g)).value();
//   braid::Status st = s.run(&my_request).status();           // thread-safe
//
// Subgraphs may also exchange Braid tensors by name: `inputs` name tensors given to
// run() or produced by another subgraph (that dependency is implied), `outputs` name the
// tensors it produces (HostTask::set_output); outputs no subgraph reads are returned.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "braid/options.h"
#include "braid/session.h"
#include "braid/precision.h"
#include "braid/status.h"
#include "braid/tensor.h"

namespace braid {
namespace detail {
class HostTaskAccess;
}

// What a subgraph is expected to cost; 0 means unknown (then Braid learns the time from
// measurements and assumes a small working set).
struct HostCost {
  double flops = 0;
  double bytes = 0;         // bytes read + written
  double memory_bytes = 0;  // peak working set while it runs
};

// What a subgraph's callable sees while it runs.
class HostTask {
 public:
  int threads() const noexcept { return threads_; }        // intra-op threads it may use now
  Precision precision() const noexcept { return precision_; }
  void* request() const noexcept { return request_; }      // the pointer given to run()
  // The i-th declared input.
  const Tensor& input(size_t i) const { return *inputs_[i]; }
  size_t num_inputs() const noexcept { return inputs_.size(); }
  // Sets the i-th declared output.
  void set_output(size_t i, Tensor t) { *outputs_[i] = std::move(t); }

 private:
  friend class detail::HostTaskAccess;
  int threads_ = 1;
  Precision precision_ = Precision::kF32;
  void* request_ = nullptr;
  std::vector<const Tensor*> inputs_;
  std::vector<Tensor*> outputs_;
};

using HostFn = std::function<Status(HostTask&)>;

struct HostSubgraph {
  std::string name;
  HostFn fn;                          // the f32 (reference) implementation
  std::vector<int> after;             // subgraphs (ids from add) that must finish first
  std::vector<std::string> inputs;    // Braid tensors it reads, by name
  std::vector<std::string> outputs;   // Braid tensors it writes, by name
  HostCost cost;
  bool critical = false;              // always runs its f32 callable
  struct Variant {
    Precision precision;
    HostFn fn;
  };
  std::vector<Variant> variants;      // lower-precision implementations
};

class HostGraph {
 public:
  explicit HostGraph(std::string name = "host") : name_(std::move(name)) {}
  // Adds a subgraph; returns its id (0, 1, ...). Checked by HostSession::create.
  int add(HostSubgraph subgraph);
  int add(std::string name, HostFn fn, std::vector<int> after = {}, HostCost cost = {});

  const std::string& name() const noexcept { return name_; }
  const std::vector<HostSubgraph>& subgraphs() const noexcept { return subgraphs_; }

 private:
  std::string name_;
  std::vector<HostSubgraph> subgraphs_;
};

struct HostSessionOptions {
  ExecutionMode mode = ExecutionMode::kAdaptive;
  int threads = 0;                    // 0: the runtime's
  std::shared_ptr<Runtime> runtime;   // null: the process-wide default
  // Which variant non-critical subgraphs run: a fixed precision where they have one, or
  // kAdaptive: per subgraph and run from the resource vector (braid/precision.h,
  // docs/precision.md), the cost's flops/bytes deciding compute- or memory-bound.
  PrecisionMode precision = PrecisionMode::kF32;
  int priority = 0;                   // higher runs first when sessions compete for cores
};

class HostSession {
 public:
  // Checks the graph (callables set, ids valid, no cycle, every input produced once or
  // given to run(), no tensor produced twice) and builds its DSDG. Thread-safe.
  static Result<HostSession> create(HostGraph graph, const HostSessionOptions& options = {});
  HostSession(HostSession&&) noexcept;
  HostSession& operator=(HostSession&&) noexcept;
  ~HostSession();

  // Runs every subgraph once, in dependency order, as the scheduler decides. A failing
  // or throwing callable fails this request only (the rest is skipped); the session
  // stays usable. Returns the tensors no subgraph reads. Thread-safe.
  Result<NamedTensors> run(const NamedTensors& inputs = {}, void* request = nullptr,
                           const RunOptions& options = {}) const;
  Result<NamedTensors> run(void* request) const { return run({}, request); }

  // What has been learned per subgraph (ids as returned by HostGraph::add). Thread-safe.
  std::vector<SubgraphProfile> subgraph_profile() const;

  struct Impl;

 private:
  explicit HostSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace braid
