// Tests of the model builder (tools/model_builder): GraphBuilder basics and the structure,
// weights and determinism of every workload.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model_builder/model_builder.h"
#include "model_builder/model_stats.h"
#include "model_builder/workloads.h"
#include "onnx/onnx_pb.h"

namespace braid::modelgen {
namespace {

std::map<std::string, int> op_counts(const onnx::ModelProto& m) {
  std::map<std::string, int> counts;
  for (const auto& n : m.graph().node()) ++counts[n.op_type()];
  return counts;
}

std::vector<const onnx::NodeProto*> nodes_of(const onnx::ModelProto& m, const std::string& op) {
  std::vector<const onnx::NodeProto*> out;
  for (const auto& n : m.graph().node()) {
    if (n.op_type() == op) out.push_back(&n);
  }
  return out;
}

const onnx::NodeProto* producer(const onnx::ModelProto& m, const std::string& value) {
  for (const auto& n : m.graph().node()) {
    for (const auto& o : n.output()) {
      if (o == value) return &n;
    }
  }
  return nullptr;
}

int consumers(const onnx::ModelProto& m, const std::string& value, const std::string& op) {
  int count = 0;
  for (const auto& n : m.graph().node()) {
    if (n.op_type() != op) continue;
    for (const auto& i : n.input()) count += (i == value);
  }
  return count;
}

std::vector<int64_t> dims_of(const onnx::ValueInfoProto& vi) {
  std::vector<int64_t> d;
  for (const auto& dim : vi.type().tensor_type().shape().dim()) d.push_back(dim.dim_value());
  return d;
}

int64_t attr_i(const onnx::NodeProto& n, const std::string& name, int64_t fallback) {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return a.i();
  }
  return fallback;
}

onnx::ModelProto build(const std::string& name) {
  std::string error;
  onnx::ModelProto m = make_workload(name, &error);
  EXPECT_TRUE(error.empty()) << name << ": " << error;
  return m;
}

// ------------------------------------------------------------------ every workload

class Workload : public ::testing::TestWithParam<std::string> {};

TEST_P(Workload, PassesCheckerWithDocumentedInterface) {
  const std::string name = GetParam();
  const WorkloadInfo* info = find_workload(name);
  ASSERT_NE(info, nullptr);
  const onnx::ModelProto m = build(name);
  ASSERT_TRUE(m.has_graph());
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).domain(), "");
  EXPECT_EQ(m.opset_import(0).version(), info->opset);
  EXPECT_EQ(m.ir_version(), 8);
  ASSERT_EQ(m.graph().input_size(), 1);
  ASSERT_EQ(m.graph().output_size(), 1);
  EXPECT_EQ(m.graph().input(0).name(), info->input_name);
  EXPECT_EQ(dims_of(m.graph().input(0)), info->input_dims);
  EXPECT_EQ(m.graph().input(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(m.graph().output(0).name(), info->output_name);
  EXPECT_EQ(dims_of(m.graph().output(0)), info->output_dims);
  EXPECT_EQ(m.graph().output(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  EXPECT_NE(producer(m, std::string(info->output_name)), nullptr);
}

TEST_P(Workload, WeightsAreNonZeroFiniteAndNormal) {
  const onnx::ModelProto m = build(GetParam());
  ASSERT_GT(m.graph().initializer_size(), 0);
  for (const auto& t : m.graph().initializer()) {
    ASSERT_EQ(t.data_type(), onnx::TensorProto::FLOAT) << t.name();
    int64_t numel = 1;
    for (int64_t d : t.dims()) numel *= d;
    ASSERT_EQ(t.raw_data().size(), static_cast<size_t>(numel) * sizeof(float)) << t.name();
    std::vector<float> v(static_cast<size_t>(numel));
    std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
    for (float x : v) {
      ASSERT_TRUE(std::isfinite(x)) << t.name();
      ASSERT_EQ(std::fpclassify(x), FP_NORMAL) << t.name() << " has a zero or denormal";
      ASSERT_GE(std::fabs(x), 1e-6f) << t.name();
    }
    // Weights are random: a tensor of several elements is not one repeated value.
    if (v.size() > 1) {
      const size_t n = std::min<size_t>(v.size(), 4096);
      EXPECT_GT(std::set<float>(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n)).size(), n / 2) << t.name();
    }
  }
}

TEST_P(Workload, TwoBuildsAreByteIdentical) {
  std::string e1;
  std::string e2;
  const std::string a = serialize_workload(GetParam(), &e1);
  const std::string b = serialize_workload(GetParam(), &e2);
  ASSERT_TRUE(e1.empty()) << e1;
  ASSERT_TRUE(e2.empty()) << e2;
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(a == b);
  // And the serialized form is the model make_workload returns.
  EXPECT_TRUE(serialize_model(build(GetParam())) == a);
}

std::vector<std::string> all_names() {
  std::vector<std::string> names;
  for (const auto& w : workloads()) names.emplace_back(w.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Modelgen, Workload, ::testing::ValuesIn(all_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// ------------------------------------------------------------------ per-workload structure
// Node counts and GFLOP are those of ../shared/tools/peer/make_models.py (RESULTS.md).

void expect_gflop(const onnx::ModelProto& m, double gflop) {
  const ModelStats s = model_stats(m);
  EXPECT_NEAR(s.mac_gflop, gflop, gflop * 0.002);
}

TEST(ModelgenWorkloads, BundledListIsTheFiveModels) {
  EXPECT_EQ(bundled_workload_names(),
            (std::vector<std::string>{"inception", "wide_mlp", "transformer", "resnet", "ensemble"}));
}

TEST(ModelgenWorkloads, InceptionHasNineFourBranchModules) {
  const onnx::ModelProto m = build("inception");
  EXPECT_EQ(m.graph().node_size(), 139);
  const auto ops = op_counts(m);
  EXPECT_EQ(ops.at("Conv"), 57);
  EXPECT_EQ(ops.at("Relu"), 57);
  EXPECT_EQ(ops.at("MaxPool"), 13);
  EXPECT_EQ(ops.at("Gemm"), 1);
  const auto concats = nodes_of(m, "Concat");
  ASSERT_EQ(concats.size(), 9u);
  for (const auto* c : concats) {
    ASSERT_EQ(c->input_size(), 4);
    EXPECT_EQ(attr_i(*c, "axis", -99), 1);
    // Each branch ends in Conv+Relu; the four branches are distinct values.
    std::set<std::string> distinct(c->input().begin(), c->input().end());
    EXPECT_EQ(distinct.size(), 4u);
    for (const auto& in : c->input()) {
      const auto* p = producer(m, in);
      ASSERT_NE(p, nullptr);
      EXPECT_EQ(p->op_type(), "Relu");
    }
  }
  expect_gflop(m, 3.165);
}

TEST(ModelgenWorkloads, WideMlpHasEightIndependentBranches) {
  const onnx::ModelProto m = build("wide_mlp");
  EXPECT_EQ(m.graph().node_size(), 73);
  const auto ops = op_counts(m);
  EXPECT_EQ(ops.at("MatMul"), 24);
  EXPECT_EQ(ops.at("Add"), 24);
  EXPECT_EQ(ops.at("Relu"), 24);
  EXPECT_EQ(consumers(m, "input", "MatMul"), 8);
  const auto sums = nodes_of(m, "Sum");
  ASSERT_EQ(sums.size(), 1u);
  ASSERT_EQ(sums[0]->input_size(), 8);
  // Walk each branch back to the input: Relu <- Add <- MatMul, three times.
  for (const auto& end : sums[0]->input()) {
    std::string v = end;
    for (int layer = 0; layer < 3; ++layer) {
      const auto* relu = producer(m, v);
      ASSERT_TRUE(relu != nullptr && relu->op_type() == "Relu");
      const auto* add = producer(m, relu->input(0));
      ASSERT_TRUE(add != nullptr && add->op_type() == "Add");
      const auto* mm = producer(m, add->input(0));
      ASSERT_TRUE(mm != nullptr && mm->op_type() == "MatMul");
      v = mm->input(0);
    }
    EXPECT_EQ(v, "input");
  }
  expect_gflop(m, 0.0126);
}

TEST(ModelgenWorkloads, TransformerHasPerHeadBranches) {
  const onnx::ModelProto m = build("transformer");
  EXPECT_EQ(m.graph().node_size(), 144);
  const auto ops = op_counts(m);
  EXPECT_EQ(ops.at("MatMul"), 46);
  EXPECT_EQ(ops.at("Softmax"), 8);
  EXPECT_EQ(ops.at("Transpose"), 8);
  EXPECT_EQ(ops.at("ReduceMean"), 8);  // 4 decomposed LayerNorms
  EXPECT_EQ(ops.count("LayerNormalization"), 0u);
  const auto concats = nodes_of(m, "Concat");
  ASSERT_EQ(concats.size(), 2u);
  for (const auto* c : concats) {
    ASSERT_EQ(c->input_size(), 4);  // one per head
    for (const auto& in : c->input()) {
      const auto* pv = producer(m, in);
      ASSERT_TRUE(pv != nullptr && pv->op_type() == "MatMul");
      const auto* softmax = producer(m, pv->input(0));
      ASSERT_TRUE(softmax != nullptr && softmax->op_type() == "Softmax");
    }
  }
  // Layer 1: twelve Q/K/V projections read the input directly.
  EXPECT_EQ(consumers(m, "input", "MatMul"), 12);
  expect_gflop(m, 0.436);
}

TEST(ModelgenWorkloads, TransformerLnUsesLayerNormalizationAtOpset17) {
  const onnx::ModelProto m = build("transformer_ln");
  EXPECT_EQ(m.opset_import(0).version(), 17);
  const auto ops = op_counts(m);
  EXPECT_EQ(ops.at("LayerNormalization"), 4);
  EXPECT_EQ(ops.count("ReduceMean"), 0u);
  EXPECT_EQ(ops.at("Softmax"), 8);
  expect_gflop(m, 0.436);
}

TEST(ModelgenWorkloads, ResnetIsAChainWithResiduals) {
  const onnx::ModelProto m = build("resnet");
  EXPECT_EQ(m.graph().node_size(), 49);
  const auto ops = op_counts(m);
  EXPECT_EQ(ops.at("Conv"), 20);
  EXPECT_EQ(ops.at("Add"), 8);
  EXPECT_EQ(ops.at("Relu"), 17);
  EXPECT_EQ(ops.count("Concat"), 0u);
  EXPECT_EQ(consumers(m, "input", "Conv"), 1);
  expect_gflop(m, 3.628);
}

TEST(ModelgenWorkloads, EnsembleAveragesThreeCnns) {
  const onnx::ModelProto m = build("ensemble");
  EXPECT_EQ(m.graph().node_size(), 54);
  const auto ops = op_counts(m);
  EXPECT_EQ(ops.at("Conv"), 20);
  EXPECT_EQ(ops.at("Gemm"), 3);
  EXPECT_EQ(ops.at("GlobalAveragePool"), 3);
  EXPECT_EQ(consumers(m, "input", "Conv"), 3);
  const auto sums = nodes_of(m, "Sum");
  ASSERT_EQ(sums.size(), 1u);
  ASSERT_EQ(sums[0]->input_size(), 3);
  for (const auto& in : sums[0]->input()) {
    const auto* p = producer(m, in);
    ASSERT_TRUE(p != nullptr && p->op_type() == "Gemm");
  }
  // One of the three is depthwise separable.
  int depthwise = 0;
  for (const auto* c : nodes_of(m, "Conv")) depthwise += attr_i(*c, "group", 1) > 1;
  EXPECT_EQ(depthwise, 5);
  expect_gflop(m, 0.321);
}

TEST(ModelgenWorkloads, UnknownNameIsAnError) {
  std::string error;
  const onnx::ModelProto m = make_workload("no_such_model", &error);
  EXPECT_FALSE(m.has_graph());
  EXPECT_NE(error.find("no_such_model"), std::string::npos);
  EXPECT_NE(error.find("inception"), std::string::npos);  // lists the known ones
  EXPECT_FALSE(write_workload("no_such_model", "/nonexistent/x.onnx", &error));
}

// ------------------------------------------------------------------ GraphBuilder

TEST(GraphBuilder, SymbolicDimsAndInt64Initializers) {
  GraphBuilder g("reshape", 1);
  g.input("x", DType::kFloat, {"batch", 4});
  const int64_t shape[] = {-1, 2, 2};
  const std::string s = g.initializer_i64({3}, shape, "shape");
  const std::string y = g.op("Reshape", {"x", s});
  g.output(g.rename(y, "y"), DType::kFloat, {"batch", 2, 2});
  const onnx::ModelProto m = g.finish(13);
  ASSERT_TRUE(g.ok()) << g.error();
  EXPECT_EQ(m.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "batch");
  EXPECT_EQ(m.graph().input(0).type().tensor_type().shape().dim(1).dim_value(), 4);
  const auto& init = m.graph().initializer(0);
  EXPECT_EQ(init.data_type(), onnx::TensorProto::INT64);
  EXPECT_EQ(init.raw_data().size(), 3 * sizeof(int64_t));
  EXPECT_EQ(m.graph().node(0).output(0), "y");
}

TEST(GraphBuilder, AttributeHelpersSetTypes) {
  GraphBuilder g("attrs", 1);
  g.input("x", DType::kFloat, {2, 3});
  const std::vector<std::string> outs =
      g.node("Split", {"x"}, 2, {attr_int("axis", 1), attr_ints("split", {1, 2})});
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_NE(outs[0], outs[1]);
  const std::string c = g.op("Constant", {}, {attr_tensor("value", Tensor::scalar(0.5f))});
  const std::string lr = g.op("LeakyRelu", {outs[0]}, {attr_float("alpha", 0.2f)});
  const std::string m1 = g.op("Mul", {lr, c});
  g.output(m1, DType::kFloat, {2, 1});
  g.output(outs[1], DType::kFloat, {2, 2});
  const onnx::ModelProto m = g.finish(11);  // Split with a split attribute: before opset 13
  ASSERT_TRUE(g.ok()) << g.error();
  const auto& split = m.graph().node(0);
  ASSERT_EQ(split.attribute_size(), 2);
  EXPECT_EQ(split.attribute(0).name(), "axis");  // sorted by name
  EXPECT_EQ(split.attribute(0).type(), onnx::AttributeProto::INT);
  EXPECT_EQ(split.attribute(1).type(), onnx::AttributeProto::INTS);
  EXPECT_EQ(m.graph().node(1).attribute(0).type(), onnx::AttributeProto::TENSOR);
  EXPECT_EQ(m.graph().node(2).attribute(0).type(), onnx::AttributeProto::FLOAT);
  EXPECT_FLOAT_EQ(m.graph().node(2).attribute(0).f(), 0.2f);

  const Attribute s = attr_string("auto_pad", "SAME_UPPER");
  EXPECT_EQ(std::get<std::string>(s.value), "SAME_UPPER");
  const Attribute fs = attr_floats("scales", {1.f, 2.f});
  EXPECT_EQ(std::get<std::vector<float>>(fs.value).size(), 2u);
}

TEST(GraphBuilder, CheckerErrorsAreReported) {
  GraphBuilder g("broken", 1);
  g.input("x", DType::kFloat, {1, 4});
  const std::string y = g.op("Add", {"x", "not_defined"});
  g.output(y, DType::kFloat, {1, 4});
  (void)g.finish();
  EXPECT_FALSE(g.ok());
  EXPECT_NE(g.error().find("broken"), std::string::npos);
  EXPECT_NE(g.error().find("not_defined"), std::string::npos) << g.error();
  EXPECT_TRUE(g.serialize().empty());
  EXPECT_FALSE(g.write((std::filesystem::temp_directory_path() / "braid_broken.onnx").string()));
}

TEST(GraphBuilder, ShapeMismatchIsReported) {
  GraphBuilder g("mismatch", 1);
  g.input("x", DType::kFloat, {1, 4});
  const std::string w = g.he_weight({4, 3}, 4);
  const std::string y = g.op("MatMul", {"x", w});
  g.output(y, DType::kFloat, {1, 5});  // really 1x3
  (void)g.finish();
  EXPECT_FALSE(g.ok());
  EXPECT_NE(g.error().find("shape inference"), std::string::npos) << g.error();
}

TEST(GraphBuilder, UndefinedGraphOutputIsReported) {
  GraphBuilder g("dangling", 1);
  g.input("x", DType::kFloat, {1});
  (void)g.op("Relu", {"x"});
  g.output("nothing", DType::kFloat, {1});
  (void)g.finish();
  EXPECT_FALSE(g.ok());
  EXPECT_NE(g.error().find("nothing"), std::string::npos);
}

TEST(GraphBuilder, WriteProducesAReadableFile) {
  GraphBuilder g("mlp", 3);
  g.input("x", DType::kFloat, {"n", 8});
  const std::string y = g.linear("x", 8, 4, /*relu=*/true);
  g.output(g.rename(y, "y"), DType::kFloat, {"n", 4});
  const auto path = std::filesystem::temp_directory_path() / "braid_modelgen_mlp.onnx";
  ASSERT_TRUE(g.write(path.string())) << g.error();
  std::ifstream f(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(bytes));
  EXPECT_EQ(m.graph().node_size(), 3);
  EXPECT_EQ(m.graph().output(0).name(), "y");
  EXPECT_EQ(bytes, g.serialize());
  std::filesystem::remove(path);
}

TEST(GraphBuilder, WeightsAreSeededHeNormals) {
  GraphBuilder a("w", 42);
  GraphBuilder b("w", 42);
  GraphBuilder c("w", 43);
  constexpr int64_t kFanIn = 512;
  (void)a.he_weight({kFanIn, 64}, kFanIn);
  (void)b.he_weight({kFanIn, 64}, kFanIn);
  (void)c.he_weight({kFanIn, 64}, kFanIn);
  const auto ma = a.finish();
  const auto mb = b.finish();
  const auto mc = c.finish();
  EXPECT_EQ(ma.graph().initializer(0).raw_data(), mb.graph().initializer(0).raw_data());
  EXPECT_NE(ma.graph().initializer(0).raw_data(), mc.graph().initializer(0).raw_data());
  const std::string& raw = ma.graph().initializer(0).raw_data();
  std::vector<float> v(raw.size() / sizeof(float));
  std::memcpy(v.data(), raw.data(), raw.size());
  double sum = 0;
  double sq = 0;
  for (float x : v) {
    sum += x;
    sq += double(x) * x;
  }
  const double mean = sum / double(v.size());
  const double sd = std::sqrt(sq / double(v.size()) - mean * mean);
  const double expected = std::sqrt(2.0 / kFanIn);
  EXPECT_NEAR(mean, 0.0, 0.05 * expected);
  EXPECT_NEAR(sd, expected, 0.03 * expected);
}

TEST(GraphBuilder, TinyWeightsAreBumpedAwayFromDenormals) {
  GraphBuilder g("tiny", 5);
  (void)g.weight({10000}, 1e-30);  // every draw underflows towards zero
  const auto m = g.finish();
  const std::string& raw = m.graph().initializer(0).raw_data();
  std::vector<float> v(raw.size() / sizeof(float));
  std::memcpy(v.data(), raw.data(), raw.size());
  for (float x : v) ASSERT_EQ(x, 1e-6f);
}

TEST(Rng, IsDeterministicAndUniformInRange) {
  Rng a(9);
  Rng b(9);
  for (int i = 0; i < 1000; ++i) {
    const double u = a.uniform();
    ASSERT_EQ(u, b.uniform());
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(ModelStats, CountsLikeMakeModels) {
  const ModelStats s = model_stats(build("matmul_2048"));
  EXPECT_EQ(s.nodes, 1);
  EXPECT_NEAR(s.mac_gflop, 17.18, 0.01);
  EXPECT_NEAR(s.params_m, 4.194, 0.001);
  EXPECT_NE(to_json(s).find("\"MatMul\": 1"), std::string::npos);
}

}  // namespace
}  // namespace braid::modelgen
