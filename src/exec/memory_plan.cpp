#include "exec/memory_plan.h"

#include <algorithm>
#include <memory>

#include "exec/execution_plan.h"

namespace braid::detail {
namespace {

// Strict descendants of every node, as bit rows (row n, bit m: m is reachable from n).
class Reachability {
 public:
  explicit Reachability(const Graph& graph) : n_(graph.nodes.size()), words_((n_ + 63) / 64), bits_(n_ * words_, 0) {
    // Nodes are stored in topological order: successors have larger ids.
    for (size_t i = n_; i-- > 0;) {
      uint64_t* row = &bits_[i * words_];
      for (ValueId out : graph.nodes[i].outputs) {
        if (out == kNoValue) continue;
        for (NodeId c : graph.values[out].consumers) {
          if (c == i) continue;
          row[c / 64] |= uint64_t{1} << (c % 64);
          const uint64_t* child = &bits_[static_cast<size_t>(c) * words_];
          for (size_t w = 0; w < words_; ++w) row[w] |= child[w];
        }
      }
    }
  }
  bool reaches(NodeId from, NodeId to) const {
    return (bits_[static_cast<size_t>(from) * words_ + to / 64] >> (to % 64)) & 1;
  }

 private:
  size_t n_, words_;
  std::vector<uint64_t> bits_;
};

struct Group {
  ValueId root = kNoValue;
  NodeId producer = kNoNode;
  std::vector<NodeId> users;  // readers of any member (sorted, unique)
  NodeId last = 0;            // largest node id among producer and users
  uint64_t bytes = 0;
  bool external = false;      // holds a graph output: no slot
  uint64_t offset = MemoryPlan::kNoSlot;
};

uint64_t value_bytes(const Graph& graph, const std::vector<Shape>& shapes, ValueId v) {
  const size_t elem = dtype_size(graph.values[v].dtype);
  if (elem == 0 || v >= shapes.size()) return 0;
  auto n = checked_numel(shapes[v]);
  if (!n.ok() || *n <= 0 || static_cast<uint64_t>(*n) > (uint64_t{1} << 50) / elem) return 0;
  const uint64_t b = static_cast<uint64_t>(*n) * elem;
  return (b + MemoryPlan::kAlign - 1) / MemoryPlan::kAlign * MemoryPlan::kAlign;
}

// g's producer and readers all finish before h's producer starts.
bool before(const Group& g, const Group& h, MemoryPlan::Liveness liveness, const Reachability* reach) {
  if (liveness == MemoryPlan::Liveness::kSequential) return g.last < h.producer;
  if (g.users.empty()) return reach->reaches(g.producer, h.producer);
  for (NodeId u : g.users)
    if (!reach->reaches(u, h.producer)) return false;
  return true;
}

}  // namespace

bool may_alias_input(const Graph& graph, NodeId n) {
  const Node& node = graph.nodes[n];
  if (!node.domain.empty() || node.inputs.empty() || node.outputs.empty()) return false;
  const std::string& op = node.op_type;
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" || op == "Identity" ||
      op == "Dropout")
    return true;
  if (op == "Cast") {
    const ValueId in = node.inputs[0], out = node.outputs[0];
    return in != kNoValue && out != kNoValue && graph.values[in].dtype != DataType::kUndefined &&
           graph.values[in].dtype == graph.values[out].dtype;
  }
  return false;
}

MemoryPlan MemoryPlan::build(const Graph& graph, const ExecutionPlan& plan, const std::vector<Shape>& shapes,
                             Liveness liveness) {
  MemoryPlan mp;
  mp.liveness = liveness;
  const size_t nv = graph.values.size();
  mp.offset.assign(nv, kNoSlot);
  mp.bytes.assign(nv, 0);
  mp.root.assign(nv, kNoValue);
  if (graph.nodes.size() > kMaxNodes) return mp;

  // Alias groups, in node (topological) order: a view joins its input's group.
  std::vector<uint32_t> group_of(nv, ~0u);
  std::vector<Group> groups;
  for (NodeId n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      const ValueId v = node.outputs[o];
      if (v == kNoValue || graph.values[v].constant) continue;
      if (o == 0 && may_alias_input(graph, n)) {
        const ValueId in = node.inputs[0];
        if (in != kNoValue && group_of[in] != ~0u) {
          group_of[v] = group_of[in];
          mp.root[v] = groups[group_of[in]].root;
          continue;
        }
        // A view of a graph input or constant: not arena memory, no slot.
        continue;
      }
      group_of[v] = static_cast<uint32_t>(groups.size());
      mp.root[v] = v;
      Group g;
      g.root = v;
      g.producer = n;
      g.last = n;
      g.bytes = value_bytes(graph, shapes, v);
      groups.push_back(std::move(g));
    }
  }
  for (ValueId v = 0; v < nv; ++v) {
    if (group_of[v] == ~0u) continue;
    Group& g = groups[group_of[v]];
    if (plan.is_graph_output[v]) g.external = true;
    for (NodeId c : graph.values[v].consumers) {
      g.users.push_back(c);
      g.last = std::max(g.last, c);
    }
  }
  std::vector<uint32_t> order;
  for (uint32_t i = 0; i < groups.size(); ++i) {
    Group& g = groups[i];
    std::sort(g.users.begin(), g.users.end());
    g.users.erase(std::unique(g.users.begin(), g.users.end()), g.users.end());
    if (!g.external && g.bytes > 0) order.push_back(i);
  }
  if (order.empty()) return mp;
  std::unique_ptr<Reachability> reach;
  if (liveness == Liveness::kDag) reach = std::make_unique<Reachability>(graph);

  // Largest first; each at the lowest offset clear of every placed group it may be live
  // with (greedy by size, as TFLite's and XNNPACK's planners do).
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return groups[a].bytes > groups[b].bytes; });
  std::vector<uint32_t> placed;
  std::vector<std::pair<uint64_t, uint64_t>> busy;  // [offset, end) of conflicting placed groups
  for (uint32_t gi : order) {
    Group& g = groups[gi];
    busy.clear();
    for (uint32_t hi : placed) {
      const Group& h = groups[hi];
      if (before(g, h, liveness, reach.get()) || before(h, g, liveness, reach.get())) continue;
      busy.emplace_back(h.offset, h.offset + h.bytes);
    }
    std::sort(busy.begin(), busy.end());
    uint64_t at = 0;
    for (auto [b, e] : busy) {
      if (b >= at + g.bytes) break;
      at = std::max(at, e);
    }
    g.offset = at;
    placed.push_back(gi);
    mp.total_bytes = std::max<size_t>(mp.total_bytes, at + g.bytes);
    mp.slot_bytes += g.bytes;
    ++mp.groups;
  }
  for (ValueId v = 0; v < nv; ++v) {
    if (group_of[v] == ~0u) continue;
    const Group& g = groups[group_of[v]];
    if (g.offset == kNoSlot) continue;
    mp.offset[v] = g.offset;
    mp.bytes[v] = g.bytes;
  }
  return mp;
}

Status verify_memory_plan(const Graph& graph, const MemoryPlan& mp) {
  const size_t nv = graph.values.size();
  if (mp.root.size() != nv || mp.offset.size() != nv || mp.bytes.size() != nv)
    return internal_error("memory plan: per-value arrays do not match the graph");
  std::vector<bool> is_output(nv, false);
  for (ValueId v : graph.outputs) is_output[v] = true;
  // Every slot-holding group: its owner, producer and readers (walked from the values).
  struct Slot {
    ValueId root;
    NodeId producer;
    std::vector<NodeId> users;
    uint64_t offset, bytes;
  };
  std::vector<Slot> slots;
  std::vector<int64_t> slot_of_root(nv, -1);
  for (ValueId v = 0; v < nv; ++v) {
    if (mp.offset[v] == MemoryPlan::kNoSlot) continue;
    const ValueId r = mp.root[v];
    if (r == kNoValue || r >= nv || mp.root[r] != r)
      return internal_error("memory plan: value '" + graph.values[v].name + "' has a slot but no owner");
    if (is_output[v]) return internal_error("memory plan: graph output '" + graph.values[v].name + "' is in the arena");
    if (mp.offset[v] != mp.offset[r] || mp.bytes[v] != mp.bytes[r])
      return internal_error("memory plan: '" + graph.values[v].name + "' and its owner disagree on the slot");
    if (mp.offset[v] % MemoryPlan::kAlign != 0 || mp.offset[v] + mp.bytes[v] > mp.total_bytes)
      return internal_error("memory plan: slot of '" + graph.values[v].name + "' is misaligned or past the block");
    if (slot_of_root[r] < 0) {
      slot_of_root[r] = static_cast<int64_t>(slots.size());
      slots.push_back({r, graph.values[r].producer, {}, mp.offset[r], mp.bytes[r]});
    }
    Slot& s = slots[static_cast<size_t>(slot_of_root[r])];
    for (NodeId c : graph.values[v].consumers) s.users.push_back(c);
  }
  // Does `to` depend on `from` (a path of data edges)? A plain search per question.
  std::vector<uint32_t> seen(graph.nodes.size(), 0);
  uint32_t epoch = 0;
  std::vector<NodeId> stack;
  auto depends = [&](NodeId from, NodeId to) {
    ++epoch;
    stack.assign(1, from);
    while (!stack.empty()) {
      const NodeId n = stack.back();
      stack.pop_back();
      for (ValueId out : graph.nodes[n].outputs) {
        if (out == kNoValue) continue;
        for (NodeId c : graph.values[out].consumers) {
          if (c == to) return true;
          if (seen[c] != epoch) {
            seen[c] = epoch;
            stack.push_back(c);
          }
        }
      }
    }
    return false;
  };
  auto ordered = [&](const Slot& a, const Slot& b) {  // a's producer and readers end before b starts
    if (mp.liveness == MemoryPlan::Liveness::kSequential) {
      if (a.producer >= b.producer) return false;
      for (NodeId u : a.users)
        if (u >= b.producer) return false;
      return true;
    }
    if (!depends(a.producer, b.producer)) return false;
    for (NodeId u : a.users)
      if (u == b.producer || !depends(u, b.producer)) return false;
    return true;
  };
  for (size_t i = 0; i < slots.size(); ++i)
    for (size_t j = i + 1; j < slots.size(); ++j) {
      const Slot& a = slots[i];
      const Slot& b = slots[j];
      if (a.offset >= b.offset + b.bytes || b.offset >= a.offset + a.bytes) continue;
      if (!ordered(a, b) && !ordered(b, a))
        return internal_error("memory plan: '" + graph.values[a.root].name + "' and '" + graph.values[b.root].name +
                              "' share bytes but may be live at once");
    }
  return {};
}

}  // namespace braid::detail
