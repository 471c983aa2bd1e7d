#include "partition/op_splitter.h"

#include <algorithm>
#include <cstring>

#include "partition/cost_model.h"

namespace braid::detail {
namespace {

int64_t attr_i(const Node& n, std::string_view name, int64_t def) {
  const Attribute* a = n.find_attribute(name);
  return a != nullptr && a->kind == Attribute::Kind::kInt ? a->i : def;
}

const Tensor* constant_of(const Graph& g, const Node& n, size_t i) {
  if (i >= n.inputs.size() || n.inputs[i] == kNoValue) return nullptr;
  const Value& v = g.values[n.inputs[i]];
  return v.constant ? &*v.constant : nullptr;
}

bool has_input(const Node& n, size_t i) { return i < n.inputs.size() && n.inputs[i] != kNoValue; }

// Rows [r0, r0 + rows) of a tensor viewed as [dim0, rest].
Result<Tensor> slice_rows(const Tensor& t, int64_t r0, int64_t rows) {
  Shape shape = t.shape();
  const size_t row_bytes = t.byte_size() / static_cast<size_t>(shape[0]);
  shape[0] = rows;
  BRAID_ASSIGN_OR_RETURN(Tensor out, Tensor::empty(t.dtype(), shape));
  if (row_bytes * static_cast<size_t>(rows) > 0)
    std::memcpy(out.raw_data(), static_cast<const std::byte*>(t.raw_data()) + row_bytes * static_cast<size_t>(r0),
                row_bytes * static_cast<size_t>(rows));
  return out;
}

// Columns [c0, c0 + cols) of the last dim.
Result<Tensor> slice_last_dim(const Tensor& t, int64_t c0, int64_t cols) {
  Shape shape = t.shape();
  const int64_t n = shape.back();
  const size_t elt = dtype_size(t.dtype());
  const int64_t rows = n > 0 ? t.numel() / n : 0;
  shape.back() = cols;
  BRAID_ASSIGN_OR_RETURN(Tensor out, Tensor::empty(t.dtype(), shape));
  const auto* src = static_cast<const std::byte*>(t.raw_data());
  auto* dst = static_cast<std::byte*>(out.raw_data());
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(dst + static_cast<size_t>(r * cols) * elt, src + static_cast<size_t>(r * n + c0) * elt,
                static_cast<size_t>(cols) * elt);
  return out;
}

// How the bias/C input of a Gemm relates to the split columns.
enum class BiasMode { kNone, kKeep, kSliceLast };

struct SplitPlan {
  int axis = 0;           // Concat axis of the output
  int64_t size = 0;       // output channels / columns
  BiasMode bias = BiasMode::kNone;
};

Result<SplitPlan> plan_split(const Graph& g, NodeId id, int slices) {
  if (id >= g.nodes.size()) return invalid_argument("split: node id out of range");
  const Node& n = g.nodes[id];
  auto fail = [&](const std::string& why) { return invalid_argument("split: cannot split " + n.describe() + ": " + why); };
  if (slices < 2) return fail("needs at least 2 slices");
  if (!n.domain.empty() && n.domain != "ai.onnx") return fail("not a default-domain op");
  if (n.outputs.size() != 1 || n.outputs[0] == kNoValue) return fail("expects one output");
  const Value& out = g.values[n.outputs[0]];
  if (!out.shape) return fail("output rank unknown");
  const int rank = static_cast<int>(out.shape->size());
  SplitPlan p;
  if (n.op_type == "Conv") {
    if (n.inputs.size() > 3) return fail("has a fused residual (graph fusion)");
    const Tensor* w = constant_of(g, n, 1);
    if (w == nullptr || w->rank() < 3) return fail("weights are not a constant");
    if (attr_i(n, "group", 1) != 1) return fail("grouped convolution");
    if (rank < 3) return fail("output rank < 3");
    p.axis = 1;
    p.size = w->dim(0);
    if (has_input(n, 2)) {
      const Tensor* b = constant_of(g, n, 2);
      if (b == nullptr || b->numel() != p.size) return fail("bias is not a constant vector");
      p.bias = BiasMode::kSliceLast;
    }
  } else if (n.op_type == "MatMul") {
    if (n.inputs.size() > 2) return fail("has a fused bias or residual (graph fusion)");
    const Tensor* b = constant_of(g, n, 1);
    if (b == nullptr || b->rank() != 2) return fail("B is not a constant matrix");
    if (rank < 2) return fail("output rank < 2");
    p.axis = rank - 1;
    p.size = b->dim(1);
  } else if (n.op_type == "Gemm") {
    const Tensor* b = constant_of(g, n, 1);
    if (b == nullptr || b->rank() != 2) return fail("B is not a constant matrix");
    if (rank != 2) return fail("output is not a matrix");
    p.axis = 1;
    p.size = attr_i(n, "transB", 0) ? b->dim(0) : b->dim(1);
    if (has_input(n, 2)) {
      const Value& c = g.values[n.inputs[2]];
      const Tensor* ct = constant_of(g, n, 2);
      int64_t last = -1;  // C's last dim (1 or absent: broadcast along N)
      bool known = false;
      if (ct != nullptr) {
        last = ct->rank() == 0 ? 1 : ct->shape().back();
        known = true;
      } else if (c.shape) {
        if (c.shape->empty()) last = 1, known = true;
        else if (c.shape->back().known()) last = c.shape->back().value, known = true;
      }
      if (!known) return fail("C has an unknown shape");
      if (last == 1) p.bias = BiasMode::kKeep;
      else if (last == p.size && ct != nullptr) p.bias = BiasMode::kSliceLast;
      else return fail("C varies along N and is not a constant");
    }
  } else {
    return fail("only Conv, MatMul and Gemm are split");
  }
  if (p.size < slices) return fail("fewer output channels than slices");
  return p;
}

// Appends the slices and the Concat of node `id` to `out_nodes`, new values to `g`.
Status emit_split(Graph& g, const Node& n, const SplitPlan& p, int slices, std::vector<Node>& out_nodes) {
  const std::vector<int64_t> sizes = slice_sizes(p.size, slices);
  const ValueId out_id = n.outputs[0];
  std::vector<ValueId> parts;
  int64_t offset = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const std::string suffix = "/slice" + std::to_string(i);
    Node s = n;
    s.name = n.name + suffix;
    // Weights.
    const Value& wv = g.values[n.inputs[1]];
    Result<Tensor> w = internal_error("unreachable");
    if (n.op_type == "Conv" || (n.op_type == "Gemm" && attr_i(n, "transB", 0)))
      w = slice_rows(*wv.constant, offset, sizes[i]);
    else
      w = slice_last_dim(*wv.constant, offset, sizes[i]);
    if (!w.ok()) return w.status();
    Value wslice;
    wslice.name = wv.name + suffix;
    wslice.dtype = wv.dtype;
    wslice.shape.emplace();
    for (int64_t d : w->shape()) wslice.shape->push_back(Dim{d, {}});
    wslice.constant = std::move(w).value();
    s.inputs[1] = g.add_value(std::move(wslice));
    // Bias / C.
    if (p.bias == BiasMode::kSliceLast) {
      const Value& bv = g.values[n.inputs[2]];
      BRAID_ASSIGN_OR_RETURN(Tensor b, slice_last_dim(*bv.constant, offset, sizes[i]));
      Value bslice;
      bslice.name = bv.name + suffix;
      bslice.dtype = bv.dtype;
      bslice.shape.emplace();
      for (int64_t d : b.shape()) bslice.shape->push_back(Dim{d, {}});
      bslice.constant = std::move(b);
      s.inputs[2] = g.add_value(std::move(bslice));
    }
    // Output slice.
    Value part;
    part.name = g.values[out_id].name + suffix;
    part.dtype = g.values[out_id].dtype;
    std::vector<Dim> dims = *g.values[out_id].shape;  // rank checked by plan_split
    dims[static_cast<size_t>(p.axis)] = Dim{sizes[i], {}};
    part.shape = std::move(dims);
    const ValueId part_id = g.add_value(std::move(part));
    s.outputs = {part_id};
    parts.push_back(part_id);
    out_nodes.push_back(std::move(s));
    offset += sizes[i];
  }
  Node concat;
  concat.name = n.name + "/concat";
  concat.op_type = "Concat";
  concat.domain = n.domain;
  concat.opset = n.opset;
  concat.inputs = parts;
  concat.outputs = {out_id};
  Attribute axis;
  axis.name = "axis";
  axis.kind = Attribute::Kind::kInt;
  axis.i = p.axis;
  concat.attributes.push_back(std::move(axis));
  out_nodes.push_back(std::move(concat));
  return {};
}

Result<Graph> rewrite(const Graph& graph, const std::vector<NodeId>& targets, int slices) {
  Graph g = graph;
  std::vector<SplitPlan> plans(graph.nodes.size());
  std::vector<bool> split(graph.nodes.size(), false);
  for (NodeId id : targets) {
    BRAID_ASSIGN_OR_RETURN(plans[id], plan_split(graph, id, slices));
    split[id] = true;
  }
  std::vector<Node> nodes;
  nodes.reserve(graph.nodes.size() + targets.size() * (slices + 1));
  for (NodeId id = 0; id < graph.nodes.size(); ++id) {
    if (!split[id]) nodes.push_back(graph.nodes[id]);
    else BRAID_RETURN_IF_ERROR(emit_split(g, graph.nodes[id], plans[id], slices, nodes));
  }
  g.nodes = std::move(nodes);
  BRAID_RETURN_IF_ERROR(g.finalize());
  return g;
}

}  // namespace

std::vector<int64_t> slice_sizes(int64_t size, int slices) {
  std::vector<int64_t> out;
  if (slices < 1 || size < 1) return out;
  const int64_t align = size >= 16 * static_cast<int64_t>(slices) ? 16 : 1;
  const int64_t units = size / align, rem = size % align;
  for (int i = 0; i < slices; ++i) out.push_back((units / slices + (i < units % slices ? 1 : 0)) * align);
  out.back() += rem;
  out.erase(std::remove(out.begin(), out.end(), 0), out.end());
  return out;
}

std::string split_blocker(const Graph& graph, NodeId n, int slices) {
  Result<SplitPlan> p = plan_split(graph, n, slices);
  return p.ok() ? std::string() : p.status().message();
}

Result<Graph> split_op(const Graph& graph, NodeId n, int slices) { return rewrite(graph, {n}, slices); }

Result<Graph> split_heavy_ops(const Graph& graph, const SplitOptions& options, std::vector<std::string>* split_nodes) {
  if (options.slices < 2) return invalid_argument("split_heavy_ops: slices must be >= 2");
  const std::vector<Cost> costs = estimate_node_costs(graph, options.shapes);
  double total = 0;
  for (const Cost& c : costs) total += c.flops;
  std::vector<NodeId> targets;
  for (NodeId n = 0; n < graph.nodes.size(); ++n) {
    const double f = costs[n].flops;
    if (f < options.min_flops || f < options.min_flops_fraction * total) continue;
    if (!plan_split(graph, n, options.slices).ok()) continue;
    targets.push_back(n);
    if (split_nodes != nullptr) split_nodes->push_back(graph.nodes[n].name);
  }
  return rewrite(graph, targets, options.slices);
}

}  // namespace braid::detail
