#include "exec/parallel_executor.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>

#include "kernels/parallel.h"

namespace braid::detail {

// The per-request counters of one GraphBody, pooled by the ParallelExecutor so that a
// steady-state request allocates nothing: per crossing value its consumers still to
// finish, per unit the precision it ran at and the threads it borrowed.
struct GraphRunState {
  std::unique_ptr<std::atomic<int>[]> crossing;
  std::unique_ptr<Precision[]> chosen;
  std::unique_ptr<UnitLoan[]> loans;
  explicit GraphRunState(const SubgraphProgram& program)
      : crossing(new std::atomic<int>[program.crossing_values.size()]),
        chosen(new Precision[program.units.size()]()),
        loans(new UnitLoan[program.units.size()]()) {}
};

namespace {

// One request of an ONNX session: a unit runs its nodes; the values that cross units die
// when their last consuming unit finishes (an atomic count per value). With a `lender`
// (adaptive mode) each node first borrows the cores nobody waits for, up to the
// Dispatcher's thread count, and returns them when it ends: a branch left running alone
// after its siblings finished gets the idle core back at its next node.
class GraphBody final : public UnitBody {
 public:
  GraphBody(const Graph& graph, const ExecutionPlan& plan, const SubgraphProgram& program,
            std::vector<Tensor>& values, const Dsdg& dsdg, const RunPrecision* precision, ActivationMeter* meter,
            const ArenaView* arena, Dispatcher* lender, SessionThreads* session, GraphRunState& state)
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
        lender_(lender),
        session_(session),
        crossing_(state.crossing.get()),
        chosen_(precision_ ? state.chosen.get() : nullptr),
        loans_(state.loans.get()) {
    for (size_t i = 0; i < program.crossing_values.size(); ++i)
      crossing_[i].store(program.crossing_consumers[i], std::memory_order_relaxed);
    if (lender_ != nullptr) std::fill_n(loans_, program.units.size(), UnitLoan{});
  }

  Status run(uint32_t unit, int threads) override {
    if (precision_ == nullptr) {
      for (const SubgraphProgram::Step& step : program_.units[unit].steps)
        BRAID_RETURN_IF_ERROR(run_step(unit, step, threads, Precision::kF32));
      return {};
    }
    Precision p =
        precision_->plan->choose(unit, precision_->mode, precision_->pressure_now(), dsdg_.compute_bound(unit));
    if (precision_->mode == PrecisionMode::kAdaptive) p = precision_->plan->prefer_measured(unit, p, dsdg_, threads);
    chosen_[unit] = p;
    for (const SubgraphProgram::Step& step : program_.units[unit].steps) {
      const Precision used = effective_precision(plan_, step.node, p);
      counts_[static_cast<int>(used)].fetch_add(1, std::memory_order_relaxed);
      BRAID_RETURN_IF_ERROR(run_step(unit, step, threads, used));
    }
    return {};
  }

  Precision precision_of(uint32_t unit) const override { return chosen_ ? chosen_[unit] : Precision::kF32; }
  UnitLoan loan(uint32_t unit) const override { return lender_ ? loans_[unit] : UnitLoan{}; }

  void add_counts(int64_t* out) const {
    for (int i = 0; i < kPrecisionCount; ++i) out[i] += counts_[i].load(std::memory_order_relaxed);
  }

  // One node with the unit's threads plus whatever idle cores the lender gives it: at its
  // start, or (a long GEMM of a node that started on one thread) in its middle, through
  // the kernels' CoreLender.
  Status run_step(uint32_t unit, const SubgraphProgram::Step& step, int threads, Precision p) {
    const int extra = lender_ ? lender_->borrow(lender_->max_threads() - threads, session_) : 0;
    if (extra == 0 && lender_ != nullptr && threads == 1) {
      MidNodeLoan mid{this, unit};
      const CoreLender core_lender{&MidNodeLoan::spare, &MidNodeLoan::borrow, &MidNodeLoan::repay, &mid};
      LenderScope scope(&core_lender);
      return run_node(graph_, plan_, values_, step.node, threads, step.release, p, meter_, arena_);
    }
    if (extra == 0) return run_node(graph_, plan_, values_, step.node, threads, step.release, p, meter_, arena_);
    struct Repay {  // the threads go back even if the node throws
      Dispatcher* d;
      SessionThreads* s;
      int n;
      ~Repay() { d->repay(n, s); }
    } repay{lender_, session_, extra};
    const auto start = std::chrono::steady_clock::now();
    Status st = run_node(graph_, plan_, values_, step.node, threads + extra, step.release, p, meter_, arena_);
    UnitLoan& loan = loans_[unit];
    loan.thread_ns += extra * std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    loan.peak_threads = std::max(loan.peak_threads, threads + extra);
    return st;
  }

  // Cores lent to one node in its middle (run_elastic), counted in its unit's loan.
  struct MidNodeLoan {
    GraphBody* body;
    uint32_t unit;
    int held = 0;
    static int spare(void* ctx) {
      auto* self = static_cast<MidNodeLoan*>(ctx);
      return self->body->lender_->whole_core_budget_now() - 1;
    }
    static int borrow(void* ctx, int want) {
      auto* self = static_cast<MidNodeLoan*>(ctx);
      const int got = self->body->lender_->borrow(want, self->body->session_, /*whole_cores=*/true);
      self->held += got;
      UnitLoan& loan = self->body->loans_[self->unit];
      loan.peak_threads = std::max(loan.peak_threads, 1 + self->held);
      return got;
    }
    static void repay(void* ctx, int threads, double thread_ns) {
      auto* self = static_cast<MidNodeLoan*>(ctx);
      self->held -= threads;
      self->body->loans_[self->unit].thread_ns += thread_ns;
      self->body->lender_->repay(threads, self->body->session_);
    }
  };

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
  Dispatcher* lender_;             // adaptive: lends idle cores per node; else null
  SessionThreads* session_;        // the session's hold on the lender's threads
  std::atomic<int>* crossing_;  // per crossing value (the pooled GraphRunState's)
  Precision* chosen_;           // per unit, when precisions are chosen; else null
  UnitLoan* loans_;             // per unit: the threads it borrowed (only with a lender)
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
  Dispatcher* lender = mode == ExecutionMode::kAdaptive ? &units_.dispatcher() : nullptr;
  GraphBody body(graph_, plan_, program_, values, units_.dsdg(), precision, meter, arena, lender,
                 units_.session_threads(), *state);
  Status st = units_.run(body, mode, options);
  if (precision && precision->kernels_by_precision) body.add_counts(precision->kernels_by_precision);
  pool_.give_back(std::move(state));
  return st;
}

}  // namespace braid::detail
