#include "partition/partitioner.h"

#include <algorithm>
#include <cstdio>
#include <queue>
#include <string>
#include <tuple>
#include <utility>

namespace braid::detail {
namespace {

// Index of the graph the partitioner works on: node-level data dependencies and the byte
// size of every value. Built from the nodes themselves (not Value::producer/consumers), so
// a graph whose links were not refreshed is still read correctly.
struct GraphIndex {
  std::vector<NodeId> producer;              // per value; kNoNode for inputs and constants
  std::vector<uint32_t> consumer_offsets;    // CSR: consumers of value v
  std::vector<NodeId> consumers;
  std::vector<double> value_bytes;
  std::vector<uint8_t> is_graph_output;
  std::vector<std::vector<NodeId>> node_preds, node_succs;  // sorted, unique

  std::span<const NodeId> consumers_of(ValueId v) const {
    return {consumers.data() + consumer_offsets[v], consumers.data() + consumer_offsets[v + 1]};
  }
};

Result<GraphIndex> index_graph(const Graph& g, std::span<const double> value_bytes) {
  GraphIndex ix;
  const size_t nv = g.values.size(), nn = g.nodes.size();
  ix.producer.assign(nv, kNoNode);
  ix.value_bytes.assign(value_bytes.begin(), value_bytes.end());
  ix.is_graph_output.assign(nv, 0);
  for (ValueId v : g.outputs) {
    if (v >= nv) return internal_error("partition: graph output id out of range");
    ix.is_graph_output[v] = 1;
  }
  std::vector<uint32_t> count(nv + 1, 0);
  for (NodeId n = 0; n < nn; ++n) {
    for (ValueId o : g.nodes[n].outputs) {
      if (o == kNoValue) continue;
      if (o >= nv) return internal_error("partition: output id out of range in " + g.nodes[n].describe());
      if (ix.producer[o] != kNoNode)
        return invalid_argument("partition: value '" + g.values[o].name + "' has two producers");
      ix.producer[o] = n;
    }
  }
  for (NodeId n = 0; n < nn; ++n) {
    for (ValueId in : g.nodes[n].inputs) {
      if (in == kNoValue) continue;
      if (in >= nv) return internal_error("partition: input id out of range in " + g.nodes[n].describe());
      const NodeId p = ix.producer[in];
      if (p != kNoNode && p >= n)
        return invalid_argument("partition: nodes are not in topological order at " + g.nodes[n].describe() +
                                " (call Graph::finalize first)");
      ++count[in + 1];
    }
  }
  for (size_t v = 0; v < nv; ++v) count[v + 1] += count[v];
  ix.consumer_offsets = count;
  ix.consumers.resize(count[nv]);
  std::vector<uint32_t> fill(count.begin(), count.end() - 1);
  ix.node_preds.resize(nn);
  ix.node_succs.resize(nn);
  for (NodeId n = 0; n < nn; ++n) {
    for (ValueId in : g.nodes[n].inputs) {
      if (in == kNoValue) continue;
      ix.consumers[fill[in]++] = n;
      const NodeId p = ix.producer[in];
      if (p != kNoNode && !g.values[in].constant) {
        auto& pr = ix.node_preds[n];
        if (std::find(pr.begin(), pr.end(), p) == pr.end()) pr.push_back(p);
      }
    }
    std::sort(ix.node_preds[n].begin(), ix.node_preds[n].end());
    for (NodeId p : ix.node_preds[n]) ix.node_succs[p].push_back(n);  // n ascending: stays sorted
  }
  return ix;
}

// Working set of a node set (sorted) with reusable scratch buffers.
class WorkingSet {
 public:
  WorkingSet(const Graph& g, const GraphIndex& ix, std::span<const Cost> costs)
      : g_(g), ix_(ix), costs_(costs), member_(g.nodes.size(), 0), first_(g.values.size(), 0),
        last_(g.values.size(), 0), stamp_(g.values.size(), 0) {}

  double operator()(std::span<const NodeId> nodes) {
    if (++epoch_ == 0) {  // wrapped: reset the stamps
      std::fill(member_.begin(), member_.end(), 0);
      std::fill(stamp_.begin(), stamp_.end(), 0);
      epoch_ = 1;
    }
    for (NodeId n : nodes) member_[n] = epoch_;
    const uint32_t steps = static_cast<uint32_t>(nodes.size());
    touched_.clear();
    auto touch = [&](ValueId v, uint32_t step) {
      if (stamp_[v] != epoch_) {
        stamp_[v] = epoch_;
        first_[v] = step;
        last_[v] = step;
        touched_.push_back(v);
      } else {
        first_[v] = std::min(first_[v], step);
        last_[v] = std::max(last_[v], step);
      }
    };
    for (uint32_t i = 0; i < steps; ++i) {
      const Node& node = g_.nodes[nodes[i]];
      for (ValueId in : node.inputs)
        if (in != kNoValue && !g_.values[in].constant) {
          const NodeId p = ix_.producer[in];
          touch(in, i);
          if (p == kNoNode || member_[p] != epoch_) first_[in] = 0;  // inputs live from the start
        }
      for (ValueId o : node.outputs)
        if (o != kNoValue) touch(o, i);
    }
    diff_.assign(steps + 1, 0.0);
    for (ValueId v : touched_) {
      uint32_t end = last_[v];
      const NodeId p = ix_.producer[v];
      if (p != kNoNode && member_[p] == epoch_) {
        bool escapes = ix_.is_graph_output[v] != 0;
        for (NodeId c : ix_.consumers_of(v)) escapes = escapes || member_[c] != epoch_;
        if (escapes) end = steps - 1;  // an output stays until the subgraph ends
      }
      diff_[first_[v]] += ix_.value_bytes[v];
      diff_[end + 1] -= ix_.value_bytes[v];
    }
    double live = 0, peak = 0;
    for (uint32_t i = 0; i < steps; ++i) {
      live += diff_[i];
      peak = std::max(peak, live + costs_[nodes[i]].workspace_bytes);
    }
    return peak;
  }

 private:
  const Graph& g_;
  const GraphIndex& ix_;
  std::span<const Cost> costs_;
  std::vector<uint32_t> member_, first_, last_, stamp_;
  std::vector<ValueId> touched_;
  std::vector<double> diff_;
  uint32_t epoch_ = 0;
};

void erase_sorted(std::vector<uint32_t>& v, uint32_t x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it != v.end() && *it == x) v.erase(it);
}
void insert_sorted(std::vector<uint32_t>& v, uint32_t x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it == v.end() || *it != x) v.insert(it, x);
}

// The mutable subgraph DAG while merging. Subgraph ids are the ids of their first node;
// pos_ is a topological order of the live subgraphs (keys with holes), kept valid by
// every merge so that reachability searches can stop at the far end's position.
class MergeState {
 public:
  MergeState(const Graph& g, const GraphIndex& ix, std::span<const Cost> costs, std::span<const double> ns,
             double ws_cap)
      : ws_(g, ix, costs), cap_(ws_cap) {
    const size_t n = g.nodes.size();
    nodes_.resize(n);
    preds_.resize(n);
    succs_.resize(n);
    ns_.assign(ns.begin(), ns.end());
    pos_.resize(n);
    alive_.assign(n, 1);
    seen_.assign(n, 0);
    for (NodeId i = 0; i < n; ++i) {
      nodes_[i] = {i};
      preds_[i].assign(ix.node_preds[i].begin(), ix.node_preds[i].end());
      succs_[i].assign(ix.node_succs[i].begin(), ix.node_succs[i].end());
      pos_[i] = i;
    }
  }

  size_t size() const { return nodes_.size(); }
  bool alive(uint32_t s) const { return alive_[s] != 0; }
  double ns(uint32_t s) const { return ns_[s]; }
  const std::vector<uint32_t>& preds(uint32_t s) const { return preds_[s]; }
  const std::vector<uint32_t>& succs(uint32_t s) const { return succs_[s]; }
  const std::vector<NodeId>& nodes(uint32_t s) const { return nodes_[s]; }
  int64_t pos(uint32_t s) const { return pos_[s]; }
  bool memory_mode() const { return cap_ > 0; }

  // The working set of one subgraph (memory mode only).
  double working_set(uint32_t s) {
    std::sort(nodes_[s].begin(), nodes_[s].end());
    return ws_(nodes_[s]);
  }
  // True when merging a and b stays within the working-set cap.
  bool fits(uint32_t a, uint32_t b) {
    if (cap_ <= 0) return true;
    scratch_nodes_.assign(nodes_[a].begin(), nodes_[a].end());
    scratch_nodes_.insert(scratch_nodes_.end(), nodes_[b].begin(), nodes_[b].end());
    std::sort(scratch_nodes_.begin(), scratch_nodes_.end());
    return ws_(scratch_nodes_) <= cap_;
  }

  // Merges along the edge a -> b when no other path a ~> b exists; returns false (and
  // changes nothing) when one does, since the merge would then close a cycle.
  bool try_merge_edge(uint32_t a, uint32_t b) {
    // With a single successor of a, or a single predecessor of b, every path a ~> b is the
    // edge itself; the merged subgraph can take b's (resp. a's) position.
    if (succs_[a].size() == 1) {
      merge(a, b, pos_[b]);
      return true;
    }
    if (preds_[b].size() == 1) {
      merge(a, b, pos_[a]);
      return true;
    }
    // Forward from a's other successors, only through positions before b.
    fwd_.clear();
    const uint32_t mark = next_mark();
    for (uint32_t s : succs_[a])
      if (s != b && pos_[s] < pos_[b] && seen_[s] != mark) {
        seen_[s] = mark;
        fwd_.push_back(s);
      }
    for (size_t i = 0; i < fwd_.size(); ++i) {
      for (uint32_t s : succs_[fwd_[i]]) {
        if (s == b) return false;
        if (pos_[s] < pos_[b] && seen_[s] != mark) {
          seen_[s] = mark;
          fwd_.push_back(s);
        }
      }
    }
    // Backward from b's other predecessors, only through positions after a.
    back_.clear();
    for (uint32_t p : preds_[b])
      if (p != a && pos_[p] > pos_[a] && seen_[p] != mark) {
        seen_[p] = mark;
        back_.push_back(p);
      }
    for (size_t i = 0; i < back_.size(); ++i)
      for (uint32_t p : preds_[back_[i]])
        if (pos_[p] > pos_[a] && seen_[p] != mark) {
          seen_[p] = mark;
          back_.push_back(p);
        }
    // Reorder the window (Pearce-Kelly style): what reaches b, then the merged pair, then
    // what a reaches, each in its old relative order, into the same position slots.
    auto by_pos = [&](uint32_t x, uint32_t y) { return pos_[x] < pos_[y]; };
    std::sort(fwd_.begin(), fwd_.end(), by_pos);
    std::sort(back_.begin(), back_.end(), by_pos);
    slots_.clear();
    for (uint32_t x : back_) slots_.push_back(pos_[x]);
    for (uint32_t x : fwd_) slots_.push_back(pos_[x]);
    slots_.push_back(pos_[a]);
    slots_.push_back(pos_[b]);
    std::sort(slots_.begin(), slots_.end());
    size_t k = 0;
    for (uint32_t x : back_) pos_[x] = slots_[k++];
    const int64_t merged_pos = slots_[k++];
    k = slots_.size() - fwd_.size();
    for (uint32_t x : fwd_) pos_[x] = slots_[k++];
    merge(a, b, merged_pos);
    return true;
  }

  // Merges two subgraphs with identical predecessor sets (same_preds) or identical
  // successor sets: neither can reach the other, so no cycle can appear.
  void merge_siblings(uint32_t x, uint32_t y, bool same_preds) {
    const int64_t p = same_preds ? std::min(pos_[x], pos_[y]) : std::max(pos_[x], pos_[y]);
    if (x < y) merge(x, y, p);
    else merge(y, x, p);
  }

  // The surviving id after the last merge.
  uint32_t last_merged() const { return last_; }

 private:
  uint32_t next_mark() {
    if (++mark_ == 0) {
      std::fill(seen_.begin(), seen_.end(), 0);
      mark_ = 1;
    }
    return mark_;
  }

  // a absorbs b.
  void merge(uint32_t a, uint32_t b, int64_t new_pos) {
    nodes_[a].insert(nodes_[a].end(), nodes_[b].begin(), nodes_[b].end());
    for (uint32_t x : preds_[b]) {
      if (x == a) continue;
      erase_sorted(succs_[x], b);
      insert_sorted(succs_[x], a);
      insert_sorted(preds_[a], x);
    }
    for (uint32_t y : succs_[b]) {
      if (y == a) continue;
      erase_sorted(preds_[y], b);
      insert_sorted(preds_[y], a);
      insert_sorted(succs_[a], y);
    }
    erase_sorted(succs_[a], b);
    erase_sorted(preds_[a], b);
    ns_[a] += ns_[b];
    pos_[a] = new_pos;
    alive_[b] = 0;
    std::vector<NodeId>().swap(nodes_[b]);
    std::vector<uint32_t>().swap(preds_[b]);
    std::vector<uint32_t>().swap(succs_[b]);
    last_ = a;
  }

  WorkingSet ws_;
  double cap_;
  std::vector<std::vector<NodeId>> nodes_;
  std::vector<std::vector<uint32_t>> preds_, succs_;
  std::vector<double> ns_;
  std::vector<int64_t> pos_;
  std::vector<uint8_t> alive_;
  std::vector<uint32_t> seen_;
  std::vector<uint32_t> fwd_, back_;
  std::vector<int64_t> slots_;
  std::vector<NodeId> scratch_nodes_;
  uint32_t mark_ = 0;
  uint32_t last_ = 0;
};

void merge_chains(MergeState& st) {
  for (uint32_t a = 0; a < st.size(); ++a) {
    while (st.alive(a) && st.succs(a).size() == 1) {
      const uint32_t b = st.succs(a)[0];
      if (st.preds(b).size() != 1 || !st.fits(a, b)) break;
      st.try_merge_edge(a, b);
    }
  }
}

// Estimated longest paths while tiny subgraphs are merged: per subgraph the earliest
// start (top: longest path from a source to it) and its upward rank (bot), computed once
// over the chain-merged DAG and updated for each merged subgraph (other entries go stale
// by at most the tiny costs merged since). A merge is accepted only if the longest path
// through the merged subgraph stays within the current critical path plus the tiny
// subgraph's own cost: merging a tiny join into one of its predecessors, which would make
// that predecessor wait for the others, is refused.
class PathTracker {
 public:
  explicit PathTracker(const MergeState& st) : top_(st.size(), 0.0), bot_(st.size(), 0.0) {
    std::vector<uint32_t> order;
    for (uint32_t s = 0; s < st.size(); ++s)
      if (st.alive(s)) order.push_back(s);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return st.pos(a) < st.pos(b); });
    for (uint32_t s : order)
      for (uint32_t p : st.preds(s)) top_[s] = std::max(top_[s], top_[p] + st.ns(p));
    for (size_t i = order.size(); i-- > 0;) {
      const uint32_t s = order[i];
      double tail = 0;
      for (uint32_t q : st.succs(s)) tail = std::max(tail, bot_[q]);
      bot_[s] = st.ns(s) + tail;
      critical_ = std::max(critical_, top_[s] + bot_[s]);
    }
  }

  // True when merging `tiny` with `other` keeps the longest path through the result
  // within the critical path + the tiny subgraph's cost.
  bool acceptable(const MergeState& st, uint32_t tiny, uint32_t other) const {
    double top = 0, tail = 0;
    for (uint32_t x : {tiny, other}) {
      for (uint32_t p : st.preds(x))
        if (p != tiny && p != other) top = std::max(top, top_[p] + st.ns(p));
      for (uint32_t q : st.succs(x))
        if (q != tiny && q != other) tail = std::max(tail, bot_[q]);
    }
    const double path = top + st.ns(tiny) + st.ns(other) + tail;
    return path <= (critical_ + st.ns(tiny)) * (1 + 1e-12);
  }

  void merged(const MergeState& st, uint32_t m) {
    top_[m] = 0;
    for (uint32_t p : st.preds(m)) top_[m] = std::max(top_[m], top_[p] + st.ns(p));
    double tail = 0;
    for (uint32_t q : st.succs(m)) tail = std::max(tail, bot_[q]);
    bot_[m] = st.ns(m) + tail;
    critical_ = std::max(critical_, top_[m] + bot_[m]);
  }

 private:
  std::vector<double> top_, bot_;
  double critical_ = 0;
};

// A tiny sibling of s: a subgraph with the same predecessor set (or the same successor
// set), cheapest first. Returns {id, same_preds} or {UINT32_MAX, false}.
std::pair<uint32_t, bool> find_sibling(MergeState& st, const PathTracker& paths, uint32_t s, double threshold) {
  constexpr size_t kMaxScan = 256;  // bounds the work at hubs with many successors
  uint32_t best = UINT32_MAX;
  bool best_same_preds = false;
  auto consider = [&](uint32_t y, bool same_preds) {
    if (y == s || !st.alive(y) || st.ns(y) >= threshold) return;
    if (same_preds ? st.preds(y) != st.preds(s) : st.succs(y) != st.succs(s)) return;
    if (best != UINT32_MAX &&
        std::make_tuple(st.ns(y), st.pos(y)) >= std::make_tuple(st.ns(best), st.pos(best)))
      return;
    if (!paths.acceptable(st, s, y) || !st.fits(s, y)) return;
    best = y;
    best_same_preds = same_preds;
  };
  if (!st.preds(s).empty()) {
    uint32_t hub = st.preds(s)[0];
    for (uint32_t p : st.preds(s))
      if (st.succs(p).size() < st.succs(hub).size()) hub = p;
    const auto& cand = st.succs(hub);
    for (size_t i = 0; i < cand.size() && i < kMaxScan; ++i) consider(cand[i], true);
  }
  if (!st.succs(s).empty()) {
    uint32_t hub = st.succs(s)[0];
    for (uint32_t q : st.succs(s))
      if (st.preds(q).size() < st.preds(hub).size()) hub = q;
    const auto& cand = st.preds(hub);
    for (size_t i = 0; i < cand.size() && i < kMaxScan; ++i) consider(cand[i], false);
  }
  return {best, best_same_preds};
}

void merge_tiny(MergeState& st, double threshold) {
  using Entry = std::tuple<double, int64_t, uint32_t>;  // cost, position, id
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  for (uint32_t s = 0; s < st.size(); ++s)
    if (st.alive(s) && st.ns(s) < threshold) heap.emplace(st.ns(s), st.pos(s), s);
  PathTracker paths(st);
  std::vector<std::tuple<int, double, int64_t, uint32_t>> neighbours;
  while (!heap.empty()) {
    auto [cost, pos, s] = heap.top();
    heap.pop();
    if (!st.alive(s) || st.ns(s) != cost) continue;  // stale: merged or grown since pushed
    bool merged = false;
    // 1. A tiny sibling: merging keeps the pair parallel with everything else.
    if (auto [y, same_preds] = find_sibling(st, paths, s, threshold); y != UINT32_MAX) {
      st.merge_siblings(s, y, same_preds);
      merged = true;
    }
    // 2. A neighbour: s's only predecessor or only successor first (s already waits for
    //    it / it already waits for s, so no new waiting), then the cheapest.
    if (!merged) {
      neighbours.clear();
      for (uint32_t p : st.preds(s)) neighbours.emplace_back(st.preds(s).size() == 1 ? 0 : 1, st.ns(p), st.pos(p), p);
      for (uint32_t q : st.succs(s)) neighbours.emplace_back(st.succs(s).size() == 1 ? 0 : 1, st.ns(q), st.pos(q), q);
      std::sort(neighbours.begin(), neighbours.end());
      for (const auto& [rank, ncost, npos, nb] : neighbours) {
        if (!paths.acceptable(st, s, nb) || !st.fits(s, nb)) continue;
        const bool is_pred = std::binary_search(st.preds(s).begin(), st.preds(s).end(), nb);
        if (is_pred ? st.try_merge_edge(nb, s) : st.try_merge_edge(s, nb)) {
          merged = true;
          break;
        }
      }
    }
    if (merged) {
      const uint32_t m = st.last_merged();
      paths.merged(st, m);
      if (st.ns(m) < threshold) heap.emplace(st.ns(m), st.pos(m), m);
    }
  }
}

std::string bytes_text(double b) {
  char buf[64];
  if (b >= 1 << 20) std::snprintf(buf, sizeof(buf), "%.1f MiB", b / (1 << 20));
  else if (b >= 1 << 10) std::snprintf(buf, sizeof(buf), "%.1f KiB", b / (1 << 10));
  else std::snprintf(buf, sizeof(buf), "%.0f B", b);
  return buf;
}

Status finish_plan_indexed(const Graph& g, const GraphIndex& ix, std::span<const Cost> costs,
                           std::span<const double> ns, const MachineBalance& balance, PartitionPlan& plan) {
  const size_t nn = g.nodes.size();
  const size_t count = plan.subgraphs.size();
  // Membership, checked to cover every node exactly once.
  std::vector<SubgraphId> owner(nn, UINT32_MAX);
  for (size_t s = 0; s < count; ++s) {
    auto& nodes = plan.subgraphs[s].nodes;
    std::sort(nodes.begin(), nodes.end());
    if (nodes.empty()) return invalid_argument("partition plan: subgraph " + std::to_string(s) + " is empty");
    for (NodeId n : nodes) {
      if (n >= nn) return invalid_argument("partition plan: node id out of range");
      if (owner[n] != UINT32_MAX)
        return invalid_argument("partition plan: " + g.nodes[n].describe() + " is in two subgraphs");
      owner[n] = static_cast<SubgraphId>(s);
    }
  }
  for (NodeId n = 0; n < nn; ++n)
    if (owner[n] == UINT32_MAX) return invalid_argument("partition plan: " + g.nodes[n].describe() + " is in no subgraph");

  // Canonical topological order: Kahn's algorithm, smallest first node first.
  std::vector<std::vector<SubgraphId>> succ(count);
  std::vector<uint32_t> indeg(count, 0);
  for (NodeId n = 0; n < nn; ++n)
    for (NodeId p : ix.node_preds[n])
      if (owner[p] != owner[n]) succ[owner[p]].push_back(owner[n]);
  for (auto& s : succ) {
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    for (SubgraphId t : s) ++indeg[t];
  }
  using Key = std::pair<NodeId, SubgraphId>;
  std::priority_queue<Key, std::vector<Key>, std::greater<>> ready;
  for (SubgraphId s = 0; s < count; ++s)
    if (indeg[s] == 0) ready.emplace(plan.subgraphs[s].nodes.front(), s);
  std::vector<SubgraphId> order;
  order.reserve(count);
  while (!ready.empty()) {
    const SubgraphId s = ready.top().second;
    ready.pop();
    order.push_back(s);
    for (SubgraphId t : succ[s])
      if (--indeg[t] == 0) ready.emplace(plan.subgraphs[t].nodes.front(), t);
  }
  if (order.size() != count) return invalid_argument("partition plan: the subgraph graph has a cycle");
  std::vector<SubgraphId> new_id(count);
  for (size_t i = 0; i < count; ++i) new_id[order[i]] = static_cast<SubgraphId>(i);
  std::vector<Subgraph> sorted(count);
  for (size_t i = 0; i < count; ++i) {
    sorted[i].nodes = std::move(plan.subgraphs[order[i]].nodes);
    sorted[i].id = static_cast<SubgraphId>(i);
  }
  plan.subgraphs = std::move(sorted);
  plan.subgraph_of_node.assign(nn, 0);
  for (NodeId n = 0; n < nn; ++n) plan.subgraph_of_node[n] = new_id[owner[n]];
  const auto& sub_of = plan.subgraph_of_node;

  // Data edges: one per (producer subgraph, consumer subgraph), bytes of distinct values.
  std::vector<std::tuple<SubgraphId, SubgraphId, ValueId>> crossings;
  for (NodeId n = 0; n < nn; ++n)
    for (ValueId in : g.nodes[n].inputs) {
      if (in == kNoValue || g.values[in].constant) continue;
      const NodeId p = ix.producer[in];
      if (p != kNoNode && sub_of[p] != sub_of[n]) crossings.emplace_back(sub_of[p], sub_of[n], in);
    }
  std::sort(crossings.begin(), crossings.end());
  crossings.erase(std::unique(crossings.begin(), crossings.end()), crossings.end());
  plan.edges.clear();
  for (const auto& [from, to, v] : crossings) {
    if (plan.edges.empty() || plan.edges.back().from != from || plan.edges.back().to != to)
      plan.edges.push_back(DataEdge{from, to, 0});
    plan.edges.back().bytes += ix.value_bytes[v];
  }
  for (const DataEdge& e : plan.edges) {
    plan.subgraphs[e.from].succs.push_back(e.to);
    plan.subgraphs[e.to].preds.push_back(e.from);
  }
  for (Subgraph& s : plan.subgraphs) std::sort(s.preds.begin(), s.preds.end());  // succs already sorted

  WorkingSet ws(g, ix, costs);
  plan.total_cost_ns = 0;
  plan.max_peak_working_set = 0;
  for (Subgraph& s : plan.subgraphs) {
    s.cost = Cost{};
    s.est_ns = 0;
    s.weight_bytes = 0;
    s.inputs.clear();
    s.outputs.clear();
    for (NodeId n : s.nodes) {
      const Cost& c = costs[n];
      s.cost.flops += c.flops;
      s.cost.bytes_read += c.bytes_read;
      s.cost.bytes_written += c.bytes_written;
      s.cost.workspace_bytes = std::max(s.cost.workspace_bytes, c.workspace_bytes);
      s.est_ns += ns[n];
      for (ValueId in : g.nodes[n].inputs) {
        if (in == kNoValue) continue;
        if (g.values[in].constant) {
          s.weight_bytes += ix.value_bytes[in];  // counted per use: shared weights are rare
          continue;
        }
        const NodeId p = ix.producer[in];
        if (p == kNoNode || sub_of[p] != s.id) s.inputs.push_back(in);
      }
      for (ValueId o : g.nodes[n].outputs) {
        if (o == kNoValue) continue;
        bool escapes = ix.is_graph_output[o] != 0;
        for (NodeId c : ix.consumers_of(o)) escapes = escapes || sub_of[c] != s.id;
        if (escapes) s.outputs.push_back(o);
      }
    }
    std::sort(s.inputs.begin(), s.inputs.end());
    s.inputs.erase(std::unique(s.inputs.begin(), s.inputs.end()), s.inputs.end());
    std::sort(s.outputs.begin(), s.outputs.end());
    s.peak_working_set = ws(s.nodes);
    s.compute_bound = is_compute_bound(s.cost, balance);
    plan.total_cost_ns += s.est_ns;
    plan.max_peak_working_set = std::max(plan.max_peak_working_set, s.peak_working_set);
  }
  // Levels (longest path from a source) and the widest level.
  std::vector<int> width;
  for (Subgraph& s : plan.subgraphs) {
    s.level = 0;
    for (SubgraphId p : s.preds) s.level = std::max(s.level, plan.subgraphs[p].level + 1);
    if (static_cast<size_t>(s.level) >= width.size()) width.resize(s.level + 1, 0);
    ++width[s.level];
  }
  plan.max_width = width.empty() ? 0 : *std::max_element(width.begin(), width.end());
  // Upward ranks (ids are topological, so reverse id order is reverse topological).
  plan.critical_path_ns = 0;
  for (size_t i = count; i-- > 0;) {
    Subgraph& s = plan.subgraphs[i];
    double tail = 0;
    for (SubgraphId t : s.succs) tail = std::max(tail, plan.subgraphs[t].upward_rank);
    s.upward_rank = s.est_ns + tail;
    plan.critical_path_ns = std::max(plan.critical_path_ns, s.upward_rank);
  }
  plan.machine_balance = balance.balance();
  return {};
}

Result<PartitionPlan> partition_impl(const Graph& graph, std::span<const Cost> costs, std::span<const double> ns,
                                     std::span<const Shape> shapes, const PartitionOptions& options) {
  const size_t nn = graph.nodes.size();
  if (costs.size() != nn || ns.size() != nn)
    return invalid_argument("partition: expected one cost and one time per node (" + std::to_string(nn) + ")");
  if (options.memory_budget_bytes < 0 || (options.memory_budget_bytes > 0 && options.max_in_flight < 1))
    return invalid_argument("partition: memory_budget_bytes must be >= 0 and max_in_flight >= 1");
  const std::vector<double> value_bytes = value_byte_sizes(graph, shapes);
  BRAID_ASSIGN_OR_RETURN(GraphIndex ix, index_graph(graph, value_bytes));
  const double cap = options.memory_budget_bytes > 0 ? options.memory_budget_bytes / options.max_in_flight : 0;

  MergeState st(graph, ix, costs, ns, cap);
  if (cap > 0) {
    for (NodeId n = 0; n < nn; ++n) {
      const double need = st.working_set(n);
      if (need > cap)
        return out_of_memory("partition: " + graph.nodes[n].describe() + " alone needs " + bytes_text(need) +
                             " of activations and workspace, more than the budget allows per subgraph (" +
                             bytes_text(options.memory_budget_bytes) + " / " + std::to_string(options.max_in_flight) +
                             " in flight = " + bytes_text(cap) + ")");
    }
  }
  if (options.merge_chains) merge_chains(st);
  if (options.min_subgraph_cost_ns > 0) merge_tiny(st, options.min_subgraph_cost_ns);

  PartitionPlan plan;
  for (uint32_t s = 0; s < st.size(); ++s) {
    if (!st.alive(s)) continue;
    Subgraph sub;
    sub.nodes = st.nodes(s);
    plan.subgraphs.push_back(std::move(sub));
  }
  BRAID_RETURN_IF_ERROR(finish_plan_indexed(graph, ix, costs, ns, options.balance, plan));
  plan.merge_threshold_ns = options.min_subgraph_cost_ns;
  plan.memory_budget_bytes = options.memory_budget_bytes;
  plan.max_in_flight = options.memory_budget_bytes > 0 ? options.max_in_flight : 0;
  plan.working_set_cap = cap;
  return plan;
}

}  // namespace

PartitionOptions PartitionOptions::for_this_machine(double max_overhead_fraction) {
  PartitionOptions o;
  o.balance = machine_balance();
  o.min_subgraph_cost_ns = merge_threshold_ns(o.balance.dispatch_overhead_ns, max_overhead_fraction);
  return o;
}

Result<PartitionPlan> partition(const Graph& graph, const PartitionOptions& options) {
  const std::vector<Shape> shapes = resolve_shapes(graph, options.shapes);
  std::vector<Cost> costs(graph.nodes.size());
  std::vector<double> ns(graph.nodes.size());
  for (NodeId n = 0; n < graph.nodes.size(); ++n) {
    costs[n] = estimate_node_cost(graph, n, shapes, options.precision);
    ns[n] = estimate_time_ns(costs[n], options.balance, options.cost, options.precision);
  }
  return partition_impl(graph, costs, ns, shapes, options);
}

Result<PartitionPlan> partition_with_costs(const Graph& graph, std::span<const Cost> node_costs,
                                           std::span<const double> node_ns, const PartitionOptions& options) {
  const std::vector<Shape> shapes = resolve_shapes(graph, options.shapes);
  return partition_impl(graph, node_costs, node_ns, shapes, options);
}

Status finish_plan(const Graph& graph, std::span<const Cost> node_costs, std::span<const double> node_ns,
                   std::span<const double> value_bytes, const MachineBalance& balance, PartitionPlan& plan) {
  if (node_costs.size() != graph.nodes.size() || node_ns.size() != graph.nodes.size() ||
      value_bytes.size() != graph.values.size())
    return invalid_argument("finish_plan: expected one cost and time per node and one size per value");
  BRAID_ASSIGN_OR_RETURN(GraphIndex ix, index_graph(graph, value_bytes));
  return finish_plan_indexed(graph, ix, node_costs, node_ns, balance, plan);
}

double subgraph_working_set(const Graph& graph, std::span<const NodeId> nodes, std::span<const Cost> node_costs,
                            std::span<const double> value_bytes) {
  Result<GraphIndex> ix = index_graph(graph, value_bytes);
  if (!ix.ok()) return 0;
  std::vector<NodeId> sorted(nodes.begin(), nodes.end());
  std::sort(sorted.begin(), sorted.end());
  WorkingSet ws(graph, *ix, node_costs);
  return ws(sorted);
}

std::vector<double> subgraph_working_sets(const Graph& graph, const PartitionPlan& plan,
                                          std::span<const Cost> node_costs, std::span<const double> value_bytes) {
  std::vector<double> out(plan.subgraphs.size(), 0.0);
  Result<GraphIndex> ix = index_graph(graph, value_bytes);
  if (!ix.ok() || node_costs.size() != graph.nodes.size()) return out;
  WorkingSet ws(graph, *ix, node_costs);
  for (size_t s = 0; s < plan.subgraphs.size(); ++s) {
    bool valid = true;
    for (NodeId n : plan.subgraphs[s].nodes) valid = valid && n < graph.nodes.size();
    if (valid) out[s] = ws(plan.subgraphs[s].nodes);
  }
  return out;
}

std::vector<double> value_byte_sizes(const Graph& graph, std::span<const Shape> shapes) {
  std::vector<double> bytes(graph.values.size());
  for (size_t v = 0; v < graph.values.size(); ++v)
    bytes[v] = shape_numel(shapes[v]) * static_cast<double>(std::max<size_t>(dtype_size(graph.values[v].dtype), 1));
  return bytes;
}

}  // namespace braid::detail
