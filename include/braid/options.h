// Options for loading a model into a Session and for one run.
//
//   braid::SessionOptions opt;
//   opt.mode = braid::ExecutionMode::kSequential;
//   auto session = braid::Session::load("model.onnx", opt);
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "braid/precision.h"

namespace braid {

class Runtime;

// How a session runs its subgraphs.
enum class ExecutionMode {
  kSequential,  // one thread, topological order: the baseline
  kStatic,      // every ready subgraph at once on a fixed number of threads
  kAdaptive,    // the scheduler decides chunks, threads and precision from live resources
};

const char* execution_mode_name(ExecutionMode m) noexcept;

// Load-time graph rewrites (ONNX Runtime's GraphOptimizationLevel, in two steps).
enum class GraphOptimization {
  kNone,   // run the graph as imported
  kBasic,  // fold Conv+BatchNormalization; fuse Relu, Conv residual Adds and MatMul
           // biases into the GEMM epilogue; results change only by float32 rounding
};

struct SessionOptions {
  ExecutionMode mode = ExecutionMode::kAdaptive;
  // Threads Braid may use; 0 means every core the process may run on.
  int threads = 0;
  // Upper bound on activation + workspace bytes in flight; 0 means no bound.
  size_t memory_budget_bytes = 0;
  // The runtime whose monitor, scheduler and threads this session shares; null = the
  // process-wide default.
  std::shared_ptr<Runtime> runtime;
  // Graph fusion at load; kNone keeps one kernel per ONNX node (e.g. to compare outputs).
  // (Last, so that positional initialisers written before it still compile.)
  GraphOptimization graph_optimization = GraphOptimization::kBasic;
  // Session::submit: how many requests may be queued or running at once (more wait for
  // room, or fail with kResourceExhausted through try_submit). Lowered at the first
  // submit so that that many requests' activations fit half of the available memory.
  int max_in_flight = 4;
  // Arithmetic of MatMul/Gemm/Conv with constant weights (braid/precision.h): f32 by
  // default; kAdaptive lowers subgraphs only when the binding resource is scarce.
  PrecisionMode precision = PrecisionMode::kF32;
  // Per op type, node name or subgraph; applied after the defaults (graph-output and
  // Softmax/normalization subgraphs are critical), later rules win.
  std::vector<PrecisionRule> precision_rules;
  // Bytes the bf16 and int8 copies of the constant weights may take together (each is
  // made the first time a run uses it); 0 = no bound. Subgraphs past the bound, in
  // topological order, stay f32 (precision_report() says "weight budget").
  size_t precision_weight_budget_bytes = 0;
};

struct RunOptions {
  // Overrides the session's mode for this run.
  std::optional<ExecutionMode> mode;
  // The run fails with kCancelled once this passes (checked between subgraphs).
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // When set and it becomes true, the run stops at the next subgraph with kCancelled.
  const std::atomic<bool>* cancel = nullptr;
  // Overrides the session's precision mode for this run (policies still apply).
  std::optional<PrecisionMode> precision;
};

}  // namespace braid
