// Session::Impl: the immutable state built at load (graph, plan, arena) shared by runs.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "braid/session.h"
#include "exec/activation_arena.h"
#include "exec/execution_plan.h"
#include "dsdg/dsdg.h"
#include "exec/parallel_executor.h"
#include "exec/precision_plan.h"
#include "partition/partition_plan.h"
#include "sched/runtime_core.h"
#include "session/async_runner.h"
#include "ir/graph.h"

namespace braid {

struct Session::Impl {
  std::string model_name;
  SessionOptions options;
  detail::Graph graph;
  detail::ExecutionPlan plan;
  std::vector<TensorInfo> input_info;
  std::vector<TensorInfo> output_info;
  int threads = 1;
  std::shared_ptr<detail::RuntimeCore> runtime;
  detail::PartitionPlan partition;
  std::unique_ptr<detail::Dsdg> dsdg;  // built from `partition`; learns from every adaptive run
  std::unique_ptr<detail::ParallelExecutor> executor;
  // Each subgraph's precision policy (defaults, rules, calibration) and per-run choice.
  std::unique_ptr<detail::PrecisionPlan> precision;
  // Dynamic input dims: the DSDG is re-estimated when a run's input shapes differ from
  // the last ones (a hash compared lock-free; the re-estimate itself is serialised).
  bool dynamic_inputs = false;
  mutable std::atomic<uint64_t> shapes_key{0};
  mutable std::mutex reestimate_mu;
  // Planned activation memory (exec/memory_plan.h, dependency-order liveness: valid in
  // every mode): one block and one values array per in-flight request, leased per run.
  // Replanned with the DSDG when the input shapes change. use_arena = false (the
  // environment's BRAID_ACTIVATION_ARENA=0 at load) puts every activation on the heap.
  std::unique_ptr<detail::ActivationArena> arena;
  bool use_arena = true;

  // Re-estimates the DSDG and replans the activation arena when the bound inputs' shapes
  // changed since the last run. Thread-safe.
  void track_input_shapes(const std::vector<Tensor>& values) const;
  // The precision context of one run: mode (run's or session's), plan and, in adaptive
  // mode, the pressure read from the monitor now. Thread-safe.
  detail::RunPrecision run_precision(const RunOptions& options) const;
  // Runs one request whose inputs are bound in `values`; `memory` is the request's leased
  // memory when `values` is its array (null: a block is leased for this run). Thread-safe.
  // With `into`, the outputs go there (Session::run_into) and the result is empty.
  Result<NamedTensors> run_bound(std::vector<Tensor>& values, const RunOptions& options, RunStats* stats,
                                 detail::RequestMemory* memory = nullptr, NamedTensors* into = nullptr) const;
  // Points memory.targets at the entries of `outputs` that graph outputs may be written
  // into in place (Session::run_into's rule). Thread-safe.
  void target_outputs(const NamedTensors& inputs, const NamedTensors& outputs, detail::RequestMemory& memory) const;
  // The streaming runner, started at the first submit. Last member: destroyed first, so
  // its pending requests finish while everything they use is alive.
  mutable std::once_flag async_once;
  mutable std::unique_ptr<detail::AsyncRunner> async;
  detail::AsyncRunner& async_runner() const;

  // Checks the caller's inputs and places them into `values`.
  Status bind_inputs(const NamedTensors& inputs, std::vector<Tensor>& values) const;
};

namespace detail {
// Builds a ready Session::Impl from an imported graph.
Result<std::unique_ptr<Session::Impl>> make_session_impl(Graph graph, std::string model_name,
                                                         const SessionOptions& options);
// Cores this process may run on (affinity mask). Thread-safe.
int available_cpu_count();
}  // namespace detail

}  // namespace braid
