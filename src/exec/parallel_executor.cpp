#include "exec/parallel_executor.h"

#include <atomic>
#include <memory>

namespace braid::detail {
namespace {

// One request of an ONNX session: a unit runs its nodes; the values that cross units die
// when their last consuming unit finishes (an atomic count per value).
class GraphBody final : public UnitBody {
 public:
  GraphBody(const Graph& graph, const ExecutionPlan& plan, const SubgraphProgram& program,
            std::vector<Tensor>& values)
      : graph_(graph),
        plan_(plan),
        program_(program),
        values_(values),
        crossing_(new std::atomic<int>[program.crossing_values.size()]) {
    for (size_t i = 0; i < program.crossing_values.size(); ++i)
      crossing_[i].store(program.crossing_consumers[i], std::memory_order_relaxed);
  }

  Status run(uint32_t unit, int threads) override {
    for (const SubgraphProgram::Step& step : program_.units[unit].steps)
      BRAID_RETURN_IF_ERROR(run_node(graph_, plan_, values_, step.node, threads, step.release));
    return {};
  }

  void finished(uint32_t unit) override {
    for (uint32_t slot : program_.units[unit].crossing_inputs)
      // Acq_rel: the consumers' reads of the value happen before whoever frees it.
      if (crossing_[slot].fetch_sub(1, std::memory_order_acq_rel) == 1)
        values_[program_.crossing_values[slot]] = Tensor();
  }

 private:
  const Graph& graph_;
  const ExecutionPlan& plan_;
  const SubgraphProgram& program_;
  std::vector<Tensor>& values_;
  std::unique_ptr<std::atomic<int>[]> crossing_;
};

}  // namespace

ParallelExecutor::ParallelExecutor(const Graph& graph, const ExecutionPlan& plan, const PartitionPlan& partition,
                                   Dispatcher& dispatcher, int static_threads, Dsdg* dsdg)
    : graph_(graph),
      plan_(plan),
      owned_dsdg_(dsdg ? nullptr : std::make_unique<Dsdg>(partition)),
      units_(dispatcher, dsdg ? *dsdg : *owned_dsdg_, static_threads),
      program_(SubgraphProgram::build(graph, plan, partition)) {}

Status ParallelExecutor::run(std::vector<Tensor>& values, ExecutionMode mode, const RunOptions& options) const {
  GraphBody body(graph_, plan_, program_, values);
  return units_.run(body, mode, options);
}

}  // namespace braid::detail
