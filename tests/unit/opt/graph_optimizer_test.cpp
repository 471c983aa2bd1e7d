// optimize_graph on hand-made graphs: which rewrites happen (node counts, op types,
// attributes) and that the optimised graph computes what the original does.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/test_util.h"
#include "exec/execution_plan.h"
#include "kernels/cpu_features.h"
#include "kernels/ops/nn_conv_narrow.h"
#include "ir/graph.h"
#include "kernels/cpu_features.h"
#include "opt/graph_optimizer.h"

namespace braid::detail {
namespace {

// A tiny IR builder: float32 values with static shapes.
class Builder {
 public:
  Builder() { g_.default_opset = 13; }

  ValueId input(const std::string& name, const Shape& shape, DataType dt = DataType::kFloat32) {
    const ValueId v = value(name, shape, dt);
    g_.inputs.push_back(v);
    return v;
  }
  // Marks dim `d` of value `v` symbolic.
  void symbolic(ValueId v, size_t d, const std::string& symbol) {
    (*g_.values[v].shape)[d] = Dim{-1, symbol};
  }
  ValueId constant(const std::string& name, const Shape& shape, uint32_t seed, float lo = -1, float hi = 1,
                   DataType dt = DataType::kFloat32) {
    Tensor t = Tensor::empty(dt, shape).value();
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> dist(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (dt == DataType::kFloat32) t.data<float>()[i] = static_cast<float>(dist(rng));
      else t.data<double>()[i] = dist(rng);
    }
    const ValueId v = value(name, shape, dt);
    g_.values[v].constant = std::move(t);
    return v;
  }
  ValueId op(const std::string& type, std::vector<ValueId> inputs, const Shape& out_shape,
             std::vector<Attribute> attrs = {}, DataType dt = DataType::kFloat32) {
    Node n;
    n.name = type + std::to_string(g_.nodes.size());
    n.op_type = type;
    n.opset = 13;
    n.inputs = std::move(inputs);
    n.attributes = std::move(attrs);
    const ValueId out = value(n.name + ":0", out_shape, dt);
    n.outputs = {out};
    g_.nodes.push_back(std::move(n));
    return out;
  }
  Graph finish(std::vector<ValueId> outputs) {
    g_.outputs = std::move(outputs);
    EXPECT_TRUE(g_.finalize().ok());
    return g_;
  }

 private:
  ValueId value(const std::string& name, const Shape& shape, DataType dt) {
    Value v;
    v.name = name;
    v.dtype = dt;
    v.shape.emplace();
    for (int64_t d : shape) v.shape->push_back(Dim{d, {}});
    return g_.add_value(std::move(v));
  }
  Graph g_;
};

Attribute ints_attr(const std::string& name, std::vector<int64_t> v) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}
Attribute float_attr(const std::string& name, float f) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kFloat;
  a.f = f;
  return a;
}
Attribute int_attr(const std::string& name, int64_t i) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kInt;
  a.i = i;
  return a;
}

// Runs `g` sequentially on seeded inputs; returns the graph outputs in order.
std::vector<Tensor> run(const Graph& g, uint32_t seed = 7, const std::vector<Shape>& input_shapes = {}) {
  auto plan = ExecutionPlan::build(g, "test");
  EXPECT_TRUE(plan.ok()) << plan.status().to_string();
  if (!plan.ok()) return {};
  std::vector<Tensor> values(g.values.size());
  for (size_t index = 0; index < g.inputs.size(); ++index) {
    const ValueId in = g.inputs[index];
    Shape shape;
    if (index < input_shapes.size()) shape = input_shapes[index];
    else for (const Dim& d : *g.values[in].shape) shape.push_back(d.value);
    Tensor t = Tensor::empty(g.values[in].dtype, shape).value();
    if (t.dtype() == DataType::kFloat32) {
      braid::testing::fill_random(t, seed++);
    } else {
      for (int64_t i = 0; i < t.numel(); ++i) t.data<double>()[i] = std::sin(static_cast<double>(i));
    }
    values[in] = std::move(t);
  }
  Status st = run_nodes(g, *plan, values, 0, g.nodes.size(), 1);
  EXPECT_TRUE(st.ok()) << st.to_string();
  std::vector<Tensor> out;
  for (ValueId v : g.outputs) out.push_back(g.values[v].constant ? *g.values[v].constant : values[v]);
  return out;
}

// max |a - b| / max(max |a|, 1e-2) over all outputs.
double max_rel_error(const std::vector<Tensor>& ref, const std::vector<Tensor>& got) {
  EXPECT_EQ(ref.size(), got.size());
  double worst = 0;
  for (size_t o = 0; o < ref.size() && o < got.size(); ++o) {
    EXPECT_EQ(ref[o].shape(), got[o].shape());
    if (ref[o].numel() != got[o].numel()) return INFINITY;
    double scale = 1e-2, diff = 0;
    for (int64_t i = 0; i < ref[o].numel(); ++i) {
      const double r = ref[o].data<float>()[i], x = got[o].data<float>()[i];
      scale = std::max(scale, std::fabs(r));
      diff = std::max(diff, std::fabs(r - x));
    }
    worst = std::max(worst, diff / scale);
  }
  return worst;
}

int count_op(const Graph& g, const std::string& op) {
  return static_cast<int>(std::count_if(g.nodes.begin(), g.nodes.end(), [&](const Node& n) { return n.op_type == op; }));
}

bool has_relu_epilogue(const Node& n) {
  const Attribute* a = n.find_attribute("braid_fused_activation");
  return a != nullptr && a->s == "Relu";
}

// Conv(3->8, 3x3, pad 1) [+ bias] -> BatchNormalization -> Relu on a 1x3x10x10 input.
Graph conv_bn_relu(bool conv_bias, bool constant_mean = true) {
  Builder b;
  const ValueId x = b.input("x", {1, 3, 10, 10});
  std::vector<ValueId> conv_in = {x, b.constant("w", {8, 3, 3, 3}, 1)};
  if (conv_bias) conv_in.push_back(b.constant("cb", {8}, 2));
  const ValueId c = b.op("Conv", conv_in, {1, 8, 10, 10}, {ints_attr("pads", {1, 1, 1, 1})});
  const ValueId mean = constant_mean ? b.constant("mean", {8}, 5) : b.input("mean", {8});
  const ValueId bn = b.op("BatchNormalization",
                          {c, b.constant("scale", {8}, 3, 0.5f, 2.0f), b.constant("beta", {8}, 4), mean,
                           b.constant("var", {8}, 6, 0.1f, 3.0f)},
                          {1, 8, 10, 10}, {float_attr("epsilon", 1e-3f)});
  const ValueId y = b.op("Relu", {bn}, {1, 8, 10, 10});
  return b.finish({y});
}

TEST(GraphOptimizer, ConvBatchNormReluBecomesOneConv) {
  for (bool bias : {true, false}) {
    const Graph original = conv_bn_relu(bias);
    Graph g = original;
    GraphOptimizationStats stats;
    ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
    EXPECT_EQ(stats.batch_norms_folded, 1);
    EXPECT_EQ(stats.activations_fused, 1);
    ASSERT_EQ(g.nodes.size(), 1u);
    EXPECT_EQ(g.nodes[0].op_type, "Conv");
    EXPECT_TRUE(has_relu_epilogue(g.nodes[0]));
    ASSERT_EQ(g.nodes[0].inputs.size(), 3u);
    EXPECT_EQ(g.values[g.outputs[0]].name, original.values[original.outputs[0]].name);
    EXPECT_LE(max_rel_error(run(original), run(g)), 1e-5) << "bias " << bias;
  }
}

// A stem: Conv(3 -> 32, 7x7, stride 2, pads 3) -> Relu -> MaxPool(k, stride 2) on 1x3xHxW.
Graph stem_pool(int64_t k, std::vector<Attribute> pool_attrs, int64_t cin = 3) {
  Builder b;
  const int64_t h = 37, w = 46, oh = (h + 6 - 7) / 2 + 1, ow = (w + 6 - 7) / 2 + 1;
  const int64_t pad = k == 3 ? 1 : 0;
  const ValueId x = b.input("x", {1, cin, h, w});
  const ValueId c = b.op("Conv", {x, b.constant("w", {32, cin, 7, 7}, 21), b.constant("cb", {32}, 22)},
                         {1, 32, oh, ow}, {ints_attr("pads", {3, 3, 3, 3}), ints_attr("strides", {2, 2})});
  const ValueId r = b.op("Relu", {c}, {1, 32, oh, ow});
  pool_attrs.push_back(ints_attr("kernel_shape", {k, k}));
  const ValueId y = b.op("MaxPool", {r}, {1, 32, (oh + 2 * pad - k) / 2 + 1, (ow + 2 * pad - k) / 2 + 1},
                         std::move(pool_attrs));
  return b.finish({y});
}

TEST(GraphOptimizer, StemConvReluMaxPoolBecomesOneConv) {
  for (int64_t k : {3, 2}) {
    std::vector<Attribute> attrs = {ints_attr("strides", {2, 2})};
    if (k == 3) attrs.push_back(ints_attr("pads", {1, 1, 1, 1}));
    const Graph original = stem_pool(k, attrs);
    Graph g = original;
    GraphOptimizationStats stats;
    ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
    EXPECT_EQ(stats.activations_fused, 1);
    EXPECT_EQ(stats.max_pools_fused, 1);
    ASSERT_EQ(g.nodes.size(), 1u);
    const Attribute* pool = g.nodes[0].find_attribute("braid_fused_max_pool");
    ASSERT_NE(pool, nullptr);
    EXPECT_EQ(pool->ints, (std::vector<int64_t>{k, 2, k == 3 ? 1 : 0}));
    EXPECT_EQ(g.values[g.outputs[0]].name, original.values[original.outputs[0]].name);
    // The same convolution kernel, and max is exact: the same bits as Conv then MaxPool.
    const std::vector<Tensor> want = run(original), got = run(g);
    ASSERT_EQ(want.size(), 1u);
    ASSERT_EQ(got.size(), 1u);
    ASSERT_EQ(want[0].shape(), got[0].shape());
    EXPECT_EQ(0, std::memcmp(want[0].raw_data(), got[0].raw_data(), want[0].byte_size())) << "k " << k;
  }
}

TEST(GraphOptimizer, WideConvMaxPoolIsFusedWhereTheNarrowKernelRunsIt) {
  // Conv(16 -> 48, 3x3, pad 1) -> Relu -> MaxPool 3x3/2 pad 1 on 1x16x20xW: rows of W = 56
  // (whole 14-position tiles) are fused where this CPU has the narrow-input kernel (the
  // convolution pooled from L2), rows of 50 never (it would only pool from a scratch).
  for (int64_t w : {56, 50}) {
    Builder b;
    const ValueId x = b.input("x", {1, 16, 20, w});
    const ValueId c = b.op("Conv", {x, b.constant("w", {48, 16, 3, 3}, 31), b.constant("cb", {48}, 32)},
                           {1, 48, 20, w}, {ints_attr("pads", {1, 1, 1, 1})});
    const ValueId r = b.op("Relu", {c}, {1, 48, 20, w});
    const ValueId y = b.op("MaxPool", {r}, {1, 48, 10, (w - 1) / 2 + 1},
                           {ints_attr("kernel_shape", {3, 3}), ints_attr("strides", {2, 2}),
                            ints_attr("pads", {1, 1, 1, 1})});
    const Graph original = b.finish({y});
    Graph g = original;
    GraphOptimizationStats stats;
    ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
    const bool fused = w == 56 && narrow_conv_for(cpu_features()) != nullptr;
    EXPECT_EQ(stats.max_pools_fused, fused ? 1 : 0) << "width " << w;
    EXPECT_EQ(count_op(g, "MaxPool"), fused ? 0 : 1) << "width " << w;
    // Fused or not, the same values (max is exact; the narrow kernel's sums may round
    // differently from the GEMM path's).
    EXPECT_LE(max_rel_error(run(original), run(g)), 1e-5) << "width " << w;
  }
}

TEST(GraphOptimizer, MaxPoolThatTheConvCannotTakeStays) {
  // ceil_mode, other pads, stride 1, dilation, and a Conv of 8 input channels: not fused.
  const std::vector<std::vector<Attribute>> pools = {
      {ints_attr("strides", {2, 2}), ints_attr("pads", {1, 1, 1, 1}), int_attr("ceil_mode", 1)},
      {ints_attr("strides", {2, 2}), ints_attr("pads", {0, 0, 1, 1})},
      {ints_attr("strides", {1, 1}), ints_attr("pads", {1, 1, 1, 1})},
      {ints_attr("strides", {2, 2}), ints_attr("pads", {1, 1, 1, 1}), ints_attr("dilations", {2, 2})},
  };
  for (const auto& attrs : pools) {
    const Graph original = stem_pool(3, attrs);
    Graph g = original;
    GraphOptimizationStats stats;
    ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
    EXPECT_EQ(stats.max_pools_fused, 0);
    EXPECT_EQ(count_op(g, "MaxPool"), 1);
  }
  Graph g = stem_pool(3, {ints_attr("strides", {2, 2}), ints_attr("pads", {1, 1, 1, 1})}, 8);
  GraphOptimizationStats stats;
  ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
  EXPECT_EQ(stats.max_pools_fused, 0);
}

TEST(GraphOptimizer, FoldedWeightsMatchADoubleReference) {
  // Conv + BN without the Relu, checked element by element against f64 arithmetic.
  Builder b;
  const ValueId x = b.input("x", {1, 2, 4, 4});
  const ValueId w = b.constant("w", {3, 2, 1, 1}, 11);
  const ValueId c = b.op("Conv", {x, w, b.constant("cb", {3}, 12)}, {1, 3, 4, 4});
  const ValueId y = b.op("BatchNormalization",
                         {c, b.constant("s", {3}, 13, 0.5f, 2.0f), b.constant("bt", {3}, 14), b.constant("m", {3}, 15),
                          b.constant("v", {3}, 16, 0.1f, 2.0f)},
                         {1, 3, 4, 4});
  const Graph original = b.finish({y});
  Graph g = original;
  ASSERT_TRUE(optimize_graph(g, {}).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  auto cf = [&](const char* name, int64_t i) {
    return static_cast<double>(original.values[original.find_value(name)].constant->data<float>()[i]);
  };
  const std::vector<Tensor> got = run(g);
  // Recreate the input run() fed (seed 7).
  Tensor xin = Tensor::empty(DataType::kFloat32, {1, 2, 4, 4}).value();
  braid::testing::fill_random(xin, 7);
  double worst = 0, scale = 1e-2;
  for (int64_t oc = 0; oc < 3; ++oc)
    for (int64_t p = 0; p < 16; ++p) {
      double conv = cf("cb", oc);
      for (int64_t ic = 0; ic < 2; ++ic) conv += cf("w", oc * 2 + ic) * xin.data<float>()[ic * 16 + p];
      const double ref = (conv - cf("m", oc)) / std::sqrt(cf("v", oc) + 1e-5) * cf("s", oc) + cf("bt", oc);
      scale = std::max(scale, std::fabs(ref));
      worst = std::max(worst, std::fabs(ref - got[0].data<float>()[oc * 16 + p]));
    }
  EXPECT_LE(worst / scale, 1e-5);
}

TEST(GraphOptimizer, BatchNormWithComputedParametersIsNotFolded) {
  Graph g = conv_bn_relu(true, /*constant_mean=*/false);
  GraphOptimizationStats stats;
  ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
  EXPECT_EQ(stats.batch_norms_folded, 0);
  EXPECT_EQ(count_op(g, "BatchNormalization"), 1);
  EXPECT_EQ(count_op(g, "Conv"), 1);
  // The Relu follows the BatchNormalization, not a Conv: nothing to fuse it into.
  EXPECT_EQ(count_op(g, "Relu"), 1);
}

TEST(GraphOptimizer, ConvOutputWithTwoConsumersIsNotFused) {
  Builder b;
  const ValueId x = b.input("x", {1, 3, 6, 6});
  const ValueId c = b.op("Conv", {x, b.constant("w", {4, 3, 1, 1}, 1)}, {1, 4, 6, 6});
  const ValueId r = b.op("Relu", {c}, {1, 4, 6, 6});
  const ValueId s = b.op("Sigmoid", {c}, {1, 4, 6, 6});
  const Graph original = b.finish({r, s});
  Graph g = original;
  ASSERT_TRUE(optimize_graph(g, {}).ok());
  EXPECT_EQ(g.nodes.size(), 3u);
  EXPECT_FALSE(has_relu_epilogue(g.nodes[0]));
  EXPECT_EQ(max_rel_error(run(original), run(g)), 0.0);
}

TEST(GraphOptimizer, ConvOutputThatIsAGraphOutputIsNotFused) {
  Builder b;
  const ValueId x = b.input("x", {1, 3, 6, 6});
  const ValueId c = b.op("Conv", {x, b.constant("w", {4, 3, 1, 1}, 1)}, {1, 4, 6, 6});
  const ValueId bn = b.op("BatchNormalization",
                          {c, b.constant("s", {4}, 2, 0.5f, 1.5f), b.constant("bt", {4}, 3), b.constant("m", {4}, 4),
                           b.constant("v", {4}, 5, 0.5f, 1.0f)},
                          {1, 4, 6, 6});
  const ValueId r = b.op("Relu", {bn}, {1, 4, 6, 6});
  Graph g = b.finish({c, r});
  GraphOptimizationStats stats;
  ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
  EXPECT_EQ(stats.batch_norms_folded, 0);
  EXPECT_EQ(g.nodes.size(), 3u);
}

TEST(GraphOptimizer, MatMulBiasReluBecomesOneMatMul) {
  for (bool bias_first : {false, true}) {
    Builder b;
    const ValueId a = b.input("a", {2, 5, 16});
    const ValueId mm = b.op("MatMul", {a, b.constant("w", {16, 24}, 1)}, {2, 5, 24});
    const ValueId bias = b.constant("bias", {24}, 2);
    const ValueId add = b.op("Add", bias_first ? std::vector<ValueId>{bias, mm} : std::vector<ValueId>{mm, bias},
                             {2, 5, 24});
    const ValueId y = b.op("Relu", {add}, {2, 5, 24});
    const Graph original = b.finish({y});
    Graph g = original;
    GraphOptimizationStats stats;
    ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
    EXPECT_EQ(stats.biases_fused, 1);
    EXPECT_EQ(stats.activations_fused, 1);
    ASSERT_EQ(g.nodes.size(), 1u);
    EXPECT_EQ(g.nodes[0].op_type, "MatMul");
    EXPECT_EQ(g.nodes[0].inputs.size(), 3u);
    EXPECT_TRUE(has_relu_epilogue(g.nodes[0]));
    EXPECT_LE(max_rel_error(run(original), run(g)), 1e-6);
  }
}

TEST(GraphOptimizer, MatMulWithComputedBOnSeveralBatchesTakesTheBias) {
  // B varies per batch (no broadcast), so the kernel runs one GEMM per batch.
  Builder b;
  const ValueId a = b.input("a", {3, 4, 8});
  const ValueId w = b.input("w", {3, 8, 6});
  const ValueId mm = b.op("MatMul", {a, w}, {3, 4, 6});
  const ValueId y = b.op("Add", {mm, b.constant("bias", {1, 6}, 2)}, {3, 4, 6});
  const Graph original = b.finish({y});
  Graph g = original;
  ASSERT_TRUE(optimize_graph(g, {}).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_LE(max_rel_error(run(original), run(g)), 1e-6);
}

TEST(GraphOptimizer, AddThatIsNotAColumnBiasIsNotTheBias) {
  // A full [M, N] constant is no column bias; it is fused as a residual instead.
  Builder b;
  const ValueId a = b.input("a", {5, 8});
  const ValueId mm = b.op("MatMul", {a, b.constant("w", {8, 6}, 1)}, {5, 6});
  const ValueId y = b.op("Add", {mm, b.constant("full", {5, 6}, 2)}, {5, 6});
  const Graph original = b.finish({y});
  Graph g = original;
  GraphOptimizationStats stats;
  ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
  EXPECT_EQ(stats.biases_fused, 0);
  EXPECT_EQ(stats.residuals_fused, 1);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].inputs[2], kNoValue);
  EXPECT_LE(max_rel_error(run(original), run(g)), 1e-6);
  GraphOptimizationOptions no_residual;
  no_residual.fuse_residual = false;
  Graph h = original;
  ASSERT_TRUE(optimize_graph(h, no_residual).ok());
  EXPECT_EQ(h.nodes.size(), 2u);
}

TEST(GraphOptimizer, GemmReluTakesTheEpilogue) {
  for (const char* isa : {"", "avx2", "scalar"}) {
    SCOPED_TRACE(std::string("isa '") + isa + "'");
    set_isa_cap_for_testing(isa);
    Builder b;
    const ValueId a = b.input("a", {4, 10});
    const ValueId gm = b.op("Gemm", {a, b.constant("w", {7, 10}, 1), b.constant("c", {7}, 2)}, {4, 7},
                            {int_attr("transB", 1)});
    const ValueId y = b.op("Relu", {gm}, {4, 7});
    const Graph original = b.finish({y});
    Graph g = original;
    ASSERT_TRUE(optimize_graph(g, {}).ok());
    ASSERT_EQ(g.nodes.size(), 1u);
    EXPECT_TRUE(has_relu_epilogue(g.nodes[0]));
    EXPECT_EQ(max_rel_error(run(original), run(g)), 0.0);
    set_isa_cap_for_testing("");
  }
}

TEST(GraphOptimizer, NonFloat32GraphsAreLeftAlone) {
  Builder b;
  const ValueId a = b.input("a", {3, 4}, DataType::kFloat64);
  const ValueId mm = b.op("MatMul", {a, b.constant("w", {4, 2}, 1, -1, 1, DataType::kFloat64)}, {3, 2}, {},
                          DataType::kFloat64);
  const ValueId y = b.op("Relu", {mm}, {3, 2}, {}, DataType::kFloat64);
  Graph g = b.finish({y});
  ASSERT_TRUE(optimize_graph(g, {}).ok());
  EXPECT_EQ(g.nodes.size(), 2u);
  EXPECT_FALSE(has_relu_epilogue(g.nodes[0]));
}

TEST(GraphOptimizer, DeadNodesAreRemovedAndOutputsKept) {
  Builder b;
  const ValueId x = b.input("x", {4});
  const ValueId used = b.op("Relu", {x}, {4});
  b.op("Sigmoid", {x}, {4});  // nobody reads it
  Graph g = b.finish({used});
  GraphOptimizationStats stats;
  ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
  EXPECT_EQ(stats.dead_nodes_removed, 1);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op_type, "Relu");
}

TEST(GraphOptimizer, DisabledPassesChangeNothingAndResultsAreDeterministic) {
  const Graph original = conv_bn_relu(true);
  Graph off = original;
  GraphOptimizationOptions none;
  none.fold_batch_norm = none.fuse_activation = none.fuse_bias = none.fuse_residual = none.remove_dead_nodes = false;
  none.fuse_max_pool = false;
  ASSERT_TRUE(optimize_graph(off, none).ok());
  EXPECT_EQ(off.nodes.size(), original.nodes.size());
  Graph a = original, b = original;
  ASSERT_TRUE(optimize_graph(a, {}).ok());
  ASSERT_TRUE(optimize_graph(b, {}).ok());
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t n = 0; n < a.nodes.size(); ++n) {
    EXPECT_EQ(a.nodes[n].inputs, b.nodes[n].inputs);
    EXPECT_EQ(a.nodes[n].outputs, b.nodes[n].outputs);
  }
  const std::vector<Tensor> ra = run(a), rb = run(b);
  EXPECT_EQ(max_rel_error(ra, rb), 0.0);
}

// Conv(X [1, cin, hw, hw], W [cout, cin/group, k, k], B) + R -> Relu, R a graph input.
struct ResidualCase {
  const char* what;
  int64_t cin, cout, hw, k, group;
};

TEST(GraphOptimizer, ConvAddReluBecomesOneConvOnEveryConvPath) {
  const ResidualCase cases[] = {
      {"im2col GEMM", 4, 8, 9, 3, 1},
      {"two K blocks (the residual only in the last one's epilogue)", 40, 16, 10, 3, 1},
      {"pointwise GEMM", 8, 16, 40, 1, 1},
      {"transposed (7x7 map)", 16, 32, 7, 1, 1},
      {"depthwise", 8, 8, 12, 3, 8},
      {"grouped", 8, 8, 6, 3, 2},
  };
  for (const char* isa : {"", "avx2", "scalar"})
  for (const ResidualCase& c : cases) {
    SCOPED_TRACE(std::string(c.what) + " isa '" + isa + "'");
    set_isa_cap_for_testing(isa);
    Builder b;
    const ValueId x = b.input("x", {1, c.cin, c.hw, c.hw});
    const ValueId r = b.input("r", {1, c.cout, c.hw, c.hw});
    const int64_t p = c.k / 2;
    const ValueId conv = b.op("Conv", {x, b.constant("w", {c.cout, c.cin / c.group, c.k, c.k}, 1), b.constant("b", {c.cout}, 2)},
                              {1, c.cout, c.hw, c.hw}, {ints_attr("pads", {p, p, p, p}), int_attr("group", c.group)});
    const ValueId add = b.op("Add", {r, conv}, {1, c.cout, c.hw, c.hw});
    const ValueId y = b.op("Relu", {add}, {1, c.cout, c.hw, c.hw});
    const Graph original = b.finish({y});
    Graph g = original;
    GraphOptimizationStats stats;
    ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
    EXPECT_EQ(stats.residuals_fused, 1);
    EXPECT_EQ(stats.activations_fused, 1);
    ASSERT_EQ(g.nodes.size(), 1u);
    ASSERT_EQ(g.nodes[0].inputs.size(), 4u);
    EXPECT_TRUE(has_relu_epilogue(g.nodes[0]));
    EXPECT_LE(max_rel_error(run(original), run(g)), 1e-5);
    set_isa_cap_for_testing("");
  }
}

// The nine-node LayerNorm of exporters without LayerNormalization, over the last axis of a
// [2, 7, 24] activation. `variant` breaks one condition of the rewrite at a time.
enum class LnVariant { kExact, kCommutedOperands, kGammaComputed, kVarianceIsAnOutput, kMiddleAxis, kCubed };
struct LnGraph {
  Graph graph;
  int nodes_before = 0;
};
LnGraph exported_layer_norm(LnVariant variant) {
  Builder b;
  const Shape s{2, 7, 24}, row{2, 7, 1};
  const ValueId x = b.input("x", s);
  const ValueId gamma_in = variant == LnVariant::kGammaComputed ? b.input("g", {24}) : kNoValue;
  const std::vector<int64_t> axes = {variant == LnVariant::kMiddleAxis ? 1 : -1};
  const Shape red = variant == LnVariant::kMiddleAxis ? Shape{2, 1, 24} : row;
  const ValueId mean = b.op("ReduceMean", {x}, red, {ints_attr("axes", axes)});
  const ValueId d = b.op("Sub", {x, mean}, s);
  const float power = variant == LnVariant::kCubed ? 3.0f : 2.0f;  // a constant: lo == hi
  const ValueId p = b.op("Pow", {d, b.constant("power", {}, 0, power, power)}, s);
  const ValueId var = b.op("ReduceMean", {p}, red, {ints_attr("axes", axes)});
  const ValueId eps = b.constant("eps", {}, 0, 1e-5f, 1e-5f);
  const ValueId ve = variant == LnVariant::kCommutedOperands ? b.op("Add", {eps, var}, red) : b.op("Add", {var, eps}, red);
  const ValueId sd = b.op("Sqrt", {ve}, red);
  const ValueId n = b.op("Div", {d, sd}, s);
  const ValueId gamma = variant == LnVariant::kGammaComputed ? gamma_in : b.constant("gamma", {24}, 3, 0.5f, 1.5f);
  const ValueId m = variant == LnVariant::kCommutedOperands ? b.op("Mul", {gamma, n}, s) : b.op("Mul", {n, gamma}, s);
  const ValueId y = b.op("Add", {m, b.constant("beta", {24}, 4)}, s);
  std::vector<ValueId> outs = {y};
  if (variant == LnVariant::kVarianceIsAnOutput) outs.push_back(var);
  LnGraph r{b.finish(outs), 9};
  return r;
}

TEST(GraphOptimizer, ExportedLayerNormBecomesLayerNormalization) {
  for (LnVariant v : {LnVariant::kExact, LnVariant::kCommutedOperands}) {
    SCOPED_TRACE(static_cast<int>(v));
    LnGraph ln = exported_layer_norm(v);
    Graph g = ln.graph;
    GraphOptimizationStats stats;
    ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
    EXPECT_EQ(stats.layer_norms_fused, 1);
    ASSERT_EQ(g.nodes.size(), 1u);
    EXPECT_EQ(g.nodes[0].op_type, "LayerNormalization");
    ASSERT_NE(g.nodes[0].find_attribute("epsilon"), nullptr);
    EXPECT_FLOAT_EQ(g.nodes[0].find_attribute("epsilon")->f, 1e-5f);
    EXPECT_EQ(g.values[g.outputs[0]].name, ln.graph.values[ln.graph.outputs[0]].name);
    // Against the nine nodes run one by one (ReduceMean, Sub, Pow, ... kernels).
    EXPECT_LE(max_rel_error(run(ln.graph), run(g)), 1e-5);
  }
}

TEST(GraphOptimizer, LayerNormLookalikesAreLeftAlone) {
  // A computed gamma, an intermediate the caller reads, a reduction over another axis, and
  // Pow(d, 3): each stays nine nodes and computes what it did.
  for (LnVariant v : {LnVariant::kGammaComputed, LnVariant::kVarianceIsAnOutput, LnVariant::kMiddleAxis, LnVariant::kCubed}) {
    SCOPED_TRACE(static_cast<int>(v));
    LnGraph ln = exported_layer_norm(v);
    Graph g = ln.graph;
    GraphOptimizationStats stats;
    ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
    EXPECT_EQ(stats.layer_norms_fused, 0);
    EXPECT_EQ(static_cast<int>(g.nodes.size()), ln.nodes_before);
    EXPECT_LE(max_rel_error(run(ln.graph), run(g)), 0.0);
  }
}

TEST(GraphOptimizer, ConvBatchNormAddWithoutBiasKeepsTheResidualSlot) {
  // Conv without bias -> BN (adds a bias) -> Add -> Relu; and a Conv without bias and no BN.
  Builder b;
  const ValueId x = b.input("x", {1, 4, 8, 8});
  const ValueId c1 = b.op("Conv", {x, b.constant("w1", {4, 4, 1, 1}, 1)}, {1, 4, 8, 8});
  const ValueId c2 = b.op("Conv", {x, b.constant("w2", {4, 4, 3, 3}, 2)}, {1, 4, 8, 8}, {ints_attr("pads", {1, 1, 1, 1})});
  const ValueId bn = b.op("BatchNormalization",
                          {c2, b.constant("s", {4}, 3, 0.5f, 1.5f), b.constant("bt", {4}, 4), b.constant("m", {4}, 5),
                           b.constant("v", {4}, 6, 0.5f, 1.0f)},
                          {1, 4, 8, 8});
  const ValueId add = b.op("Add", {bn, c1}, {1, 4, 8, 8});
  const ValueId y = b.op("Relu", {add}, {1, 4, 8, 8});
  const Graph original = b.finish({y});
  Graph g = original;
  ASSERT_TRUE(optimize_graph(g, {}).ok());
  EXPECT_EQ(g.nodes.size(), 2u);  // the shortcut Conv and one fused Conv
  EXPECT_LE(max_rel_error(run(original), run(g)), 1e-5);
}

TEST(GraphOptimizer, BroadcastingOrUnknownResidualsAreNotFused) {
  for (bool unknown : {false, true}) {
    Builder b;
    const ValueId x = b.input("x", {1, 4, 5, 5});
    const ValueId conv = b.op("Conv", {x, b.constant("w", {4, 4, 1, 1}, 1)}, {1, 4, 5, 5});
    const ValueId r = b.input("r", unknown ? Shape{1, 4, 5, 5} : Shape{1, 4, 1, 1});
    const ValueId y = b.op("Add", {conv, r}, {1, 4, 5, 5});
    Graph g = b.finish({y});
    if (unknown) g.values[r].shape.reset();
    GraphOptimizationStats stats;
    ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
    EXPECT_EQ(stats.residuals_fused, 0);
    EXPECT_EQ(g.nodes.size(), 2u);
  }
}

TEST(GraphOptimizer, ConvPlusPerChannelConstantBecomesTheConvBias) {
  // CNTK's Conv -> Add(B [C,1,1]) -> Relu; also [1,C,1,1], a scalar, and a Conv with a bias.
  const std::vector<Shape> shapes = {{6, 1, 1}, {1, 6, 1, 1}, {1}};
  for (const Shape& bias_shape : shapes)
    for (bool conv_bias : {false, true}) {
      SCOPED_TRACE(shape_to_string(bias_shape) + (conv_bias ? " with conv bias" : ""));
      Builder b;
      const ValueId x = b.input("x", {1, 3, 8, 8});
      std::vector<ValueId> in = {x, b.constant("w", {6, 3, 3, 3}, 1)};
      if (conv_bias) in.push_back(b.constant("cb", {6}, 3));
      const ValueId conv = b.op("Conv", in, {1, 6, 6, 6});
      const ValueId add = b.op("Add", {b.constant("c", bias_shape, 2), conv}, {1, 6, 6, 6});
      const ValueId y = b.op("Relu", {add}, {1, 6, 6, 6});
      const Graph original = b.finish({y});
      Graph g = original;
      GraphOptimizationStats stats;
      ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
      EXPECT_EQ(stats.conv_biases_fused, 1);
      ASSERT_EQ(g.nodes.size(), 1u);
      EXPECT_TRUE(has_relu_epilogue(g.nodes[0]));
      EXPECT_LE(max_rel_error(run(original), run(g)), 1e-5);
    }
}

TEST(GraphOptimizer, ConstantThatIsNotPerChannelStays) {
  for (const Shape& shape : std::vector<Shape>{{6, 6}, {6, 1}, {1, 1, 6, 6, 1}}) {
    Builder b;
    const ValueId x = b.input("x", {1, 3, 6, 6});
    const ValueId conv = b.op("Conv", {x, b.constant("w", {6, 3, 1, 1}, 1)}, {1, 6, 6, 6});
    const ValueId y = b.op("Add", {conv, b.constant("c", shape, 2)}, {1, 6, 6, 6});
    Graph g = b.finish({y});
    GraphOptimizationStats stats;
    ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
    EXPECT_EQ(stats.conv_biases_fused, 0) << shape_to_string(shape);
    EXPECT_EQ(g.nodes.size(), 2u);
  }
}

TEST(GraphOptimizer, SymbolicResidualIsFusedAndBroadcastingOnesStillComputeRight) {
  // Declared: x [1, 4, H, W], r [1, 4, H2, W2] (exporters give fresh symbols): fused. Run
  // with r of the output's shape, with an r that broadcasts into it, and with one that
  // makes the output larger: the last two take the kernel's slow path.
  Builder b;
  const ValueId x = b.input("x", {1, 4, 6, 7});
  const ValueId r = b.input("r", {1, 4, 6, 7});
  const ValueId conv = b.op("Conv", {x, b.constant("w", {4, 4, 3, 3}, 1), b.constant("b", {4}, 2)}, {1, 4, 6, 7},
                            {ints_attr("pads", {1, 1, 1, 1})});
  const ValueId add = b.op("Add", {conv, r}, {1, 4, 6, 7});
  const ValueId y = b.op("Relu", {add}, {1, 4, 6, 7});
  for (ValueId v : {x, r, conv, add, y}) {
    b.symbolic(v, 2, v == r ? "H2" : "H");
    b.symbolic(v, 3, v == r ? "W2" : "W");
  }
  const Graph original = b.finish({y});
  Graph g = original;
  GraphOptimizationStats stats;
  ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
  EXPECT_EQ(stats.residuals_fused, 1);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_LE(max_rel_error(run(original, 7, {{1, 4, 6, 7}, {1, 4, 6, 7}}), run(g, 7, {{1, 4, 6, 7}, {1, 4, 6, 7}})),
            1e-5);
  EXPECT_LE(max_rel_error(run(original, 7, {{1, 4, 6, 7}, {1, 4, 1, 7}}), run(g, 7, {{1, 4, 6, 7}, {1, 4, 1, 7}})),
            1e-5);
  EXPECT_LE(max_rel_error(run(original, 7, {{1, 4, 1, 7}, {1, 4, 6, 7}}), run(g, 7, {{1, 4, 1, 7}, {1, 4, 6, 7}})),
            1e-5);
}

TEST(GraphOptimizer, MatMulBiasResidualReluBecomesOneMatMul) {
  // The transformer's x + Linear(h): MatMul -> Add(bias) -> Add(x) [-> Relu], every ISA.
  for (const char* isa : {"", "avx2", "scalar"})
  for (bool relu : {false, true}) {
    SCOPED_TRACE(std::string("isa '") + isa + "'" + (relu ? " relu" : ""));
    set_isa_cap_for_testing(isa);
    Builder b;
    const ValueId x = b.input("x", {1, 8, 16});
    const ValueId h = b.input("h", {1, 8, 12});
    const ValueId mm = b.op("MatMul", {h, b.constant("w", {12, 16}, 1)}, {1, 8, 16});
    const ValueId biased = b.op("Add", {mm, b.constant("bias", {16}, 2)}, {1, 8, 16});
    ValueId y = b.op("Add", {x, biased}, {1, 8, 16});
    if (relu) y = b.op("Relu", {y}, {1, 8, 16});
    const Graph original = b.finish({y});
    Graph g = original;
    GraphOptimizationStats stats;
    ASSERT_TRUE(optimize_graph(g, {}, &stats).ok());
    EXPECT_EQ(stats.biases_fused, 1);
    EXPECT_EQ(stats.residuals_fused, 1);
    ASSERT_EQ(g.nodes.size(), 1u);
    ASSERT_EQ(g.nodes[0].inputs.size(), 4u);
    EXPECT_EQ(has_relu_epilogue(g.nodes[0]), relu);
    EXPECT_LE(max_rel_error(run(original), run(g)), 1e-6);
    set_isa_cap_for_testing("");
  }
}

TEST(GraphOptimizer, MatMulResidualWhoseShapeDiffersAtRunTimeStillComputesRight) {
  Builder b;
  const ValueId h = b.input("h", {1, 8, 12});
  const ValueId x = b.input("x", {1, 8, 16});
  const ValueId mm = b.op("MatMul", {h, b.constant("w", {12, 16}, 1)}, {1, 8, 16});
  const ValueId y = b.op("Add", {mm, x}, {1, 8, 16});
  for (ValueId v : {h, mm, y}) b.symbolic(v, 1, "S");
  b.symbolic(x, 1, "T");
  const Graph original = b.finish({y});
  Graph g = original;
  ASSERT_TRUE(optimize_graph(g, {}).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  for (const std::vector<Shape>& shapes : std::vector<std::vector<Shape>>{
           {{1, 8, 12}, {1, 8, 16}}, {{1, 8, 12}, {1, 1, 16}}, {{1, 1, 12}, {1, 8, 16}}}) {
    EXPECT_LE(max_rel_error(run(original, 7, shapes), run(g, 7, shapes)), 1e-6) << shape_to_string(shapes[1]);
  }
}

}  // namespace
}  // namespace braid::detail
