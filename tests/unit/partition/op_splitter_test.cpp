// OpSplitter: the rewrite's structure, what cannot be split, and (through braid::Session)
// that the split graph computes exactly what the unsplit one does.
#include "partition/op_splitter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "braid/session.h"
#include "common/test_util.h"
#include "kernels/registry.h"
#include "model_builder/model_builder.h"
#include "onnx/onnx_importer.h"
#include "partition/partitioner.h"
#include "unit/partition/test_graphs.h"

namespace braid::detail {
namespace {

namespace mg = braid::modelgen;
using testing::TestGraph;
using testing::int_attr;
using testing::ints_attr;

// ---- the IR graph back to ONNX bytes, through the model builder (tests only)

mg::Shape onnx_shape(const Value& v) {
  mg::Shape s;
  if (!v.shape) return s;
  for (size_t i = 0; i < v.shape->size(); ++i) {
    const Dim& d = (*v.shape)[i];
    if (d.known()) s.emplace_back(d.value);
    else s.emplace_back(d.symbol.empty() ? "unk" + std::to_string(i) : d.symbol);
  }
  return s;
}

mg::Attributes onnx_attributes(const Node& n) {
  mg::Attributes out;
  for (const Attribute& a : n.attributes) {
    switch (a.kind) {
      case Attribute::Kind::kInt: out.push_back(mg::attr_int(a.name, a.i)); break;
      case Attribute::Kind::kInts: out.push_back(mg::attr_ints(a.name, a.ints)); break;
      case Attribute::Kind::kFloat: out.push_back(mg::attr_float(a.name, a.f)); break;
      case Attribute::Kind::kFloats: out.push_back(mg::attr_floats(a.name, a.floats)); break;
      case Attribute::Kind::kString: out.push_back(mg::attr_string(a.name, a.s)); break;
      default: break;  // not used by the graphs here
    }
  }
  return out;
}

std::string graph_to_onnx(const Graph& g, int opset, std::string* error) {
  mg::GraphBuilder b(g.name.empty() ? "graph" : g.name, 1);
  std::vector<std::string> names(g.values.size());
  for (ValueId v : g.inputs)
    names[v] = b.input(g.values[v].name, static_cast<mg::DType>(g.values[v].dtype), onnx_shape(g.values[v]));
  for (const Node& n : g.nodes) {
    std::vector<std::string> in;
    for (ValueId v : n.inputs) {
      if (v == kNoValue) {
        in.emplace_back();
        continue;
      }
      const Value& val = g.values[v];
      if (names[v].empty() && val.constant) {
        const Tensor& t = *val.constant;
        if (t.dtype() == DataType::kInt64)
          names[v] = b.initializer_i64(t.shape(), std::span<const int64_t>(t.data<int64_t>(), t.numel()));
        else
          names[v] = b.initializer(t.shape(), std::span<const float>(t.data<float>(), t.numel()));
      }
      in.push_back(names[v]);
    }
    const auto outs = b.node(n.op_type, in, static_cast<int>(n.outputs.size()), onnx_attributes(n));
    for (size_t i = 0; i < n.outputs.size(); ++i) names[n.outputs[i]] = outs[i];
  }
  for (ValueId v : g.outputs)
    b.output(b.rename(names[v], g.values[v].name), static_cast<mg::DType>(g.values[v].dtype), onnx_shape(g.values[v]));
  std::string bytes = b.serialize(opset);
  if (bytes.empty() && error) *error = b.error();
  return bytes;
}

// ---- models

struct Model {
  std::string bytes;
  std::vector<int64_t> input_shape;
};

Model conv_model(int64_t cin, int64_t cout, int64_t hw) {
  mg::GraphBuilder b("conv", 3);
  b.input("x", mg::DType::kFloat, {1, cin, hw, hw});
  const std::string w = b.he_weight({cout, cin, 3, 3}, cin * 9);
  const std::string bias = b.bias(cout);
  const std::string y = b.op("Conv", {"x", w, bias},
                             {mg::attr_ints("kernel_shape", {3, 3}), mg::attr_ints("pads", {1, 1, 1, 1})});
  b.output(b.rename(y, "y"), mg::DType::kFloat, {1, cout, hw, hw});
  return {b.serialize(13), {1, cin, hw, hw}};
}

Model matmul_model(int64_t m, int64_t k, int64_t n) {
  mg::GraphBuilder b("matmul", 4);
  b.input("x", mg::DType::kFloat, {m, k});
  const std::string w = b.weight({k, n}, 0.1);
  const std::string y = b.op("MatMul", {"x", w});
  b.output(b.rename(y, "y"), mg::DType::kFloat, {m, n});
  return {b.serialize(13), {m, k}};
}

Model gemm_model(int64_t m, int64_t k, int64_t n) {
  mg::GraphBuilder b("gemm", 5);
  b.input("x", mg::DType::kFloat, {m, k});
  const std::string w = b.weight({n, k}, 0.1);
  const std::string c = b.bias(n);
  const std::string y = b.op("Gemm", {"x", w, c}, {mg::attr_int("transB", 1), mg::attr_float("alpha", 0.5f)});
  b.output(b.rename(y, "y"), mg::DType::kFloat, {m, n});
  return {b.serialize(13), {m, k}};
}

bool have_kernels(std::initializer_list<const char*> ops, std::string* missing) {
  for (const char* op : ops)
    if (OpRegistry::global().find("", op, 13) == nullptr) {
      *missing = op;
      return false;
    }
  return true;
}

struct Comparison {
  bool bitwise = false;
  double max_rel = 0;
};

Comparison compare(const Tensor& a, const Tensor& b) {
  Comparison c;
  EXPECT_EQ(a.shape(), b.shape());
  if (a.shape() != b.shape()) return c;
  c.bitwise = std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = a.data<float>()[i], y = b.data<float>()[i];
    c.max_rel = std::max(c.max_rel, std::abs(x - y) / std::max(std::abs(x), 1e-30));
  }
  return c;
}

// Runs the model and its K-way split of node 0 through Session and compares.
void check_split_through_session(const Model& m, const char* op, int slices, bool expect_bitwise) {
  std::string missing;
  if (!have_kernels({op, "Concat"}, &missing))
    GTEST_SKIP() << "no kernel for " << missing << " in OpRegistry::global() yet (kernels are being written)";
  ASSERT_FALSE(m.bytes.empty());
  auto graph = import_onnx_model(m.bytes.data(), m.bytes.size(), "");
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  ASSERT_EQ(graph->nodes.size(), 1u);
  auto split = split_op(*graph, 0, slices);
  ASSERT_TRUE(split.ok()) << split.status().message();
  std::string error;
  const std::string split_bytes = graph_to_onnx(*split, 13, &error);
  ASSERT_FALSE(split_bytes.empty()) << error;

  for (ExecutionMode mode : {ExecutionMode::kSequential, ExecutionMode::kAdaptive}) {
    SessionOptions opt;
    opt.mode = mode;
    auto whole = Session::load_from_memory(m.bytes.data(), m.bytes.size(), opt);
    ASSERT_TRUE(whole.ok()) << whole.status().message();
    auto parts = Session::load_from_memory(split_bytes.data(), split_bytes.size(), opt);
    ASSERT_TRUE(parts.ok()) << parts.status().message();
    Tensor x = Tensor::empty(DataType::kFloat32, m.input_shape).value();
    testing::fill_random(x, 42);
    auto a = whole->run({{"x", x}});
    auto b = parts->run({{"x", x}});
    ASSERT_TRUE(a.ok()) << a.status().message();
    ASSERT_TRUE(b.ok()) << b.status().message();
    const Comparison c = compare(a->at("y"), b->at("y"));
    EXPECT_LE(c.max_rel, 1e-6) << op << " split " << slices << " ways";
    if (expect_bitwise) {
      EXPECT_TRUE(c.bitwise) << op << " split " << slices << " ways: max rel " << c.max_rel;
    }
    ::testing::Test::RecordProperty(std::string(op) + "_" + std::to_string(slices) + "_bitwise", c.bitwise ? 1 : 0);
  }
}

TEST(OpSplitter, SliceSizesAreAlignedAndCoverTheDim) {
  EXPECT_EQ(slice_sizes(64, 2), (std::vector<int64_t>{32, 32}));
  EXPECT_EQ(slice_sizes(64, 3), (std::vector<int64_t>{32, 16, 16}));
  EXPECT_EQ(slice_sizes(70, 2), (std::vector<int64_t>{32, 38}));
  EXPECT_EQ(slice_sizes(10, 3), (std::vector<int64_t>{4, 3, 3}));
  EXPECT_EQ(slice_sizes(2, 4), (std::vector<int64_t>{1, 1}));
  EXPECT_TRUE(slice_sizes(0, 2).empty());
}

TEST(OpSplitter, ConvBecomesSlicesAndConcat) {
  TestGraph b;
  ValueId x = b.input("x", {1, 8, 16, 16});
  ValueId w = b.constant("w", {64, 8, 3, 3});
  ValueId bias = b.constant("b", {64});
  ValueId y = b.op("Conv", {x, w, bias}, {1, 64, 16, 16}, "conv", {ints_attr("pads", {1, 1, 1, 1})});
  ValueId r = b.op("Relu", {y}, {1, 64, 16, 16}, "relu");
  Graph g = b.finish({r});
  auto split = split_op(g, 0, 4);
  ASSERT_TRUE(split.ok()) << split.status().message();
  const Graph& s = *split;
  ASSERT_EQ(s.nodes.size(), 6u);  // 4 slices, Concat, Relu
  for (int i = 0; i < 4; ++i) {
    const Node& n = s.nodes[i];
    EXPECT_EQ(n.name, "conv/slice" + std::to_string(i));
    EXPECT_EQ(s.values[n.inputs[0]].name, "x");
    EXPECT_EQ(s.values[n.inputs[1]].constant->shape(), (Shape{16, 8, 3, 3}));
    EXPECT_EQ(s.values[n.inputs[2]].constant->shape(), (Shape{16}));
    EXPECT_EQ((*s.values[n.outputs[0]].shape)[1].value, 16);
    // Slice i's weights are rows [16i, 16i+16) of the original.
    EXPECT_EQ(std::memcmp(s.values[n.inputs[1]].constant->raw_data(),
                          g.values[w].constant->data<float>() + 16 * i * 72, 16 * 72 * sizeof(float)), 0);
  }
  const Node& concat = s.nodes[4];
  EXPECT_EQ(concat.op_type, "Concat");
  EXPECT_EQ(concat.find_attribute("axis")->i, 1);
  EXPECT_EQ(concat.outputs[0], y);  // the original value, so consumers are unchanged
  EXPECT_EQ(s.nodes[5].inputs[0], y);
  // The partitioner now sees four parallel branches.
  PartitionOptions o;
  auto plan = partition(s, o);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->max_width, 4);
}

TEST(OpSplitter, MatMulAndGemmSplitColumns) {
  TestGraph b;
  ValueId x = b.input("x", {2, 8});
  ValueId w = b.constant("w", {8, 6});
  ValueId m = b.op("MatMul", {x, w}, {2, 6}, "mm");
  ValueId wt = b.constant("wt", {6, 8});
  ValueId c = b.constant("c", {6});
  ValueId gm = b.op("Gemm", {x, wt, c}, {2, 6}, "gemm", {int_attr("transB", 1)});
  Graph g = b.finish({m, gm});
  auto s1 = split_op(g, 0, 2);
  ASSERT_TRUE(s1.ok()) << s1.status().message();
  const Value& w0 = s1->values[s1->nodes[0].inputs[1]];
  ASSERT_EQ(w0.constant->shape(), (Shape{8, 3}));
  for (int k = 0; k < 8; ++k)
    for (int j = 0; j < 3; ++j) EXPECT_EQ(w0.constant->data<float>()[k * 3 + j], g.values[w].constant->data<float>()[k * 6 + j]);
  EXPECT_EQ(s1->nodes[2].find_attribute("axis")->i, 1);
  auto s2 = split_op(g, 1, 3);
  ASSERT_TRUE(s2.ok()) << s2.status().message();
  const Node& g0 = s2->nodes[1];
  EXPECT_EQ(s2->values[g0.inputs[1]].constant->shape(), (Shape{2, 8}));  // rows of B^T
  EXPECT_EQ(s2->values[g0.inputs[2]].constant->shape(), (Shape{2}));
  EXPECT_EQ(g0.find_attribute("transB")->i, 1);
}

TEST(OpSplitter, ExplainsWhatCannotBeSplit) {
  TestGraph b;
  ValueId x = b.input("x", {1, 8, 4, 4});
  ValueId y = b.input("wdyn", {8, 8, 3, 3});
  ValueId w = b.constant("w", {8, 1, 3, 3});
  ValueId dw = b.op("Conv", {x, w}, {1, 8, 4, 4}, "depthwise", {int_attr("group", 8), ints_attr("pads", {1, 1, 1, 1})});
  ValueId dyn = b.op("Conv", {dw, y}, {1, 8, 4, 4}, "dynamic", {ints_attr("pads", {1, 1, 1, 1})});
  ValueId r = b.op("Relu", {dyn}, {1, 8, 4, 4}, "relu");
  Graph g = b.finish({r});
  EXPECT_NE(split_blocker(g, 0, 2).find("grouped"), std::string::npos);
  EXPECT_NE(split_blocker(g, 1, 2).find("constant"), std::string::npos);
  EXPECT_NE(split_blocker(g, 2, 2).find("only Conv"), std::string::npos);
  EXPECT_NE(split_blocker(g, 1, 1).find("2 slices"), std::string::npos);
  EXPECT_FALSE(split_op(g, 0, 2).ok());
}

TEST(OpSplitter, SplitHeavyOpsPicksOnlyHeavyNodes) {
  TestGraph b;
  ValueId x = b.input("x", {1, 32, 32, 32});
  ValueId w1 = b.constant("w1", {64, 32, 3, 3});
  ValueId big = b.op("Conv", {x, w1}, {1, 64, 32, 32}, "big", {ints_attr("pads", {1, 1, 1, 1})});
  ValueId w2 = b.constant("w2", {4, 64, 1, 1});
  ValueId small = b.op("Conv", {big, w2}, {1, 4, 32, 32}, "small");
  Graph g = b.finish({small});
  SplitOptions o;
  o.slices = 2;
  o.min_flops_fraction = 0.1;
  std::vector<std::string> names;
  auto s = split_heavy_ops(g, o, &names);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(names, std::vector<std::string>{"big"});
  EXPECT_EQ(s->nodes.size(), 4u);
}

TEST(OpSplitter, ConvSplitEqualsUnsplitThroughSession) {
  check_split_through_session(conv_model(16, 64, 12), "Conv", 2, true);
  check_split_through_session(conv_model(16, 64, 12), "Conv", 4, true);
  check_split_through_session(conv_model(8, 40, 9), "Conv", 3, true);
  check_split_through_session(conv_model(32, 128, 32), "Conv", 2, true);  // big enough to run multi-threaded
}

TEST(OpSplitter, MatMulSplitEqualsUnsplitThroughSession) {
  check_split_through_session(matmul_model(8, 96, 128), "MatMul", 2, true);
  check_split_through_session(matmul_model(8, 96, 128), "MatMul", 4, true);
  check_split_through_session(matmul_model(5, 33, 70), "MatMul", 3, true);
  check_split_through_session(matmul_model(256, 256, 512), "MatMul", 4, true);
}

TEST(OpSplitter, GemmSplitEqualsUnsplitThroughSession) {
  check_split_through_session(gemm_model(8, 96, 128), "Gemm", 2, true);
  check_split_through_session(gemm_model(7, 50, 64), "Gemm", 4, true);
}

}  // namespace
}  // namespace braid::detail
