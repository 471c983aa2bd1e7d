#include "exec/parallel_executor.h"

#include <atomic>
#include <memory>

namespace braid::detail {

// The per-request counters of one GraphBody, pooled by the ParallelExecutor so that a
// steady-state request allocates nothing: per crossing value its consumers still to
// finish, per unit the precision it ran at.
struct GraphRunState {
  std::unique_ptr<std::atomic<int>[]> crossing;
  std::unique_ptr<Precision[]> chosen;
  explicit GraphRunState(const SubgraphProgram& program)
      : crossing(new std::atomic<int>[program.crossing_values.size()]),
        chosen(new Precision[program.units.size()]()) {}
};

namespace {

// One request of an ONNX session: a unit runs its nodes; the values that cross units die
// when their last consuming unit finishes (an atomic count per value).
class GraphBody final : public UnitBody {
 public:
  GraphBody(const Graph& graph, const ExecutionPlan& plan, const SubgraphProgram& program,
            std::vector<Tensor>& values, const Dsdg& dsdg, const RunPrecision* precision, ActivationMeter* meter,
            const ArenaView* arena, GraphRunState& state)
      : graph_(graph),
        plan_(plan),
        program_(program),
        values_(values),
        meter_(meter),
        arena_(arena),
        dsdg_(dsdg),
        precision_(precision && precision->plan && precision->mode != PrecisionMode::kF32 &&
                           !precision->plan->all_f32()
                       ? precision
                       : nullptr),
        crossing_(state.crossing.get()),
        chosen_(precision_ ? state.chosen.get() : nullptr) {
    for (size_t i = 0; i < program.crossing_values.size(); ++i)
      crossing_[i].store(program.crossing_consumers[i], std::memory_order_relaxed);
  }

  Status run(uint32_t unit, int threads) override {
    if (precision_ == nullptr) {
      for (const SubgraphProgram::Step& step : program_.units[unit].steps)
        BRAID_RETURN_IF_ERROR(
            run_node(graph_, plan_, values_, step.node, threads, step.release, Precision::kF32, meter_, arena_));
      return {};
    }
    Precision p = precision_->plan->choose(unit, precision_->mode, precision_->pressure, dsdg_.compute_bound(unit));
    if (precision_->mode == PrecisionMode::kAdaptive) p = precision_->plan->prefer_measured(unit, p, dsdg_, threads);
    chosen_[unit] = p;
    for (const SubgraphProgram::Step& step : program_.units[unit].steps) {
      const Precision used = effective_precision(plan_, step.node, p);
      counts_[static_cast<int>(used)].fetch_add(1, std::memory_order_relaxed);
      BRAID_RETURN_IF_ERROR(run_node(graph_, plan_, values_, step.node, threads, step.release, used, meter_, arena_));
    }
    return {};
  }

  Precision precision_of(uint32_t unit) const override { return chosen_ ? chosen_[unit] : Precision::kF32; }

  void add_counts(int64_t* out) const {
    for (int i = 0; i < kPrecisionCount; ++i) out[i] += counts_[i].load(std::memory_order_relaxed);
  }

  void finished(uint32_t unit) override {
    for (uint32_t slot : program_.units[unit].crossing_inputs)
      // Acq_rel: the consumers' reads of the value happen before whoever frees it.
      if (crossing_[slot].fetch_sub(1, std::memory_order_acq_rel) == 1)
        release_value(graph_, values_, program_.crossing_values[slot], meter_);
  }

 private:
  const Graph& graph_;
  const ExecutionPlan& plan_;
  const SubgraphProgram& program_;
  std::vector<Tensor>& values_;
  ActivationMeter* meter_;  // null unless the caller wants RunStats
  const ArenaView* arena_;  // the request's planned activation block; null: heap
  const Dsdg& dsdg_;
  const RunPrecision* precision_;  // null: every unit in f32
  std::atomic<int>* crossing_;  // per crossing value (the pooled GraphRunState's)
  Precision* chosen_;           // per unit, when precisions are chosen; else null
  std::atomic<int64_t> counts_[kPrecisionCount] = {};
};

}  // namespace

ParallelExecutor::ParallelExecutor(const Graph& graph, const ExecutionPlan& plan, const PartitionPlan& partition,
                                   Dispatcher& dispatcher, int static_threads, Dsdg* dsdg)
    : graph_(graph),
      plan_(plan),
      owned_dsdg_(dsdg ? nullptr : std::make_unique<Dsdg>(partition)),
      units_(dispatcher, dsdg ? *dsdg : *owned_dsdg_, static_threads),
      program_(SubgraphProgram::build(graph, plan, partition)) {}

ParallelExecutor::~ParallelExecutor() = default;

Status ParallelExecutor::run(std::vector<Tensor>& values, ExecutionMode mode, const RunOptions& options,
                             const RunPrecision* precision, ActivationMeter* meter,
                             const ArenaView* arena) const {
  std::unique_ptr<GraphRunState> state = pool_.take([&] { return std::make_unique<GraphRunState>(program_); });
  GraphBody body(graph_, plan_, program_, values, units_.dsdg(), precision, meter, arena, *state);
  Status st = units_.run(body, mode, options);
  if (precision && precision->kernels_by_precision) body.add_counts(precision->kernels_by_precision);
  pool_.give_back(std::move(state));
  return st;
}

}  // namespace braid::detail
