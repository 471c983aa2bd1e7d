// ParallelExecutor: runs a session's subgraphs concurrently. In `adaptive` mode every
// ready subgraph goes through the Runtime's Dispatcher (the scheduler gates what runs and
// with how many threads); in `static` mode every ready subgraph is spawned at once with
// the session's fixed thread count (what static runtimes do). Each request
// takes its candidates' costs and critical-path ranks from it, and every adaptive run of a
// subgraph is timed and fed back (Dsdg::record); the per-request ready set is the DSDG's
// (DsdgRequest: atomic predecessor counts, claim bits); memory-bound subgraphs also report their
// achieved against predicted time to the ResourceMonitor (the bandwidth share).
#pragma once

#include <memory>
#include <vector>

#include "braid/options.h"
#include "braid/session.h"
#include "dsdg/dsdg.h"
#include "exec/subgraph_program.h"
#include "sched/dispatcher.h"

namespace braid::detail {

class ParallelExecutor {
 public:
  // All references (and `dsdg`) must outlive the executor. `dsdg` must be built from
  // `partition`; when null the executor builds its own (nominal machine balance). Not
  // thread-safe (construction).
  ParallelExecutor(const Graph& graph, const ExecutionPlan& plan, const PartitionPlan& partition,
                   Dispatcher& dispatcher, int static_threads, Dsdg* dsdg = nullptr);

  // Runs one request; `values` holds the bound inputs and receives every value.
  // Thread-safe: many requests may run at once.
  Status run(std::vector<Tensor>& values, ExecutionMode mode, const RunOptions& options) const;

  const SubgraphProgram& program() const { return program_; }

 private:
  const Graph& graph_;
  const ExecutionPlan& plan_;
  const PartitionPlan& partition_;
  Dispatcher& dispatcher_;
  const int static_threads_;
  std::unique_ptr<Dsdg> owned_dsdg_;
  Dsdg* dsdg_;
  SubgraphProgram program_;
};

}  // namespace braid::detail
