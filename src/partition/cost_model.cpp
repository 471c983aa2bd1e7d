#include "partition/cost_model.h"

#include <algorithm>
#include <array>
#include <optional>

#include "kernels/custom_op_registry.h"

namespace braid::detail {
namespace {

int64_t attr_i(const Node& n, std::string_view name, int64_t def) {
  const Attribute* a = n.find_attribute(name);
  return a != nullptr && a->kind == Attribute::Kind::kInt ? a->i : def;
}

std::string attr_s(const Node& n, std::string_view name) {
  const Attribute* a = n.find_attribute(name);
  return a != nullptr && a->kind == Attribute::Kind::kString ? a->s : std::string();
}

template <size_t N>
bool one_of(std::string_view op, const std::array<std::string_view, N>& ops) {
  return std::find(ops.begin(), ops.end(), op) != ops.end();
}

// Ops whose kernels return a view of their input: no data moves.
constexpr std::array<std::string_view, 8> kZeroCopy = {"Reshape", "Flatten", "Squeeze", "Unsqueeze",
                                                       "Identity", "Dropout", "Shape", "Size"};
// Ops that only move data (no arithmetic).
constexpr std::array<std::string_view, 14> kDataMovement = {
    "Transpose", "Concat", "Split", "Slice", "Gather", "Pad", "Tile", "Expand", "Cast",
    "DepthToSpace", "SpaceToDepth", "GatherElements", "ConstantOfShape", "ScatterND"};
// Elementwise ops that cost several FLOPs per element (transcendentals).
constexpr std::array<std::string_view, 16> kTranscendental = {
    "Exp", "Log", "Tanh", "Sigmoid", "Erf", "Gelu", "Softplus", "Mish", "Elu", "Selu", "Sin", "Cos",
    "Pow", "HardSwish", "Celu", "Swish"};
// Ops with only a data read per output element (Gather/Slice read what they output).
constexpr std::array<std::string_view, 3> kReadsOutputOnly = {"Gather", "Slice", "GatherElements"};

// The GEMM core packs operands in cache blocks of at most this size (an L2-sized panel).
constexpr double kPackBlockBytes = 1 << 20;

bool is_float(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat16 || t == DataType::kBFloat16 || t == DataType::kFloat64;
}

}  // namespace

bool op_supports_precision(std::string_view op_type, Precision p) noexcept {
  if (p == Precision::kF32) return true;
  static constexpr std::array<std::string_view, 4> kLowPrecision = {"Conv", "MatMul", "Gemm", "ConvTranspose"};
  return one_of(op_type, kLowPrecision);
}

Cost estimate_node_cost(const Graph& graph, NodeId id, std::span<const Shape> shapes, Precision p) {
  const Node& n = graph.nodes[id];
  const std::string& op = n.op_type;
  Cost c;
  if (one_of(op, kZeroCopy)) return c;

  const bool low = p != Precision::kF32 && op_supports_precision(op, p);
  const double low_size = p == Precision::kBF16 ? 2.0 : 1.0;
  auto bytes_of = [&](ValueId v) {
    const Value& val = graph.values[v];
    const double elt = low && is_float(val.dtype) ? low_size : static_cast<double>(std::max<size_t>(dtype_size(val.dtype), 1));
    return shape_numel(shapes[v]) * elt;
  };
  auto numel = [&](size_t input) -> double {
    return input < n.inputs.size() && n.inputs[input] != kNoValue ? shape_numel(shapes[n.inputs[input]]) : 0.0;
  };
  auto in_shape = [&](size_t input) -> const Shape* {
    return input < n.inputs.size() && n.inputs[input] != kNoValue ? &shapes[n.inputs[input]] : nullptr;
  };

  double out_numel = 0;
  for (ValueId o : n.outputs)
    if (o != kNoValue) {
      c.bytes_written += bytes_of(o);
      out_numel += shape_numel(shapes[o]);
    }
  const double out0 = !n.outputs.empty() && n.outputs[0] != kNoValue ? shape_numel(shapes[n.outputs[0]]) : 0;
  if (one_of(op, kReadsOutputOnly)) {
    c.bytes_read = c.bytes_written;
    for (size_t i = 1; i < n.inputs.size(); ++i)
      if (n.inputs[i] != kNoValue) c.bytes_read += bytes_of(n.inputs[i]);
    return c;
  }
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const ValueId v = n.inputs[i];
    if (v == kNoValue) continue;
    bool repeated = false;  // Add(x, x) reads x once
    for (size_t j = 0; j < i; ++j) repeated = repeated || n.inputs[j] == v;
    if (!repeated) c.bytes_read += bytes_of(v);
  }
  const double elt = low ? low_size : 4.0;

  if (op == "Conv") {
    const Shape* w = in_shape(1);
    const Shape* x = in_shape(0);
    if (w != nullptr && !w->empty() && (*w)[0] > 0) {
      const double per_out = shape_numel(*w) / static_cast<double>((*w)[0]);  // C/g * prod(kernel)
      // A fused MaxPool (braid_fused_max_pool = [k, stride, pad], graph fusion): the
      // convolution computes about stride^2 outputs per pooled one.
      double conv_out = out0;
      if (const Attribute* pool = n.find_attribute("braid_fused_max_pool");
          pool != nullptr && pool->ints.size() == 3 && pool->ints[1] > 0)
        conv_out *= static_cast<double>(pool->ints[1] * pool->ints[1]);
      c.flops = 2.0 * conv_out * per_out + (numel(2) > 0 ? conv_out : 0);
      const int64_t group = attr_i(n, "group", 1);
      const bool depthwise = x != nullptr && x->size() > 1 && group > 1 && group == (*x)[1];
      bool pointwise = true;
      for (size_t d = 2; d < w->size(); ++d) pointwise = pointwise && (*w)[d] == 1;
      if (!depthwise && (!pointwise || attr_i(n, "group", 1) != 1) && n.outputs[0] != kNoValue) {
        const Shape& y = shapes[n.outputs[0]];
        double spatial = 1;
        for (size_t d = 2; d < y.size(); ++d) spatial *= static_cast<double>(y[d]);
        // Implicit im2col (kernels/ops/nn_conv.cpp): patches are packed block by block, so
        // the workspace is one cache block, not the whole im2col matrix.
        c.workspace_bytes = std::min(per_out * spatial * elt, kPackBlockBytes);
      }
    } else {
      c.flops = out0;
    }
  } else if (op == "ConvTranspose") {
    const Shape* w = in_shape(1);
    const Shape* x = in_shape(0);
    if (w != nullptr && !w->empty() && (*w)[0] > 0 && x != nullptr) {
      const double per_in = shape_numel(*w) / static_cast<double>((*w)[0]);
      c.flops = 2.0 * numel(0) * per_in + (numel(2) > 0 ? out0 : 0);
      double spatial = 1;
      for (size_t d = 2; d < x->size(); ++d) spatial *= static_cast<double>((*x)[d]);
      c.workspace_bytes = per_in * spatial * elt;  // col buffer (col2im)
    } else {
      c.flops = out0;
    }
  } else if (op == "MatMul" || op == "MatMulInteger") {
    const Shape* a = in_shape(0);
    const double k = a != nullptr && !a->empty() ? static_cast<double>(a->back()) : 1.0;
    c.flops = 2.0 * out0 * k;
    const ValueId b = n.inputs.size() > 1 ? n.inputs[1] : kNoValue;
    if (b != kNoValue && !graph.values[b].constant)
      c.workspace_bytes = std::min(bytes_of(b), kPackBlockBytes);  // B packed per run, block by block
  } else if (op == "Gemm") {
    const Shape* a = in_shape(0);
    double k = 1;
    if (a != nullptr && a->size() == 2) k = static_cast<double>(attr_i(n, "transA", 0) ? (*a)[0] : (*a)[1]);
    c.flops = 2.0 * out0 * k + (numel(2) > 0 ? out0 : 0);
    const ValueId b = n.inputs.size() > 1 ? n.inputs[1] : kNoValue;
    if (b != kNoValue && !graph.values[b].constant) c.workspace_bytes = std::min(bytes_of(b), kPackBlockBytes);
  } else if (op == "MaxPool" || op == "AveragePool" || op == "LpPool") {
    double window = 1;
    if (const Attribute* k = n.find_attribute("kernel_shape"))
      for (int64_t d : k->ints) window *= static_cast<double>(d);
    c.flops = out0 * window;
  } else if (op == "GlobalAveragePool" || op == "GlobalMaxPool" || op == "GlobalLpPool") {
    c.flops = numel(0);
  } else if (op == "Softmax" || op == "LogSoftmax") {
    c.flops = 5.0 * out0;
  } else if (op == "LayerNormalization") {
    c.flops = 8.0 * out0;
  } else if (op == "InstanceNormalization") {
    c.flops = 6.0 * out0;
  } else if (op == "BatchNormalization") {
    c.flops = 2.0 * out0;
  } else if (op == "LRN") {
    c.flops = (3.0 + static_cast<double>(attr_i(n, "size", 5))) * out0;
  } else if (op.rfind("Reduce", 0) == 0) {
    c.flops = (op == "ReduceL2" || op == "ReduceSumSquare" || op == "ReduceLogSumExp" ? 2.0 : 1.0) * numel(0);
  } else if (op == "Resize" || op == "Upsample") {
    const std::string mode = attr_s(n, "mode");
    c.flops = (mode == "linear" || mode == "bilinear" ? 8.0 : mode == "cubic" ? 32.0 : 1.0) * out0;
  } else if (op == "LSTM" || op == "GRU" || op == "RNN") {
    const Shape* x = in_shape(0);
    const double gates = op == "LSTM" ? 4 : op == "GRU" ? 3 : 1;
    double steps = 1;
    if (x != nullptr && x->size() == 3) steps = static_cast<double>((*x)[0]) * static_cast<double>((*x)[1]);
    const int64_t hidden = attr_i(n, "hidden_size", 1);
    const double dirs = attr_s(n, "direction") == "bidirectional" ? 2 : 1;
    c.flops = 2.0 * steps * (numel(1) + numel(2)) + 10.0 * steps * dirs * gates * static_cast<double>(hidden);
  } else if (one_of(op, kDataMovement)) {
    c.flops = 0;
  } else if (one_of(op, kTranscendental)) {
    c.flops = 8.0 * out0;
  } else if (auto custom = [&]() -> std::optional<double> {
               std::vector<Shape> in;
               for (ValueId v : n.inputs) in.push_back(v == kNoValue ? Shape{} : shapes[v]);
               return custom_op_flops(n.domain, op, n.opset, in);
             }()) {
    c.flops = *custom;  // a host's custom op with a cost function
  } else {
    c.flops = out_numel;  // default: one FLOP per output element
  }
  return c;
}

std::vector<Cost> estimate_node_costs(const Graph& graph, const ShapeBindings& bindings, Precision p) {
  const std::vector<Shape> shapes = resolve_shapes(graph, bindings);
  std::vector<Cost> costs(graph.nodes.size());
  for (NodeId n = 0; n < graph.nodes.size(); ++n) costs[n] = estimate_node_cost(graph, n, shapes, p);
  return costs;
}

double estimate_time_ns(const Cost& cost, const MachineBalance& balance, const CostModelOptions& options,
                        Precision p, int threads, int nodes) noexcept {
  static const MachineBalance nominal = nominal_machine_balance();
  const MachineBalance& m = balance.gflops_per_core > 0 && balance.gbps > 0 ? balance : nominal;
  const double t = std::max(1, threads);
  const double cores = m.cores > 0 ? std::min<double>(t, m.cores) : t;
  const double speed = p == Precision::kBF16 ? options.bf16_speedup : p == Precision::kInt8 ? options.int8_speedup : 1.0;
  const double gflops = m.gflops_per_core * std::max(options.compute_efficiency, 1e-3) * speed * cores;
  const double one = m.gbps_one_core > 0 ? m.gbps_one_core : m.gbps;
  const double gbps = std::min(one * cores, std::max(m.gbps, one));
  const double compute_ns = cost.flops / gflops;  // GFLOP/s == FLOP/ns
  const double memory_ns = cost.bytes() / gbps;   // GB/s == byte/ns
  return std::max(compute_ns, memory_ns) + options.node_overhead_ns * std::max(nodes, 0);
}

}  // namespace braid::detail
