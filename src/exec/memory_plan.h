// MemoryPlan: where every node-produced activation of one request lives inside a single
// arena block, computed at load (and again when the input shapes change) from liveness,
// so that a steady-state run takes no heap memory for activations.
//
//   MemoryPlan mp = MemoryPlan::build(graph, plan, resolve_shapes(graph), MemoryPlan::Liveness::kDag);
//   void* p = mp.slot(base, v, bytes);   // the value's planned bytes, or null: use the heap
//
// A value that a kernel returns as a view of its input (Reshape, Flatten, Squeeze,
// Unsqueeze, Identity, Dropout, Cast to its own type) shares its input's slot: the slot
// stays live until the last reader of any value in that alias group. Graph outputs (and
// groups containing one) get no slot: the caller keeps them after the block is reused.
// Two groups may share bytes only when one's producer and readers all finish before the
// other's producer starts:
//  - kDag: in the graph's dependency order (one is reachable from the other), so the plan
//    holds in every execution mode, whatever order concurrent subgraphs run in;
//  - kSequential: in node order (topological order), tighter, valid only when nodes run
//    one at a time in that order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "braid/status.h"
#include "ir/graph.h"

namespace braid::detail {

struct ExecutionPlan;

struct MemoryPlan {
  enum class Liveness { kDag, kSequential };
  static constexpr uint64_t kNoSlot = ~uint64_t{0};
  static constexpr size_t kAlign = 64;
  // Graphs with more nodes get no plan (the reachability matrix would take n^2/8 bytes).
  static constexpr size_t kMaxNodes = 16384;

  Liveness liveness = Liveness::kDag;
  std::vector<uint64_t> offset;   // per value: its group's slot offset, or kNoSlot
  std::vector<uint64_t> bytes;    // per value: its group's slot size (0 without a slot)
  std::vector<ValueId> root;      // per value: the group's owner (kNoValue: not an activation)
  size_t total_bytes = 0;         // the arena block one request needs
  size_t slot_bytes = 0;          // sum of all slots (what no sharing would take)
  size_t groups = 0;              // slots placed

  // Plans the activations of `graph` at the per-value `shapes` (one per value, e.g.
  // resolve_shapes). Values of unknown or zero size get no slot. Never fails: a graph
  // past kMaxNodes gets an empty plan (every value on the heap).
  static MemoryPlan build(const Graph& graph, const ExecutionPlan& plan, const std::vector<Shape>& shapes,
                          Liveness liveness);

  bool empty() const { return total_bytes == 0; }
  // The planned bytes of value `v` in a block at `base`, when v owns its slot (its
  // producer writes it; alias views do not) and `need` bytes fit; else null.
  void* slot(std::byte* base, ValueId v, size_t need) const {
    if (v >= root.size() || root[v] != v || offset[v] == kNoSlot || need > bytes[v]) return nullptr;
    return base + offset[v];
  }
  // True when [p, p + n) lies inside the slot of v's group in the block at `base`.
  bool in_own_slot(const std::byte* base, ValueId v, const void* p, size_t n) const {
    if (v >= root.size() || root[v] == kNoValue || offset[v] == kNoSlot) return false;
    const auto* b = static_cast<const std::byte*>(p);
    return b >= base + offset[v] && b + n <= base + offset[v] + bytes[v];
  }
};

// Whether node `n`'s output 0 may be a view of its input 0 (planned as one alias group).
bool may_alias_input(const Graph& graph, NodeId n);

// Checks `mp` against the graph's dependencies: every two slots whose bytes overlap must
// belong to groups ordered by `mp.liveness` (the last reader of one before the producer of
// the other). Independent of build() (it walks the graph itself). Ok or the first
// violation, naming both values.
Status verify_memory_plan(const Graph& graph, const MemoryPlan& mp);

}  // namespace braid::detail
