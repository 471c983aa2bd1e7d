#include "exec/precision_plan.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "kernels/lowp/lowp_gemm.h"
#include "sched/dispatcher.h"

namespace braid::detail {
namespace {

constexpr uint32_t kF32Bit = OpKernel::precision_bit(Precision::kF32);
constexpr uint32_t kBf16Bit = OpKernel::precision_bit(Precision::kBF16);
constexpr uint32_t kInt8Bit = OpKernel::precision_bit(Precision::kInt8);

bool is_softmax_or_norm(std::string_view op) {
  return op == "Softmax" || op == "LogSoftmax" || op == "LayerNormalization" || op == "BatchNormalization" ||
         op == "InstanceNormalization" || op == "GroupNormalization" || op == "LRN" ||
         op == "MeanVarianceNormalization" || op == "SimplifiedLayerNormalization";
}

bool rule_matches(const PrecisionRule& r, const Node& node) {
  switch (r.match) {
    case PrecisionRule::Match::kOpType: return node.op_type == r.key;
    case PrecisionRule::Match::kNodeName: return node.name == r.key;
    case PrecisionRule::Match::kSubgraph: return false;
  }
  return false;
}

// The strictest of two policies.
void tighten(SubgraphPrecision& sp, const PrecisionPolicy& p, const std::string& why) {
  sp.allow_bf16 = sp.allow_bf16 && p.allow_bf16;
  sp.allow_int8 = sp.allow_int8 && p.allow_int8;
  sp.tolerance = std::min(sp.tolerance, p.tolerance);
  if (p.critical && !sp.critical) {
    sp.critical = true;
    sp.reason = why;
  }
}

}  // namespace

PrecisionPressure PrecisionPressure::from(const ResourceVector& v) {
  PrecisionPressure p;  // the scheduler's own reading of the vector
  resource_shares(v, p.compute_share, p.bandwidth_share);
  return p;
}

std::unique_ptr<PrecisionPlan> PrecisionPlan::build(const Graph& graph, const ExecutionPlan& plan,
                                                    const PartitionPlan& partition,
                                                    const std::vector<PrecisionRule>& rules, size_t weight_budget_bytes) {
  double weight_bytes_left = weight_budget_bytes > 0 ? static_cast<double>(weight_budget_bytes) : INFINITY;
  auto pp = std::make_unique<PrecisionPlan>();
  pp->native_bf16_ = native_bf16();
  const size_t count = partition.subgraphs.size();
  pp->info_.resize(count);
  pp->allowed_ = std::make_unique<std::atomic<uint32_t>[]>(count);
  for (const Subgraph& sg : partition.subgraphs) {
    SubgraphPrecision& sp = pp->info_[sg.id];
    sp.id = static_cast<int>(sg.id);
    int lowerable_nodes = 0, softmax_norm_nodes = 0;
    double converted_bytes = 0;  // bf16 (2) + int8 (1) bytes per constant weight element
    for (NodeId n : sg.nodes) {
      const Node& node = graph.nodes[n];
      if (plan.kernels[n] && (plan.kernels[n]->precisions() & ~kF32Bit) != 0) {
        ++lowerable_nodes;
        if (node.inputs.size() > 1 && node.inputs[1] != kNoValue && graph.values[node.inputs[1]].constant)
          converted_bytes += 3.0 * static_cast<double>(graph.values[node.inputs[1]].constant->numel());
      }
      if (is_softmax_or_norm(node.op_type)) ++softmax_norm_nodes;
    }
    sp.lowerable = lowerable_nodes > 0;
    sp.allow_bf16 = sp.allow_int8 = sp.lowerable;
    for (ValueId v : sg.outputs)
      if (v < plan.is_graph_output.size() && plan.is_graph_output[v]) {
        sp.critical = true;
        sp.reason = "graph output";
        break;
      }
    if (!sp.critical && softmax_norm_nodes > 0 && softmax_norm_nodes >= lowerable_nodes) {
      sp.critical = true;
      sp.reason = "softmax/normalization-heavy";
    }
    // Node rules: each node's last matching rule; the subgraph takes the strictest.
    for (NodeId n : sg.nodes) {
      const PrecisionRule* last = nullptr;
      for (const PrecisionRule& r : rules)
        if (rule_matches(r, graph.nodes[n])) last = &r;
      if (last) tighten(sp, last->policy, "rule " + last->key);
    }
    for (const PrecisionRule& r : rules)
      if (r.match == PrecisionRule::Match::kSubgraph && r.key == std::to_string(sg.id)) {
        // A subgraph rule replaces the defaults (it may also un-mark a critical subgraph).
        sp.allow_bf16 = sp.lowerable && r.policy.allow_bf16;
        sp.allow_int8 = sp.lowerable && r.policy.allow_int8;
        sp.tolerance = r.policy.tolerance;
        sp.critical = r.policy.critical;
        sp.reason = r.policy.critical ? "rule subgraph " + r.key : "";
      }
    if (sp.lowerable && !sp.critical && (sp.allow_bf16 || sp.allow_int8)) {
      if (converted_bytes > weight_bytes_left) {
        sp.allow_bf16 = sp.allow_int8 = false;
        sp.reason = "weight budget";
      } else {
        weight_bytes_left -= converted_bytes;
      }
    }
    pp->any_lowerable_ = pp->any_lowerable_ || sp.lowerable;
    pp->publish(sg.id);
  }
  return pp;
}

void PrecisionPlan::publish(SubgraphId s) {
  const SubgraphPrecision& sp = info_[s];
  uint32_t bits = kF32Bit;
  if (sp.lowerable && !sp.critical) {
    if (sp.allow_bf16 && !(sp.bf16_rel_l2 > sp.tolerance)) bits |= kBf16Bit;
    if (sp.allow_int8 && !(sp.int8_rel_l2 > sp.tolerance)) bits |= kInt8Bit;
  }
  allowed_[s].store(bits, std::memory_order_release);
}

Precision choose_precision(uint32_t bits, PrecisionMode mode, const PrecisionPressure& p, bool compute_bound,
                           bool native_bf16) {
  switch (mode) {
    case PrecisionMode::kF32: return Precision::kF32;
    case PrecisionMode::kBF16: return (bits & kBf16Bit) ? Precision::kBF16 : Precision::kF32;
    case PrecisionMode::kInt8: return (bits & kInt8Bit) ? Precision::kInt8 : Precision::kF32;
    case PrecisionMode::kAdaptive: break;
  }
  if ((bits & ~kF32Bit) == 0) return Precision::kF32;
  if (compute_bound && p.compute_share < PrecisionPlan::kScarceShare) {
    if (bits & kInt8Bit) return Precision::kInt8;
    if ((bits & kBf16Bit) && native_bf16) return Precision::kBF16;
    return Precision::kF32;
  }
  if (!compute_bound && p.bandwidth_share < PrecisionPlan::kScarceShare) {
    if (p.bandwidth_share < PrecisionPlan::kVeryScarceShare && (bits & kInt8Bit)) return Precision::kInt8;
    if (bits & kBf16Bit) return Precision::kBF16;
    if (bits & kInt8Bit) return Precision::kInt8;
  }
  return Precision::kF32;
}

bool native_bf16() { return bf16_speed().native(); }

Precision PrecisionPlan::choose(SubgraphId s, PrecisionMode mode, const PrecisionPressure& p,
                                bool compute_bound) const {
  return choose_precision(allowed(s), mode, p, compute_bound, native_bf16_);
}

Precision PrecisionPlan::prefer_measured(SubgraphId s, Precision heuristic, const Dsdg& dsdg, int threads) const {
  if (heuristic == Precision::kF32) return heuristic;
  const double own = dsdg.measured_ns(s, heuristic, threads);
  if (!(own > 0)) return heuristic;  // not measured yet: try it
  const uint32_t bits = allowed(s);
  Precision best = heuristic;
  double best_ns = own;
  for (Precision q : {Precision::kF32, Precision::kBF16, Precision::kInt8}) {
    if (q == heuristic || (bits & OpKernel::precision_bit(q)) == 0) continue;
    const double t = dsdg.measured_ns(s, q, threads);
    if (q != Precision::kF32 && !(t > 0)) return q;  // an allowed lower precision never tried
    if (t > 0 && t < 0.95 * best_ns) {
      best = q;
      best_ns = t;
    }
  }
  return best;
}

CalibrationReport PrecisionPlan::report(const std::string& model) const {
  std::lock_guard lock(mu_);
  CalibrationReport r;
  r.model = model;
  r.subgraphs = info_;
  for (SubgraphPrecision& sp : r.subgraphs) {
    // Effective flags: what the subgraph may run at now.
    const uint32_t bits = allowed(static_cast<SubgraphId>(sp.id));
    sp.allow_bf16 = (bits & kBf16Bit) != 0;
    sp.allow_int8 = (bits & kInt8Bit) != 0;
  }
  return r;
}

Status PrecisionPlan::apply_calibration(const CalibrationReport& report) {
  std::lock_guard lock(mu_);
  if (report.subgraphs.size() != info_.size())
    return invalid_argument("calibration has " + std::to_string(report.subgraphs.size()) +
                            " subgraphs, the session has " + std::to_string(info_.size()));
  for (size_t i = 0; i < info_.size(); ++i)
    if (report.subgraphs[i].id != info_[i].id)
      return invalid_argument("calibration subgraph " + std::to_string(i) + " has id " +
                              std::to_string(report.subgraphs[i].id));
  for (size_t i = 0; i < info_.size(); ++i) {
    SubgraphPrecision& sp = info_[i];
    const SubgraphPrecision& m = report.subgraphs[i];
    sp.bf16_rel_l2 = m.bf16_rel_l2;
    sp.bf16_max_abs = m.bf16_max_abs;
    sp.int8_rel_l2 = m.int8_rel_l2;
    sp.int8_max_abs = m.int8_max_abs;
    // Precisions the report disallows stay disallowed (the end-to-end pass, a saved
    // calibration); a report never re-allows what the policy forbids.
    sp.allow_bf16 = sp.allow_bf16 && (m.allow_bf16 || !sp.lowerable || sp.critical);
    sp.allow_int8 = sp.allow_int8 && (m.allow_int8 || !sp.lowerable || sp.critical);
    if (sp.lowerable && !sp.critical && sp.bf16_rel_l2 > sp.tolerance && sp.int8_rel_l2 > sp.tolerance) {
      sp.critical = true;
      sp.reason = "calibration";
    }
    publish(static_cast<SubgraphId>(i));
  }
  return {};
}

}  // namespace braid::detail
