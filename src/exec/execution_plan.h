// ExecutionPlan: what the executors need, computed once at load: the kernel of every node
// and, per node, the values that die after it runs (liveness), so activations are freed
// as early as possible.
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <vector>

#include "core/tensor_access.h"
#include "ir/graph.h"
#include "kernels/op_kernel.h"

namespace braid::detail {

struct ArenaView;  // exec/activation_arena.h

struct ExecutionPlan {
  std::vector<std::unique_ptr<OpKernel>> kernels;         // one per node
  std::vector<std::vector<ValueId>> release_after;         // per node
  std::vector<bool> is_graph_output;                       // per value
  std::vector<std::string> fused;  // per node: what graph fusion put into it (NodeRunEvent::fused)

  // Creates kernels for every node (unsupported ops fail here, naming node and op) and
  // computes liveness. `model_name` prefixes errors.
  static Result<ExecutionPlan> build(const Graph& graph, const std::string& model_name);
};

// The per-run state: one slot per value.
struct RunValues {
  std::vector<Tensor> values;
};

// Runs nodes [first, last) of the plan in order with `max_threads` intra-op threads each.
// Inputs must already be in `values`. Kernel exceptions become a Status for this run.
Status run_nodes(const Graph& graph, const ExecutionPlan& plan, std::vector<Tensor>& values,
                 size_t first, size_t last, int max_threads);

// Activation bytes of one request (RunStats::peak_activation_bytes): the values nodes
// produced that are alive at once, each counted at its logical size (an output that
// aliases its input, as Reshape's does, counts again). Graph inputs are the caller's and
// do not count. Lock-free: concurrent units add and subtract.
struct ActivationMeter {
  std::atomic<int64_t> live{0};
  std::atomic<int64_t> peak{0};
  void add(int64_t bytes) noexcept {
    const int64_t now = live.fetch_add(bytes, std::memory_order_relaxed) + bytes;
    int64_t p = peak.load(std::memory_order_relaxed);
    while (now > p && !peak.compare_exchange_weak(p, now, std::memory_order_relaxed)) {
    }
  }
  void sub(int64_t bytes) noexcept { live.fetch_sub(bytes, std::memory_order_relaxed); }
};

// Drops values[v] (dead), telling `meter` when a node produced it. `meter` may be null.
// The slot keeps its shape vector's capacity: run_node hands it to the value's next
// producer, so an arena output's shape costs no allocation from run to run.
inline void release_value(const Graph& graph, std::vector<Tensor>& values, ValueId v, ActivationMeter* meter) {
  if (meter && graph.values[v].producer != kNoNode) meter->sub(static_cast<int64_t>(values[v].byte_size()));
  TensorAccess::clear_keep_capacity(values[v]);
}

// The precision node `n` runs at when its subgraph runs at `p`: p where the kernel
// implements it, else f32. One virtual call, only when p is not f32.
inline Precision effective_precision(const ExecutionPlan& plan, NodeId n, Precision p) {
  if (p == Precision::kF32 || (plan.kernels[n]->precisions() & OpKernel::precision_bit(p)) == 0)
    return Precision::kF32;
  return p;
}

// Runs one node, then drops the values in `release` (dead after it); used by every
// executor (the sequential one passes plan.release_after[n]). `precision` applies when
// the node's kernel implements it, else the node runs in f32. With `arena` (the request's
// block and a plan valid for the executor's order: MemoryPlan::Liveness::kDag for any
// order; either may be null, and targets for graph outputs) the node's outputs go to
// their planned slots when they fit; an output that is an unplanned view of arena memory
// (a custom kernel returning its input, say) is copied out, so a value never outlives
// the bytes the plan gave it.
Status run_node(const Graph& graph, const ExecutionPlan& plan, std::vector<Tensor>& values,
                NodeId n, int max_threads, std::span<const ValueId> release,
                Precision precision = Precision::kF32, ActivationMeter* meter = nullptr,
                const ArenaView* arena = nullptr);

}  // namespace braid::detail
