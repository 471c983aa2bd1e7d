#include "dsdg/dsdg.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "partition/partitioner.h"

namespace braid::detail {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A slot is stale after this many samples of its subgraph went to its other slots
// (predict_ns).
constexpr uint64_t kStaleRecords = 16;

// One robust EWMA step (count already incremented to `n`): plain mean for the first
// 1/alpha samples, then EWMA; after the warm-up a sample is clamped to estimate +-
// outlier_spreads x spread. `spread` may be null (calibration slots: no clamping).
// Relaxed: these are statistics; no other data is published through them.
void ewma_update(std::atomic<double>& value, std::atomic<double>* spread, uint64_t n, double x,
                 const DsdgOptions& o) noexcept {
  const double alpha = std::max(o.ewma_alpha, 1.0 / static_cast<double>(n));
  double old = value.load(std::memory_order_relaxed);
  double limit = std::numeric_limits<double>::infinity();
  if (spread != nullptr && !std::isnan(old)) {
    const double sp = spread->load(std::memory_order_relaxed);
    if (n > static_cast<uint64_t>(std::max(o.outlier_after_samples, 0)) && !std::isnan(sp) && o.outlier_spreads > 0)
      limit = o.outlier_spreads * std::max(sp, o.min_spread_fraction * std::abs(old));
    // The spread learns from deviations clamped at the limit, so it widens under a real
    // change (and the estimate follows) but one huge outlier does not blow it up.
    const double dev = std::min(std::abs(x - old), limit);
    double cur = sp;
    for (;;) {
      const double next = std::isnan(cur) ? dev : cur + alpha * (dev - cur);
      if (spread->compare_exchange_weak(cur, next, std::memory_order_relaxed)) break;
    }
  }
  for (;;) {
    const double sample = std::isnan(old) ? x : std::clamp(x, old - limit, old + limit);
    const double next = std::isnan(old) ? sample : old + alpha * (sample - old);
    if (value.compare_exchange_weak(old, next, std::memory_order_relaxed)) return;
  }
}

void scale_atomic(std::atomic<double>& value, double factor) noexcept {
  double old = value.load(std::memory_order_relaxed);
  while (!std::isnan(old) && !value.compare_exchange_weak(old, old * factor, std::memory_order_relaxed)) {
  }
}

}  // namespace

int thread_bucket(int threads) noexcept {
  if (threads <= 1) return 0;
  const int b = std::bit_width(static_cast<unsigned>(threads - 1));  // 2->1, 3..4->2, 5..8->3
  return std::min(b, kThreadBuckets - 1);
}

int bucket_threads(int bucket) noexcept { return 1 << std::clamp(bucket, 0, kThreadBuckets - 1); }

struct Dsdg::Slot {
  std::atomic<double> ewma{kNaN};
  std::atomic<double> spread{kNaN};
  std::atomic<uint64_t> count{0};
  std::atomic<uint64_t> stamp{0};  // the subgraph's Node::records at this slot's last sample
};

struct Dsdg::Node {
  std::atomic<double> flops{0}, bytes_read{0}, bytes_written{0}, workspace{0};
  std::atomic<double> peak_ws{0};
  std::atomic<bool> compute_bound{false};
  std::atomic<double> rank{0};
  std::atomic<double> observed_bytes{0};
  std::atomic<uint32_t> ran{0};  // bit p: s has run at precision p (first_run)
  std::atomic<uint64_t> records{0};  // samples fed to any of its slots
  int kernels = 1;  // nodes in the subgraph (fixed)
};

struct Dsdg::Calibration {
  std::atomic<double> ns_per_flop{kNaN};
  std::atomic<uint64_t> flop_samples{0};
  std::atomic<double> ns_per_byte{kNaN};
  std::atomic<uint64_t> byte_samples{0};
};

Dsdg::Dsdg(PartitionPlan plan, DsdgOptions options) : plan_(std::move(plan)), options_(std::move(options)) {
  const size_t n = plan_.subgraphs.size();
  pred_offsets_.assign(n + 1, 0);
  succ_offsets_.assign(n + 1, 0);
  for (size_t s = 0; s < n; ++s) {
    pred_offsets_[s + 1] = pred_offsets_[s] + static_cast<uint32_t>(plan_.subgraphs[s].preds.size());
    succ_offsets_[s + 1] = succ_offsets_[s] + static_cast<uint32_t>(plan_.subgraphs[s].succs.size());
    pred_ids_.insert(pred_ids_.end(), plan_.subgraphs[s].preds.begin(), plan_.subgraphs[s].preds.end());
    succ_ids_.insert(succ_ids_.end(), plan_.subgraphs[s].succs.begin(), plan_.subgraphs[s].succs.end());
    if (plan_.subgraphs[s].preds.empty()) sources_.push_back(static_cast<SubgraphId>(s));
  }
  nodes_ = std::make_unique<Node[]>(n);
  slots_ = std::make_unique<Slot[]>(n * kNumPrecisions * kThreadBuckets);
  calib_ = std::make_unique<Calibration[]>(kNumPrecisions * kThreadBuckets);
  edge_bytes_ = std::make_unique<std::atomic<double>[]>(plan_.edges.size());
  for (size_t e = 0; e < plan_.edges.size(); ++e) edge_bytes_[e].store(plan_.edges[e].bytes, std::memory_order_relaxed);
  for (size_t s = 0; s < n; ++s) {
    const Subgraph& sub = plan_.subgraphs[s];
    nodes_[s].kernels = static_cast<int>(std::max<size_t>(sub.nodes.size(), 1));
    set_estimates(static_cast<SubgraphId>(s), sub.cost, sub.peak_working_set);
  }
  rank_refresh_ = options_.rank_refresh_records > 0 ? options_.rank_refresh_records
                                                    : static_cast<uint32_t>(std::max<size_t>(4 * n, 16));
  recompute_ranks();
}

Dsdg::~Dsdg() = default;

void Dsdg::set_estimates(SubgraphId s, const Cost& cost, double ws) noexcept {
  Node& nd = nodes_[s];
  nd.flops.store(cost.flops, std::memory_order_relaxed);
  nd.bytes_read.store(cost.bytes_read, std::memory_order_relaxed);
  nd.bytes_written.store(cost.bytes_written, std::memory_order_relaxed);
  nd.workspace.store(cost.workspace_bytes, std::memory_order_relaxed);
  nd.peak_ws.store(ws, std::memory_order_relaxed);
  nd.compute_bound.store(is_compute_bound(cost, options_.balance), std::memory_order_relaxed);
}

std::span<const SubgraphId> Dsdg::preds(SubgraphId s) const noexcept {
  return {pred_ids_.data() + pred_offsets_[s], pred_ids_.data() + pred_offsets_[s + 1]};
}
std::span<const SubgraphId> Dsdg::succs(SubgraphId s) const noexcept {
  return {succ_ids_.data() + succ_offsets_[s], succ_ids_.data() + succ_offsets_[s + 1]};
}

Cost Dsdg::estimated_cost(SubgraphId s) const noexcept {
  const Node& nd = nodes_[s];
  Cost c;
  c.flops = nd.flops.load(std::memory_order_relaxed);
  c.bytes_read = nd.bytes_read.load(std::memory_order_relaxed);
  c.bytes_written = nd.bytes_written.load(std::memory_order_relaxed);
  c.workspace_bytes = nd.workspace.load(std::memory_order_relaxed);
  return c;
}

double Dsdg::model_ns(SubgraphId s, Precision p, int threads) const noexcept {
  return estimate_time_ns(estimated_cost(s), options_.balance, options_.cost, p, threads, nodes_[s].kernels);
}

double Dsdg::peak_working_set(SubgraphId s) const noexcept { return nodes_[s].peak_ws.load(std::memory_order_relaxed); }
bool Dsdg::compute_bound(SubgraphId s) const noexcept { return nodes_[s].compute_bound.load(std::memory_order_relaxed); }
double Dsdg::edge_bytes(size_t e) const noexcept { return edge_bytes_[e].load(std::memory_order_relaxed); }

Dsdg::Slot& Dsdg::slot(SubgraphId s, Precision p, int bucket) const noexcept {
  return slots_[(static_cast<size_t>(s) * kNumPrecisions + static_cast<size_t>(p)) * kThreadBuckets +
                static_cast<size_t>(bucket)];
}

void Dsdg::record(SubgraphId s, Precision p, int threads, double measured_ns, double bytes) noexcept {
  if (s >= size() || !(measured_ns >= 0) || std::isinf(measured_ns)) return;
  const int b = thread_bucket(threads);
  Slot& sl = slot(s, p, b);
  const uint64_t n = sl.count.fetch_add(1, std::memory_order_relaxed) + 1;
  ewma_update(sl.ewma, &sl.spread, n, measured_ns, options_);
  sl.stamp.store(nodes_[s].records.fetch_add(1, std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (bytes > 0) nodes_[s].observed_bytes.store(bytes, std::memory_order_relaxed);
  // Calibration of the fallback: compute-bound subgraphs teach ns per FLOP, memory-bound
  // ones ns per byte.
  Calibration& cal = calib_[static_cast<size_t>(p) * kThreadBuckets + static_cast<size_t>(b)];
  const Cost c = estimated_cost(s);
  if (compute_bound(s) && c.flops > 0) {
    const uint64_t k = cal.flop_samples.fetch_add(1, std::memory_order_relaxed) + 1;
    ewma_update(cal.ns_per_flop, nullptr, k, measured_ns / c.flops, options_);
  } else if (c.bytes() > 0) {
    const uint64_t k = cal.byte_samples.fetch_add(1, std::memory_order_relaxed) + 1;
    ewma_update(cal.ns_per_byte, nullptr, k, measured_ns / c.bytes(), options_);
  }
  if ((records_.fetch_add(1, std::memory_order_relaxed) + 1) % rank_refresh_ == 0) recompute_ranks();
}

bool Dsdg::first_run(SubgraphId s, Precision p) noexcept {
  if (s >= size()) return false;
  const uint32_t bit = 1u << static_cast<uint32_t>(p);
  std::atomic<uint32_t>& ran = nodes_[s].ran;
  // A load first: after the first run, no write to a line every request's runs read.
  if ((ran.load(std::memory_order_relaxed) & bit) != 0) return false;
  return (ran.fetch_or(bit, std::memory_order_relaxed) & bit) == 0;
}

double Dsdg::measured_ns(SubgraphId s, Precision p, int threads) const noexcept {
  const Slot& sl = slot(s, p, thread_bucket(threads));
  return sl.count.load(std::memory_order_relaxed) > 0 ? sl.ewma.load(std::memory_order_relaxed) : kNaN;
}

uint64_t Dsdg::observed_count(SubgraphId s, Precision p, int threads) const noexcept {
  return slot(s, p, thread_bucket(threads)).count.load(std::memory_order_relaxed);
}

uint64_t Dsdg::observed_count(SubgraphId s) const noexcept {
  uint64_t total = 0;
  for (int p = 0; p < kNumPrecisions; ++p)
    for (int b = 0; b < kThreadBuckets; ++b)
      total += slot(s, static_cast<Precision>(p), b).count.load(std::memory_order_relaxed);
  return total;
}

double Dsdg::observed_bytes(SubgraphId s) const noexcept {
  return nodes_[s].observed_bytes.load(std::memory_order_relaxed);
}

double Dsdg::ns_per_flop(Precision p, int threads) const noexcept {
  return calib_[static_cast<size_t>(p) * kThreadBuckets + thread_bucket(threads)].ns_per_flop.load(
      std::memory_order_relaxed);
}

double Dsdg::ns_per_byte(Precision p, int threads) const noexcept {
  return calib_[static_cast<size_t>(p) * kThreadBuckets + thread_bucket(threads)].ns_per_byte.load(
      std::memory_order_relaxed);
}

double Dsdg::calibrated_ns(SubgraphId s, Precision p, int threads) const noexcept {
  double npf = ns_per_flop(p, threads), npb = ns_per_byte(p, threads);
  if (std::isnan(npf) && std::isnan(npb)) return kNaN;
  // One class measured only: derive the other from the model's ratio at this point.
  Cost unit_flop, unit_byte;
  unit_flop.flops = 1e9;
  unit_byte.bytes_read = 1e9;
  const double model_npf = estimate_time_ns(unit_flop, options_.balance, options_.cost, p, threads, 0) / 1e9;
  const double model_npb = estimate_time_ns(unit_byte, options_.balance, options_.cost, p, threads, 0) / 1e9;
  if (std::isnan(npf)) npf = npb * model_npf / model_npb;
  if (std::isnan(npb)) npb = npf * model_npb / model_npf;
  const Cost c = estimated_cost(s);
  return std::max(c.flops * npf, c.bytes() * npb);
}

double Dsdg::predict_ns(SubgraphId s, Precision p, int threads) const noexcept {
  if (s >= size()) return 0;
  const int b = thread_bucket(threads);
  const double here = model_ns(s, p, threads);
  // 1. Measured at this precision and thread bucket, unless that sample is stale while
  //    another bucket is fresh: the planner stops choosing a thread count that looks slow,
  //    so its slot would never be corrected (one slow sample deciding for good); the
  //    fresh bucket scaled by the model stands in until the slot is measured again.
  if (const Slot& sl = slot(s, p, b); sl.count.load(std::memory_order_relaxed) > 0) {
    const double v = sl.ewma.load(std::memory_order_relaxed);
    const uint64_t stamp = sl.stamp.load(std::memory_order_relaxed);
    if (nodes_[s].records.load(std::memory_order_relaxed) - stamp > kStaleRecords) {
      int fresh = -1;  // the bucket sampled last, if after this one
      uint64_t newest = stamp;
      for (int other = 0; other < kThreadBuckets; ++other) {
        const Slot& o = slot(s, p, other);
        const uint64_t t = o.stamp.load(std::memory_order_relaxed);
        if (o.count.load(std::memory_order_relaxed) > 0 && t > newest) {
          fresh = other;
          newest = t;
        }
      }
      if (fresh >= 0) {
        const double fv = slot(s, p, fresh).ewma.load(std::memory_order_relaxed);
        const double there = model_ns(s, p, bucket_threads(fresh));
        if (!std::isnan(fv) && there > 0) return fv * here / there;
      }
    }
    if (!std::isnan(v)) return v;
  }
  // 2. Measured at another bucket (nearest first) or, failing that, at f32: scale by the
  //    model's ratio between the two configurations.
  for (int d = 1; d < kThreadBuckets; ++d) {
    for (int other : {b - d, b + d}) {
      if (other < 0 || other >= kThreadBuckets) continue;
      const Slot& sl = slot(s, p, other);
      if (sl.count.load(std::memory_order_relaxed) == 0) continue;
      const double v = sl.ewma.load(std::memory_order_relaxed);
      const double there = model_ns(s, p, bucket_threads(other));
      if (!std::isnan(v) && there > 0) return v * here / there;
    }
  }
  if (p != Precision::kF32) {
    const Slot& sl = slot(s, Precision::kF32, b);
    const double there = model_ns(s, Precision::kF32, threads);
    if (sl.count.load(std::memory_order_relaxed) > 0 && there > 0) {
      const double v = sl.ewma.load(std::memory_order_relaxed);
      if (!std::isnan(v)) return v * here / there;
    }
  }
  // 3. The cost model with the calibrated rates of all subgraphs.
  if (const double c = calibrated_ns(s, p, threads); !std::isnan(c)) return c;
  // 4. The uncalibrated cost model.
  return here;
}

double Dsdg::upward_rank(SubgraphId s) const noexcept { return nodes_[s].rank.load(std::memory_order_relaxed); }

double Dsdg::critical_path_ns() const noexcept { return critical_path_.load(std::memory_order_relaxed); }

void Dsdg::recompute_ranks() noexcept {
  // acquire/release: a later recompute sees the ranks this one wrote.
  if (ranking_.exchange(true, std::memory_order_acquire)) return;
  double longest = 0;
  for (size_t i = size(); i-- > 0;) {
    const auto s = static_cast<SubgraphId>(i);
    double tail = 0;
    for (SubgraphId t : succs(s)) tail = std::max(tail, nodes_[t].rank.load(std::memory_order_relaxed));
    const double r = predict_ns(s, options_.rank_precision, options_.rank_threads) + tail;
    nodes_[s].rank.store(r, std::memory_order_relaxed);
    longest = std::max(longest, r);
  }
  critical_path_.store(longest, std::memory_order_relaxed);
  ranking_.store(false, std::memory_order_release);
}

Status Dsdg::reestimate(const Graph& graph, const ShapeBindings& shapes) {
  if (graph.nodes.size() != plan_.subgraph_of_node.size())
    return invalid_argument("Dsdg::reestimate: the graph has " + std::to_string(graph.nodes.size()) +
                            " nodes, the plan was made for " + std::to_string(plan_.subgraph_of_node.size()));
  const std::vector<Shape> resolved = resolve_shapes(graph, shapes);
  std::vector<Cost> costs(graph.nodes.size());
  for (NodeId n = 0; n < graph.nodes.size(); ++n) costs[n] = estimate_node_cost(graph, n, resolved);
  const std::vector<double> value_bytes = value_byte_sizes(graph, resolved);
  const std::vector<double> ws = subgraph_working_sets(graph, plan_, costs, value_bytes);
  for (SubgraphId s = 0; s < size(); ++s) {
    Cost c;
    for (NodeId n : plan_.subgraphs[s].nodes) {
      c.flops += costs[n].flops;
      c.bytes_read += costs[n].bytes_read;
      c.bytes_written += costs[n].bytes_written;
      c.workspace_bytes = std::max(c.workspace_bytes, costs[n].workspace_bytes);
    }
    // Measurements were taken at the old shapes: carry them over by the model's ratio.
    const double old_model = model_ns(s);
    set_estimates(s, c, ws[s]);
    const double new_model = model_ns(s);
    if (old_model > 0 && new_model > 0 && new_model != old_model) {
      const double ratio = new_model / old_model;
      for (int p = 0; p < kNumPrecisions; ++p)
        for (int b = 0; b < kThreadBuckets; ++b) {
          Slot& sl = slot(s, static_cast<Precision>(p), b);
          scale_atomic(sl.ewma, ratio);
          scale_atomic(sl.spread, ratio);
        }
    }
  }
  // Edge bytes: distinct values from one subgraph to another, matched to plan_.edges.
  std::vector<double> bytes(plan_.edges.size(), 0.0);
  std::vector<std::pair<uint64_t, ValueId>> seen;
  for (NodeId n = 0; n < graph.nodes.size(); ++n) {
    for (ValueId in : graph.nodes[n].inputs) {
      if (in == kNoValue || graph.values[in].constant || graph.values[in].producer == kNoNode) continue;
      const SubgraphId from = plan_.subgraph_of_node[graph.values[in].producer], to = plan_.subgraph_of_node[n];
      if (from != to) seen.emplace_back((uint64_t{from} << 32) | to, in);
    }
  }
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  for (const auto& [key, v] : seen) {
    const DataEdge probe{static_cast<SubgraphId>(key >> 32), static_cast<SubgraphId>(key & 0xFFFFFFFFu), 0};
    auto it = std::lower_bound(plan_.edges.begin(), plan_.edges.end(), probe, [](const DataEdge& a, const DataEdge& b) {
      return a.from != b.from ? a.from < b.from : a.to < b.to;
    });
    if (it != plan_.edges.end() && it->from == probe.from && it->to == probe.to)
      bytes[static_cast<size_t>(it - plan_.edges.begin())] += value_bytes[v];
  }
  for (size_t e = 0; e < bytes.size(); ++e) edge_bytes_[e].store(bytes[e], std::memory_order_relaxed);
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  recompute_ranks();
  return {};
}

SubgraphProfile learned_profile(const Dsdg& dsdg, SubgraphId s) {
  SubgraphProfile p;
  p.id = static_cast<int>(s);
  const Cost cost = dsdg.estimated_cost(s);
  p.flops = cost.flops;
  p.bytes = cost.bytes();
  p.compute_bound = dsdg.compute_bound(s);
  p.predicted_ms = dsdg.predict_ns(s) * 1e-6;
  const double measured = dsdg.measured_ns(s, Precision::kF32, 1);
  p.measured_ms = std::isnan(measured) ? -1 : measured * 1e-6;
  p.runs = dsdg.observed_count(s);
  p.upward_rank_ms = dsdg.upward_rank(s) * 1e-6;
  return p;
}

}  // namespace braid::detail
