#include "partition/shape_resolver.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string_view>

namespace braid::detail {
namespace {

int64_t attr_i(const Node& n, std::string_view name, int64_t def) {
  const Attribute* a = n.find_attribute(name);
  return a != nullptr && a->kind == Attribute::Kind::kInt ? a->i : def;
}

std::optional<std::vector<int64_t>> attr_is(const Node& n, std::string_view name) {
  const Attribute* a = n.find_attribute(name);
  if (a == nullptr || a->kind != Attribute::Kind::kInts) return std::nullopt;
  return a->ints;
}

std::optional<std::vector<float>> attr_fs(const Node& n, std::string_view name) {
  const Attribute* a = n.find_attribute(name);
  if (a == nullptr || a->kind != Attribute::Kind::kFloats) return std::nullopt;
  return a->floats;
}

std::string attr_s(const Node& n, std::string_view name) {
  const Attribute* a = n.find_attribute(name);
  return a != nullptr && a->kind == Attribute::Kind::kString ? a->s : std::string();
}

const Tensor* constant_input(const Graph& g, const Node& n, size_t i) {
  if (i >= n.inputs.size() || n.inputs[i] == kNoValue) return nullptr;
  const Value& v = g.values[n.inputs[i]];
  return v.constant ? &*v.constant : nullptr;
}

std::optional<std::vector<int64_t>> const_ints(const Graph& g, const Node& n, size_t i) {
  const Tensor* t = constant_input(g, n, i);
  if (t == nullptr) return std::nullopt;
  std::vector<int64_t> out(static_cast<size_t>(t->numel()));
  if (t->dtype() == DataType::kInt64) {
    for (size_t k = 0; k < out.size(); ++k) out[k] = t->data<int64_t>()[k];
  } else if (t->dtype() == DataType::kInt32) {
    for (size_t k = 0; k < out.size(); ++k) out[k] = t->data<int32_t>()[k];
  } else {
    return std::nullopt;
  }
  return out;
}

std::optional<std::vector<float>> const_floats(const Graph& g, const Node& n, size_t i) {
  const Tensor* t = constant_input(g, n, i);
  if (t == nullptr || t->dtype() != DataType::kFloat32) return std::nullopt;
  return std::vector<float>(t->data<float>(), t->data<float>() + t->numel());
}

bool has_input(const Node& n, size_t i) { return i < n.inputs.size() && n.inputs[i] != kNoValue; }

int64_t norm_axis(int64_t axis, size_t rank) {
  return axis < 0 ? axis + static_cast<int64_t>(rank) : axis;
}

std::optional<Shape> broadcast(const std::vector<const Shape*>& shapes) {
  size_t rank = 0;
  for (const Shape* s : shapes) rank = std::max(rank, s->size());
  Shape out(rank, 1);
  for (const Shape* s : shapes) {
    const size_t off = rank - s->size();
    for (size_t d = 0; d < s->size(); ++d) {
      const int64_t v = (*s)[d];
      if (v == 1) continue;
      if (out[off + d] == 1) out[off + d] = v;
      else if (v != out[off + d]) return std::nullopt;
    }
  }
  return out;
}

// Output spatial size of a convolution or pooling window.
int64_t window_out(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe,
                   const std::string& auto_pad, bool ceil_mode) {
  if (s <= 0) s = 1;
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") return (in + s - 1) / s;
  const int64_t eff = (k - 1) * d + 1;
  const int64_t span = auto_pad == "VALID" ? in - eff : in + pb + pe - eff;
  if (span < 0) return 0;
  return (ceil_mode ? (span + s - 1) / s : span / s) + 1;
}

std::optional<Shape> windowed(const Node& n, const Shape& x, const std::vector<int64_t>& kernel,
                              int64_t channels) {
  if (x.size() < 2 || kernel.size() != x.size() - 2) return std::nullopt;
  const size_t sp = kernel.size();
  std::vector<int64_t> strides = attr_is(n, "strides").value_or(std::vector<int64_t>(sp, 1));
  std::vector<int64_t> dil = attr_is(n, "dilations").value_or(std::vector<int64_t>(sp, 1));
  std::vector<int64_t> pads = attr_is(n, "pads").value_or(std::vector<int64_t>(2 * sp, 0));
  if (strides.size() != sp || dil.size() != sp || pads.size() != 2 * sp) return std::nullopt;
  const std::string auto_pad = attr_s(n, "auto_pad");
  const bool ceil_mode = attr_i(n, "ceil_mode", 0) != 0;
  Shape out{x[0], channels};
  for (size_t i = 0; i < sp; ++i)
    out.push_back(window_out(x[2 + i], kernel[i], strides[i], dil[i], pads[i], pads[sp + i], auto_pad, ceil_mode));
  return out;
}

bool is_unary(std::string_view op) {
  static constexpr std::string_view kOps[] = {
      "Relu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Neg", "Abs", "Erf", "Clip", "LeakyRelu",
      "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Gelu", "Cast", "Identity", "Dropout",
      "BatchNormalization", "LRN", "InstanceNormalization", "LayerNormalization", "Softmax",
      "LogSoftmax", "Hardmax", "Not", "Floor", "Ceil", "Round", "Reciprocal", "Sign", "Sin", "Cos",
      "Mish", "Elu", "Selu", "Celu", "ThresholdedRelu", "Shrink", "IsNaN", "IsInf", "CumSum",
      "QuantizeLinear", "DequantizeLinear", "Trilu", "Swish"};
  return std::find(std::begin(kOps), std::end(kOps), op) != std::end(kOps);
}

bool is_broadcast(std::string_view op) {
  static constexpr std::string_view kOps[] = {
      "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Equal", "Less", "Greater",
      "LessOrEqual", "GreaterOrEqual", "Where", "And", "Or", "Xor", "Mod", "PRelu", "BitShift"};
  return std::find(std::begin(kOps), std::end(kOps), op) != std::end(kOps);
}

// The inferred shapes of node `n`'s outputs (empty optional: no rule or not inferable).
std::vector<std::optional<Shape>> infer(const Graph& g, const Node& n, const std::vector<Shape>& shapes) {
  std::vector<std::optional<Shape>> out(n.outputs.size());
  auto in = [&](size_t i) -> const Shape* { return has_input(n, i) ? &shapes[n.inputs[i]] : nullptr; };
  const std::string& op = n.op_type;
  if (!n.domain.empty() && n.domain != "ai.onnx") return out;
  const Shape* x = in(0);

  if (is_unary(op)) {
    if (x) for (auto& o : out) o = *x;
    return out;
  }
  if (is_broadcast(op)) {
    std::vector<const Shape*> all;
    for (size_t i = 0; i < n.inputs.size(); ++i)
      if (in(i)) all.push_back(in(i));
    if (!all.empty()) out[0] = broadcast(all);
    return out;
  }
  if (x == nullptr) return out;
  const size_t rank = x->size();

  if (op == "Conv") {
    const Shape* w = in(1);
    if (w == nullptr || w->size() != rank || rank < 3) return out;
    std::vector<int64_t> k(w->begin() + 2, w->end());
    out[0] = windowed(n, *x, attr_is(n, "kernel_shape").value_or(k), (*w)[0]);
  } else if (op == "ConvTranspose") {
    const Shape* w = in(1);
    if (w == nullptr || w->size() != rank || rank < 3) return out;
    const size_t sp = rank - 2;
    std::vector<int64_t> k = attr_is(n, "kernel_shape").value_or(std::vector<int64_t>(w->begin() + 2, w->end()));
    std::vector<int64_t> s = attr_is(n, "strides").value_or(std::vector<int64_t>(sp, 1));
    std::vector<int64_t> d = attr_is(n, "dilations").value_or(std::vector<int64_t>(sp, 1));
    std::vector<int64_t> p = attr_is(n, "pads").value_or(std::vector<int64_t>(2 * sp, 0));
    std::vector<int64_t> op_pad = attr_is(n, "output_padding").value_or(std::vector<int64_t>(sp, 0));
    auto explicit_shape = attr_is(n, "output_shape");
    if (k.size() != sp || s.size() != sp || d.size() != sp || p.size() != 2 * sp || op_pad.size() != sp) return out;
    Shape o{(*x)[0], (*w)[1] * attr_i(n, "group", 1)};
    for (size_t i = 0; i < sp; ++i) {
      if (explicit_shape && explicit_shape->size() == sp) o.push_back((*explicit_shape)[i]);
      else o.push_back(s[i] * ((*x)[2 + i] - 1) + op_pad[i] + (k[i] - 1) * d[i] + 1 - p[i] - p[sp + i]);
    }
    out[0] = o;
  } else if (op == "MaxPool" || op == "AveragePool" || op == "LpPool") {
    auto k = attr_is(n, "kernel_shape");
    if (!k || rank < 3) return out;
    for (auto& o : out) o = windowed(n, *x, *k, (*x)[1]);
  } else if (op == "GlobalAveragePool" || op == "GlobalMaxPool" || op == "GlobalLpPool") {
    Shape o = *x;
    for (size_t i = 2; i < o.size(); ++i) o[i] = 1;
    out[0] = o;
  } else if (op == "MatMul" || op == "MatMulInteger") {
    const Shape* b = in(1);
    if (b == nullptr || rank == 0 || b->empty()) return out;
    Shape a2 = rank == 1 ? Shape{1, (*x)[0]} : *x;
    Shape b2 = b->size() == 1 ? Shape{(*b)[0], 1} : *b;
    Shape ab(a2.begin(), a2.end() - 2), bb(b2.begin(), b2.end() - 2);
    auto batch = broadcast({&ab, &bb});
    if (!batch) return out;
    Shape o = *batch;
    if (rank != 1) o.push_back(a2[a2.size() - 2]);
    if (b->size() != 1) o.push_back(b2.back());
    out[0] = o;
  } else if (op == "Gemm") {
    const Shape* b = in(1);
    if (b == nullptr || rank != 2 || b->size() != 2) return out;
    const int64_t m = attr_i(n, "transA", 0) ? (*x)[1] : (*x)[0];
    const int64_t nn = attr_i(n, "transB", 0) ? (*b)[0] : (*b)[1];
    out[0] = Shape{m, nn};
  } else if (op == "Concat") {
    const int64_t axis = norm_axis(attr_i(n, "axis", 0), rank);
    if (axis < 0 || axis >= static_cast<int64_t>(rank)) return out;
    Shape o = *x;
    o[axis] = 0;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const Shape* s = in(i);
      if (s == nullptr || s->size() != rank) return out;
      o[axis] += (*s)[axis];
    }
    out[0] = o;
  } else if (op == "Transpose") {
    std::vector<int64_t> perm = attr_is(n, "perm").value_or(std::vector<int64_t>{});
    if (perm.empty())
      for (size_t i = 0; i < rank; ++i) perm.push_back(static_cast<int64_t>(rank - 1 - i));
    if (perm.size() != rank) return out;
    Shape o(rank);
    for (size_t i = 0; i < rank; ++i) {
      if (perm[i] < 0 || perm[i] >= static_cast<int64_t>(rank)) return out;
      o[i] = (*x)[perm[i]];
    }
    out[0] = o;
  } else if (op == "Flatten") {
    const int64_t axis = norm_axis(attr_i(n, "axis", 1), rank);
    if (axis < 0 || axis > static_cast<int64_t>(rank)) return out;
    int64_t a = 1, b = 1;
    for (size_t i = 0; i < rank; ++i) (static_cast<int64_t>(i) < axis ? a : b) *= (*x)[i];
    out[0] = Shape{a, b};
  } else if (op == "Reshape") {
    auto target = const_ints(g, n, 1);
    if (!target) target = attr_is(n, "shape");
    if (!target) return out;
    const bool allow_zero = attr_i(n, "allowzero", 0) != 0;
    Shape o = *target;
    int64_t known = 1, infer_at = -1;
    for (size_t i = 0; i < o.size(); ++i) {
      if (o[i] == 0 && !allow_zero) o[i] = i < rank ? (*x)[i] : 1;
      if (o[i] == -1) infer_at = static_cast<int64_t>(i);
      else known *= o[i];
    }
    if (infer_at >= 0) o[infer_at] = known > 0 ? static_cast<int64_t>(shape_numel(*x)) / known : 0;
    out[0] = o;
  } else if (op == "Squeeze" || op == "Unsqueeze") {
    auto axes = n.opset >= 13 ? const_ints(g, n, 1) : attr_is(n, "axes");
    if (op == "Squeeze") {
      Shape o;
      for (size_t i = 0; i < rank; ++i) {
        bool drop = false;
        if (axes) {
          for (int64_t a : *axes) drop = drop || norm_axis(a, rank) == static_cast<int64_t>(i);
        } else {
          drop = (*x)[i] == 1;
        }
        if (!drop) o.push_back((*x)[i]);
      }
      out[0] = o;
    } else {
      if (!axes) return out;
      const size_t out_rank = rank + axes->size();
      std::vector<bool> inserted(out_rank, false);
      for (int64_t a : *axes) {
        const int64_t ax = norm_axis(a, out_rank);
        if (ax < 0 || ax >= static_cast<int64_t>(out_rank)) return out;
        inserted[ax] = true;
      }
      Shape o;
      size_t src = 0;
      for (size_t i = 0; i < out_rank; ++i) o.push_back(inserted[i] ? 1 : (src < rank ? (*x)[src++] : 1));
      out[0] = o;
    }
  } else if (op == "Resize" || op == "Upsample") {
    std::optional<std::vector<float>> scales;
    std::optional<std::vector<int64_t>> sizes;
    if (op == "Upsample") {
      scales = n.opset >= 9 ? const_floats(g, n, 1) : attr_fs(n, "scales");
    } else if (n.opset == 10) {
      scales = const_floats(g, n, 1);
    } else {
      scales = const_floats(g, n, 2);
      sizes = const_ints(g, n, 3);
    }
    if (sizes && sizes->size() == rank) {
      out[0] = *sizes;
    } else if (scales && scales->size() == rank) {
      Shape o(rank);
      for (size_t i = 0; i < rank; ++i) o[i] = static_cast<int64_t>(std::floor((*x)[i] * (*scales)[i]));
      out[0] = o;
    }
  } else if (op.rfind("Reduce", 0) == 0 || op == "ArgMax" || op == "ArgMin") {
    std::optional<std::vector<int64_t>> axes;
    if (op == "ArgMax" || op == "ArgMin") axes = std::vector<int64_t>{attr_i(n, "axis", 0)};
    else if (has_input(n, 1)) axes = const_ints(g, n, 1);
    else axes = attr_is(n, "axes");
    if (has_input(n, 1) && !axes) return out;
    const bool keep = attr_i(n, "keepdims", 1) != 0;
    Shape o;
    for (size_t i = 0; i < rank; ++i) {
      bool reduced = !axes || axes->empty();
      if (axes) for (int64_t a : *axes) reduced = reduced || norm_axis(a, rank) == static_cast<int64_t>(i);
      if (!reduced) o.push_back((*x)[i]);
      else if (keep) o.push_back(1);
    }
    out[0] = o;
  } else if (op == "Shape") {
    out[0] = Shape{static_cast<int64_t>(rank)};
  } else if (op == "Size") {
    out[0] = Shape{};
  } else if (op == "Gather") {
    const Shape* idx = in(1);
    const int64_t axis = norm_axis(attr_i(n, "axis", 0), rank);
    if (idx == nullptr || axis < 0 || axis >= static_cast<int64_t>(rank)) return out;
    Shape o(x->begin(), x->begin() + axis);
    o.insert(o.end(), idx->begin(), idx->end());
    o.insert(o.end(), x->begin() + axis + 1, x->end());
    out[0] = o;
  } else if (op == "Slice") {
    std::optional<std::vector<int64_t>> starts, ends, axes, steps;
    if (n.opset >= 10) {
      starts = const_ints(g, n, 1);
      ends = const_ints(g, n, 2);
      axes = has_input(n, 3) ? const_ints(g, n, 3) : std::nullopt;
      steps = has_input(n, 4) ? const_ints(g, n, 4) : std::nullopt;
      if ((has_input(n, 3) && !axes) || (has_input(n, 4) && !steps)) return out;
    } else {
      starts = attr_is(n, "starts");
      ends = attr_is(n, "ends");
      axes = attr_is(n, "axes");
    }
    if (!starts || !ends || starts->size() != ends->size()) return out;
    Shape o = *x;
    for (size_t i = 0; i < starts->size(); ++i) {
      const int64_t axis = norm_axis(axes && i < axes->size() ? (*axes)[i] : static_cast<int64_t>(i), rank);
      if (axis < 0 || axis >= static_cast<int64_t>(rank)) return out;
      const int64_t dim = (*x)[axis];
      const int64_t step = steps && i < steps->size() ? (*steps)[i] : 1;
      if (step == 0) return out;
      auto clampi = [&](int64_t v, int64_t lo, int64_t hi) {
        if (v < 0) v += dim;
        return std::clamp(v, lo, hi);
      };
      int64_t b, e;
      if (step > 0) {
        b = clampi((*starts)[i], 0, dim);
        e = clampi((*ends)[i], 0, dim);
        o[axis] = e > b ? (e - b + step - 1) / step : 0;
      } else {
        b = clampi((*starts)[i], -1, dim - 1);
        e = clampi((*ends)[i], -1, dim - 1);
        o[axis] = b > e ? (b - e - step - 1) / -step : 0;
      }
    }
    out[0] = o;
  } else if (op == "Split") {
    const int64_t axis = norm_axis(attr_i(n, "axis", 0), rank);
    if (axis < 0 || axis >= static_cast<int64_t>(rank)) return out;
    auto split = n.opset >= 13 ? (has_input(n, 1) ? const_ints(g, n, 1) : std::nullopt) : attr_is(n, "split");
    const size_t k = n.outputs.size();
    for (size_t i = 0; i < k; ++i) {
      Shape o = *x;
      if (split && split->size() == k) o[axis] = (*split)[i];
      else o[axis] = ((*x)[axis] + static_cast<int64_t>(k) - 1) / static_cast<int64_t>(k);
      out[i] = o;
    }
  } else if (op == "Pad") {
    auto pads = n.opset >= 11 ? const_ints(g, n, 1) : attr_is(n, "pads");
    if (!pads || pads->size() != 2 * rank) return out;
    Shape o = *x;
    for (size_t i = 0; i < rank; ++i) o[i] += (*pads)[i] + (*pads)[rank + i];
    out[0] = o;
  } else if (op == "Expand") {
    auto target = const_ints(g, n, 1);
    if (!target) return out;
    Shape t = *target;
    out[0] = broadcast({x, &t});
  } else if (op == "Tile") {
    auto reps = const_ints(g, n, 1);
    if (!reps || reps->size() != rank) return out;
    Shape o = *x;
    for (size_t i = 0; i < rank; ++i) o[i] *= (*reps)[i];
    out[0] = o;
  } else if (op == "DepthToSpace" || op == "SpaceToDepth") {
    const int64_t b = attr_i(n, "blocksize", 1);
    if (rank != 4 || b <= 0) return out;
    out[0] = op == "DepthToSpace" ? Shape{(*x)[0], (*x)[1] / (b * b), (*x)[2] * b, (*x)[3] * b}
                                  : Shape{(*x)[0], (*x)[1] * b * b, (*x)[2] / b, (*x)[3] / b};
  } else if (op == "LSTM" || op == "GRU" || op == "RNN") {
    const int64_t hidden = attr_i(n, "hidden_size", 0);
    const int64_t dirs = attr_s(n, "direction") == "bidirectional" ? 2 : 1;
    if (rank != 3 || hidden <= 0) return out;
    const bool batch_first = attr_i(n, "layout", 0) != 0;
    const int64_t seq = batch_first ? (*x)[1] : (*x)[0];
    const int64_t batch = batch_first ? (*x)[0] : (*x)[1];
    if (!out.empty()) out[0] = batch_first ? Shape{batch, seq, dirs, hidden} : Shape{seq, dirs, batch, hidden};
    for (size_t i = 1; i < out.size(); ++i) out[i] = batch_first ? Shape{batch, dirs, hidden} : Shape{dirs, batch, hidden};
  }
  return out;
}

// The declared shape with bound symbols substituted; unknown dims become `fallback` or 1.
Shape substitute(const std::vector<Dim>& dims, const ShapeBindings& b, const std::optional<Shape>& fallback) {
  Shape s(dims.size(), 1);
  const bool use_fallback = fallback && fallback->size() == dims.size();
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i].known()) {
      s[i] = dims[i].value;
      continue;
    }
    if (!dims[i].symbol.empty()) {
      auto it = b.symbols.find(dims[i].symbol);
      if (it != b.symbols.end()) {
        s[i] = it->second;
        continue;
      }
    }
    if (use_fallback && (*fallback)[i] >= 0) s[i] = (*fallback)[i];
  }
  return s;
}

bool fully_known(const Value& v) {
  if (!v.shape) return false;
  for (const Dim& d : *v.shape)
    if (!d.known()) return false;
  return true;
}

}  // namespace

double shape_numel(const Shape& shape) noexcept {
  double n = 1;
  for (int64_t d : shape) n *= static_cast<double>(std::max<int64_t>(d, 0));
  return n;
}

Result<ShapeBindings> bind_input_shapes(const Graph& graph,
                                        const std::vector<std::pair<std::string, Shape>>& inputs) {
  ShapeBindings b;
  for (const auto& [name, shape] : inputs) {
    ValueId id = kNoValue;
    for (ValueId v : graph.inputs)
      if (graph.values[v].name == name) id = v;
    if (id == kNoValue) return invalid_argument("bind_input_shapes: '" + name + "' is not an input of the graph");
    const Value& v = graph.values[id];
    if (v.shape) {
      if (v.shape->size() != shape.size())
        return invalid_argument("bind_input_shapes: input '" + name + "' has rank " + std::to_string(v.shape->size()) +
                                ", got shape " + shape_to_string(shape));
      for (size_t d = 0; d < shape.size(); ++d) {
        const Dim& dim = (*v.shape)[d];
        if (dim.known() && dim.value != shape[d])
          return invalid_argument("bind_input_shapes: input '" + name + "' dim " + std::to_string(d) + " must be " +
                                  std::to_string(dim.value) + ", got " + shape_to_string(shape));
        if (!dim.symbol.empty()) {
          auto [it, inserted] = b.symbols.emplace(dim.symbol, shape[d]);
          if (!inserted && it->second != shape[d])
            return invalid_argument("bind_input_shapes: symbol '" + dim.symbol + "' is bound to " +
                                    std::to_string(it->second) + " and " + std::to_string(shape[d]));
        }
      }
    }
    b.values[id] = shape;
  }
  return b;
}

std::vector<Shape> resolve_shapes(const Graph& graph, const ShapeBindings& bindings) {
  std::vector<Shape> shapes(graph.values.size());
  std::vector<bool> done(graph.values.size(), false);
  for (size_t v = 0; v < graph.values.size(); ++v) {
    const Value& val = graph.values[v];
    if (auto it = bindings.values.find(static_cast<ValueId>(v)); it != bindings.values.end()) {
      shapes[v] = it->second;
    } else if (val.constant) {
      shapes[v] = val.constant->shape();
    } else if (fully_known(val) || val.producer == kNoNode) {
      shapes[v] = val.shape ? substitute(*val.shape, bindings, std::nullopt) : Shape{};
    } else {
      continue;
    }
    done[v] = true;
  }
  for (const Node& node : graph.nodes) {
    bool pending = false;
    for (ValueId o : node.outputs) pending = pending || (o != kNoValue && !done[o]);
    if (!pending) continue;
    std::vector<std::optional<Shape>> inferred = infer(graph, node, shapes);
    // The largest input: the fallback shape for an output of unknown rank.
    const Shape* largest = nullptr;
    for (ValueId in : node.inputs)
      if (in != kNoValue && (largest == nullptr || shape_numel(shapes[in]) > shape_numel(*largest))) largest = &shapes[in];
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      const ValueId o = node.outputs[i];
      if (o == kNoValue || done[o]) continue;
      const Value& val = graph.values[o];
      std::optional<Shape> inf = i < inferred.size() ? inferred[i] : std::nullopt;
      if (inf) for (int64_t& d : *inf) d = std::max<int64_t>(d, 0);
      if (val.shape) shapes[o] = substitute(*val.shape, bindings, inf);
      else if (inf) shapes[o] = *inf;
      else shapes[o] = largest ? *largest : Shape{};
      done[o] = true;
    }
  }
  return shapes;
}

}  // namespace braid::detail
