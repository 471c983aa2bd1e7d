// ParallelExecutor: runs an ONNX session's subgraphs concurrently through a UnitExecutor
// (unit_executor.h: adaptive through the Dispatcher, or static), each unit running its
// nodes with the intra-op threads the scheduler gave it. Values that cross subgraphs are
// freed when their last consumer finishes.
#pragma once

#include <memory>
#include <vector>

#include "braid/options.h"
#include "braid/session.h"
#include "core/object_pool.h"
#include "dsdg/dsdg.h"
#include "exec/precision_plan.h"
#include "exec/subgraph_program.h"
#include "exec/unit_executor.h"
#include "sched/dispatcher.h"

namespace braid::detail {

struct GraphRunState;  // one request's counters (parallel_executor.cpp)

class ParallelExecutor {
 public:
  // All references (and `dsdg`) must outlive the executor. `dsdg` must be built from
  // `partition`; when null the executor builds its own (nominal machine balance). Not
  // thread-safe (construction).
  ParallelExecutor(const Graph& graph, const ExecutionPlan& plan, const PartitionPlan& partition,
                   Dispatcher& dispatcher, int static_threads, Dsdg* dsdg = nullptr);
  ~ParallelExecutor();  // no request may be running

  // Runs one request; `values` holds the bound inputs and receives every value. Each
  // subgraph's precision comes from `precision` (f32 when null or its plan is). With
  // `arena`, node outputs go to their planned places in the request's block (the plan is
  // valid for any order the scheduler picks: DAG liveness); the block must outlive the
  // call. Thread-safe: many requests may run at once.
  Status run(std::vector<Tensor>& values, ExecutionMode mode, const RunOptions& options,
             const RunPrecision* precision = nullptr, ActivationMeter* meter = nullptr,
             const ArenaView* arena = nullptr) const;

  const SubgraphProgram& program() const { return program_; }

 private:
  const Graph& graph_;
  const ExecutionPlan& plan_;
  std::unique_ptr<Dsdg> owned_dsdg_;
  UnitExecutor units_;
  SubgraphProgram program_;
  mutable ObjectPool<GraphRunState> pool_;  // per-request counters, reused
};

}  // namespace braid::detail
