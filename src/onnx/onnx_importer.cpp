#include "onnx/onnx_importer.h"

#include <filesystem>
#include <fstream>
#include <unordered_map>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include "core/log.h"
#include "onnx/tensor_proto.h"

// Exported by libonnx 1.12 but not declared in its header: the checker with a context, so
// that external data is looked up beside the model instead of in the working directory.
namespace onnx::checker {
void check_model(const ModelProto& model, CheckerContext& ctx);
}  // namespace onnx::checker

namespace braid::detail {
namespace {

struct Importer {
  std::string model_name;  // for messages
  std::string model_dir;
  std::unordered_map<std::string, int> opsets;
  Graph graph;
  std::unordered_map<std::string, ValueId> by_name;

  Status fail(StatusCode code, const std::string& m) const { return {code, model_name + ": " + m}; }

  ValueId value_named(const std::string& name) {
    auto it = by_name.find(name);
    if (it != by_name.end()) return it->second;
    Value v;
    v.name = name;
    ValueId id = graph.add_value(std::move(v));
    by_name.emplace(name, id);
    return id;
  }

  // Sequence, map and optional values are not supported: Braid runs tensors only.
  Status check_tensor_type(const std::string& what, const onnx::ValueInfoProto& vi) const {
    if (!vi.has_type() || vi.type().has_tensor_type()) return {};
    return fail(StatusCode::kUnsupportedOp, what + " '" + vi.name() +
                                                "' is not a tensor (sequence, map and optional values are not supported)");
  }

  void apply_type(Value& v, const onnx::TypeProto& type) {
    if (!type.has_tensor_type()) return;
    const auto& tt = type.tensor_type();
    if (tt.elem_type() != 0) v.dtype = static_cast<DataType>(tt.elem_type());
    if (!tt.has_shape()) return;
    std::vector<Dim> dims;
    for (const auto& d : tt.shape().dim()) {
      Dim dim;
      if (d.has_dim_value() && d.dim_value() >= 0) dim.value = d.dim_value();
      else if (d.has_dim_param()) dim.symbol = d.dim_param();
      dims.push_back(std::move(dim));
    }
    v.shape = std::move(dims);
  }

  Status convert_attribute(const onnx::AttributeProto& a, const Node& node, Attribute& out) {
    out.name = a.name();
    using AP = onnx::AttributeProto;
    switch (a.type()) {
      case AP::FLOAT: out.kind = Attribute::Kind::kFloat; out.f = a.f(); break;
      case AP::INT: out.kind = Attribute::Kind::kInt; out.i = a.i(); break;
      case AP::STRING: out.kind = Attribute::Kind::kString; out.s = a.s(); break;
      case AP::FLOATS: out.kind = Attribute::Kind::kFloats; out.floats.assign(a.floats().begin(), a.floats().end()); break;
      case AP::INTS: out.kind = Attribute::Kind::kInts; out.ints.assign(a.ints().begin(), a.ints().end()); break;
      case AP::STRINGS: out.kind = Attribute::Kind::kStrings; out.strings.assign(a.strings().begin(), a.strings().end()); break;
      case AP::TENSOR: {
        out.kind = Attribute::Kind::kTensor;
        auto t = tensor_from_proto(a.t(), model_dir);
        if (!t.ok()) return t.status().with_context(model_name + ": " + node.describe() + " attribute '" + a.name() + "'");
        out.t = std::move(t).value();
        break;
      }
      case AP::GRAPH: case AP::GRAPHS:
        out.kind = Attribute::Kind::kGraph;  // control-flow bodies: kept by name only
        break;
      default:
        return fail(StatusCode::kUnsupportedOp, node.describe() + ": attribute '" + a.name() +
                                                    "' has an unsupported type " + std::to_string(a.type()));
    }
    return {};
  }

  // Constant nodes become constant values (no kernel runs for them).
  Status fold_constant(const onnx::NodeProto& np, const Node& node) {
    if (np.output_size() != 1) return fail(StatusCode::kInvalidArgument, node.describe() + ": Constant needs one output");
    if (np.attribute_size() != 1)
      return fail(StatusCode::kInvalidArgument, node.describe() + ": Constant needs exactly one value attribute");
    Attribute a;
    BRAID_RETURN_IF_ERROR(convert_attribute(np.attribute(0), node, a));
    Result<Tensor> t = internal_error("unset");
    if (a.name == "value" && a.kind == Attribute::Kind::kTensor) t = a.t;
    else if (a.name == "value_float") t = Tensor::from_vector<float>({}, {a.f});
    else if (a.name == "value_floats") t = Tensor::from_vector<float>({static_cast<int64_t>(a.floats.size())}, a.floats);
    else if (a.name == "value_int") t = Tensor::from_vector<int64_t>({}, {a.i});
    else if (a.name == "value_ints") t = Tensor::from_vector<int64_t>({static_cast<int64_t>(a.ints.size())}, a.ints);
    else
      return fail(StatusCode::kUnsupportedOp, node.describe() + ": Constant attribute '" + a.name + "' is not supported");
    if (!t.ok()) return t.status();
    ValueId id = value_named(np.output(0));
    Value& v = graph.values[id];
    if (v.constant || v.producer != kNoNode)
      return fail(StatusCode::kInvalidArgument, "value '" + v.name + "' is defined twice");
    v.dtype = t->dtype();
    v.constant = std::move(t).value();
    return {};
  }

  Status build(onnx::ModelProto& model) {
    const onnx::GraphProto& g = model.graph();
    graph.name = g.name();
    if (static_cast<size_t>(g.node_size()) > kMaxNodes)
      return fail(StatusCode::kInvalidArgument, "graph has more than " + std::to_string(kMaxNodes) + " nodes");
    for (const auto& init : g.initializer()) {
      auto t = tensor_from_proto(init, model_dir);
      if (!t.ok()) return t.status().with_context(model_name + ": initializer");
      ValueId id = value_named(init.name());
      Value& v = graph.values[id];
      if (v.constant) return fail(StatusCode::kInvalidArgument, "initializer '" + init.name() + "' is defined twice");
      v.dtype = t->dtype();
      v.constant = std::move(t).value();
    }
    for (const auto& in : g.input()) {
      ValueId id = value_named(in.name());
      Value& v = graph.values[id];
      // IR < 4 lists initializers as inputs too: they stay constants, not required inputs.
      if (v.constant) continue;
      BRAID_RETURN_IF_ERROR(check_tensor_type("graph input", in));
      apply_type(v, in.type());
      graph.inputs.push_back(id);
    }
    for (const auto& vi : g.value_info()) {
      auto it = by_name.find(vi.name());
      ValueId id = it == by_name.end() ? value_named(vi.name()) : it->second;
      if (!graph.values[id].constant) apply_type(graph.values[id], vi.type());
    }
    for (const auto& np : g.node()) {
      Node node;
      node.name = np.name().empty() ? (np.output_size() ? np.output(0) : std::string("?")) : np.name();
      node.op_type = np.op_type();
      node.domain = np.domain() == "ai.onnx" ? "" : np.domain();
      auto op = opsets.find(node.domain);
      if (op == opsets.end())
        return fail(StatusCode::kInvalidArgument, node.describe() + ": domain '" + node.domain + "' is not imported");
      node.opset = op->second;
      if (node.domain.empty() && node.op_type == "Constant") {
        BRAID_RETURN_IF_ERROR(fold_constant(np, node));
        continue;
      }
      for (const auto& a : np.attribute()) {
        Attribute attr;
        BRAID_RETURN_IF_ERROR(convert_attribute(a, node, attr));
        node.attributes.push_back(std::move(attr));
      }
      for (const auto& in : np.input()) {
        if (in.empty()) { node.inputs.push_back(kNoValue); continue; }
        auto it = by_name.find(in);
        if (it == by_name.end()) {
          // May be produced by a later node (the model is not sorted); created on demand
          // and checked after all nodes are read.
          node.inputs.push_back(value_named(in));
        } else {
          node.inputs.push_back(it->second);
        }
      }
      for (const auto& out : np.output()) node.outputs.push_back(out.empty() ? kNoValue : value_named(out));
      graph.nodes.push_back(std::move(node));
    }
    for (const auto& out : g.output()) {
      auto it = by_name.find(out.name());
      if (it == by_name.end())
        return fail(StatusCode::kInvalidArgument, "graph output '" + out.name() + "' is never produced");
      BRAID_RETURN_IF_ERROR(check_tensor_type("graph output", out));
      Value& v = graph.values[it->second];
      apply_type(v, out.type());
      graph.outputs.push_back(it->second);
    }
    if (auto st = graph.finalize(); !st.ok()) return st.with_context(model_name);
    // Every consumed value must come from somewhere.
    std::vector<bool> is_input(graph.values.size(), false);
    for (ValueId id : graph.inputs) is_input[id] = true;
    for (const Node& n : graph.nodes)
      for (ValueId in : n.inputs)
        if (in != kNoValue && !is_input[in] && !graph.values[in].constant && graph.values[in].producer == kNoNode)
          return fail(StatusCode::kInvalidArgument, n.describe() + ": input '" + graph.values[in].name +
                                                        "' is not produced by any node, initializer or graph input");
    for (ValueId out : graph.outputs) {
      const Value& v = graph.values[out];
      if (!is_input[out] && !v.constant && v.producer == kNoNode)
        return fail(StatusCode::kInvalidArgument, "graph output '" + v.name + "' is never produced");
    }
    auto def = opsets.find("");
    graph.default_opset = def == opsets.end() ? 0 : def->second;
    return {};
  }
};

// Attributes that ONNX's own shape inference divides by (conv/pool output sizes by
// `strides`, DepthToSpace/SpaceToDepth by `blocksize`, Split by `num_outputs`) or that
// must be positive for any meaning (`dilations`, `kernel_shape`, `group`). libonnx does
// not check them first: a zero stride in a Conv raises SIGFPE inside
// onnx::convPoolShapeInference1 (found by fuzz_model_load). Checked for the default domain
// only (custom domains have no ONNX schema, hence no inference), in nested graphs too.
Status check_positive_attributes(const onnx::GraphProto& graph, const std::string& model_name, int depth = 0) {
  if (depth > 64) return {StatusCode::kInvalidArgument, model_name + ": graphs nested deeper than 64"};
  static const char* const kPositive[] = {"strides", "dilations", "kernel_shape", "blocksize", "group", "num_outputs"};
  for (const onnx::NodeProto& node : graph.node()) {
    if (!node.domain().empty() && node.domain() != "ai.onnx") continue;
    for (const onnx::AttributeProto& a : node.attribute()) {
      for (const onnx::GraphProto& g : a.graphs()) BRAID_RETURN_IF_ERROR(check_positive_attributes(g, model_name, depth + 1));
      if (a.has_g()) BRAID_RETURN_IF_ERROR(check_positive_attributes(a.g(), model_name, depth + 1));
      bool positive_only = false;
      for (const char* name : kPositive) positive_only = positive_only || a.name() == name;
      if (!positive_only) continue;
      bool ok = !a.has_i() || a.i() > 0;
      for (int64_t v : a.ints()) ok = ok && v > 0;
      if (!ok)
        return {StatusCode::kInvalidArgument, model_name + ": node '" + node.name() + "' (" + node.op_type() +
                                                  "): attribute '" + a.name() + "' must be positive"};
    }
  }
  return {};
}

}  // namespace

Result<Graph> import_onnx_model(const void* data, size_t size, const std::string& model_path) {
  Importer imp;
  imp.model_name = model_path.empty() ? std::string("<memory>") : model_path;
  if (!model_path.empty()) imp.model_dir = std::filesystem::path(model_path).parent_path().string();
  if (imp.model_dir.empty() && !model_path.empty()) imp.model_dir = ".";
  if (size > static_cast<size_t>(INT32_MAX))
    return imp.fail(StatusCode::kInvalidArgument, "model is larger than 2 GiB (use external data)");
  if (size == 0) return imp.fail(StatusCode::kInvalidArgument, "model is empty");

  onnx::ModelProto model;
  if (!model.ParseFromArray(data, static_cast<int>(size)))
    return imp.fail(StatusCode::kInvalidArgument, "not a valid ONNX model (protobuf parse failed: truncated or corrupt file)");
  if (!model.has_graph()) return imp.fail(StatusCode::kInvalidArgument, "model has no graph");

  for (const auto& op : model.opset_import()) {
    std::string domain = op.domain() == "ai.onnx" ? "" : op.domain();
    imp.opsets[domain] = static_cast<int>(op.version());
  }
  if (model.opset_import_size() == 0) imp.opsets[""] = 1;  // IR 1/2 default
  auto def = imp.opsets.find("");
  if (def != imp.opsets.end() && (def->second < kMinOpset || def->second > kMaxOpset))
    return imp.fail(StatusCode::kUnsupportedOp, "default-domain opset " + std::to_string(def->second) +
                                                    " is not supported (Braid supports " + std::to_string(kMinOpset) +
                                                    " to " + std::to_string(kMaxOpset) + ")");
  try {
    onnx::checker::CheckerContext ctx;
    ctx.set_ir_version(static_cast<int>(model.ir_version()));
    ctx.set_opset_imports(imp.opsets);
    ctx.set_model_dir(imp.model_dir);
    onnx::checker::check_model(model, ctx);
  } catch (const std::exception& e) {
    std::string what = e.what();
    // The checker cannot see custom domains' schemas; those are validated by their kernels.
    if (what.find("No Op registered") == std::string::npos &&
        what.find("No opset import for domain") == std::string::npos)
      return imp.fail(StatusCode::kInvalidArgument, std::string("onnx checker: ") + what);
  }
  BRAID_RETURN_IF_ERROR(check_positive_attributes(model.graph(), imp.model_name));
  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/false, /*strict=*/0, /*data_prop=*/false);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception& e) {
    log_warn("{}: onnx shape inference failed ({}); shapes resolve at run time", imp.model_name, e.what());
  }
  BRAID_RETURN_IF_ERROR(imp.build(model));
  return std::move(imp.graph);
}

Result<Graph> import_onnx_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return invalid_argument(path + ": not a readable model file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid_argument(path + ": cannot open model file");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return import_onnx_model(bytes.data(), bytes.size(), path);
}

}  // namespace braid::detail
