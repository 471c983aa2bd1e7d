// Session::Impl: the immutable state built at load (graph, plan, arena) shared by runs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "braid/session.h"
#include "exec/execution_plan.h"
#include "exec/parallel_executor.h"
#include "partition/partition_plan.h"
#include "sched/runtime_core.h"
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
  std::unique_ptr<detail::ParallelExecutor> executor;

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
