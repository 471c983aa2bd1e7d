// Cost model, shape resolution and machine balance: FLOPs/bytes/workspace by op type,
// unknown dims as 1 unless bound, per-precision bytes, the roofline time, the balance
// override format and the dispatch-overhead probe.
#include "partition/cost_model.h"

#include <gtest/gtest.h>

#include "kernels/parallel.h"
#include "partition/machine_balance.h"
#include "partition/shape_resolver.h"
#include "unit/partition/test_graphs.h"

namespace braid::detail {
namespace {

using testing::TestGraph;
using testing::int_attr;
using testing::ints_attr;

TEST(CostModel, ConvCountsMacsBiasBytesAndPackBlock) {
  TestGraph b;
  ValueId x = b.input("x", {1, 3, 224, 224});
  ValueId w = b.constant("w", {64, 3, 7, 7});
  ValueId bias = b.constant("b", {64});
  ValueId y = b.op("Conv", {x, w, bias}, {1, 64, 112, 112}, "conv",
                   {ints_attr("strides", {2, 2}), ints_attr("pads", {3, 3, 3, 3})});
  Graph g = b.finish({y});
  const Cost c = estimate_node_costs(g)[0];
  const double out = 64.0 * 112 * 112;
  EXPECT_DOUBLE_EQ(c.flops, 2 * out * 147 + out);
  EXPECT_DOUBLE_EQ(c.bytes_read, (3.0 * 224 * 224 + 64 * 147 + 64) * 4);
  EXPECT_DOUBLE_EQ(c.bytes_written, out * 4);
  EXPECT_DOUBLE_EQ(c.workspace_bytes, 1 << 20);  // implicit im2col: one packed block, not 7.4 MB
  EXPECT_GT(c.intensity(), 50);
}

TEST(CostModel, ConvWithAFusedMaxPoolCountsTheConvolutionsOutputs) {
  // The stem with its MaxPool fused (graph fusion): the output is the pooled 56 x 56 map,
  // the work that of the 112 x 112 convolution.
  TestGraph b;
  ValueId x = b.input("x", {1, 3, 224, 224});
  ValueId w = b.constant("w", {64, 3, 7, 7});
  ValueId y = b.op("Conv", {x, w}, {1, 64, 56, 56}, "conv",
                   {ints_attr("strides", {2, 2}), ints_attr("pads", {3, 3, 3, 3}),
                    ints_attr("braid_fused_max_pool", {3, 2, 1})});
  Graph g = b.finish({y});
  const Cost c = estimate_node_costs(g)[0];
  EXPECT_DOUBLE_EQ(c.flops, 2 * (64.0 * 112 * 112) * 147);
  EXPECT_DOUBLE_EQ(c.bytes_written, 64.0 * 56 * 56 * 4);
}

TEST(CostModel, MatMulGemmAndDefaults) {
  TestGraph b;
  ValueId x = b.input("x", {4, 128});
  ValueId w = b.constant("w", {128, 256});
  ValueId m = b.op("MatMul", {x, w}, {4, 256}, "mm");
  ValueId wt = b.constant("wt", {256, 128});
  ValueId c = b.constant("c", {256});
  ValueId gm = b.op("Gemm", {x, wt, c}, {4, 256}, "gemm", {int_attr("transB", 1)});
  ValueId r = b.op("Reshape", {gm, b.constant("s", {2})}, {1, 1024}, "reshape");
  ValueId f = b.op("FooBar", {m}, {2, 8}, "foo");
  Graph g = b.finish({r, f});
  const std::vector<Cost> costs = estimate_node_costs(g);
  EXPECT_DOUBLE_EQ(costs[0].flops, 2.0 * 4 * 256 * 128);
  EXPECT_DOUBLE_EQ(costs[0].bytes_read, (4.0 * 128 + 128 * 256) * 4);
  EXPECT_DOUBLE_EQ(costs[0].workspace_bytes, 0);  // B is constant: prepacked at load
  EXPECT_DOUBLE_EQ(costs[1].flops, 2.0 * 4 * 256 * 128 + 4 * 256);
  EXPECT_DOUBLE_EQ(costs[2].bytes(), 0);          // Reshape is a view
  EXPECT_DOUBLE_EQ(costs[3].flops, 16);           // unknown op: one FLOP per output element
  EXPECT_DOUBLE_EQ(costs[3].bytes_read, 4.0 * 256 * 4);
  EXPECT_DOUBLE_EQ(costs[3].bytes_written, 16.0 * 4);
}

TEST(CostModel, UnknownDimsAreOneUnlessBound) {
  TestGraph b;
  ValueId x = b.input("x", {-1, 64}, {"batch"});
  ValueId y = b.op("Relu", {x}, {-1, 64}, "relu");
  Graph g = b.finish({y});
  EXPECT_DOUBLE_EQ(estimate_node_costs(g)[0].flops, 64);
  auto bound = bind_input_shapes(g, {{"x", {4, 64}}});
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  EXPECT_EQ(bound->symbols.at("batch"), 4);
  EXPECT_DOUBLE_EQ(estimate_node_costs(g, *bound)[0].flops, 256);
}

TEST(CostModel, LowerPrecisionShrinksBytesOfSupportedOpsOnly) {
  TestGraph b;
  ValueId x = b.input("x", {1, 128});
  ValueId w = b.constant("w", {128, 128});
  ValueId m = b.op("MatMul", {x, w}, {1, 128}, "mm");
  ValueId r = b.op("Relu", {m}, {1, 128}, "relu");
  Graph g = b.finish({r});
  const auto f32 = estimate_node_costs(g, {}, Precision::kF32);
  const auto bf16 = estimate_node_costs(g, {}, Precision::kBF16);
  const auto int8 = estimate_node_costs(g, {}, Precision::kInt8);
  EXPECT_DOUBLE_EQ(bf16[0].bytes(), f32[0].bytes() / 2);
  EXPECT_DOUBLE_EQ(int8[0].bytes(), f32[0].bytes() / 4);
  EXPECT_DOUBLE_EQ(bf16[0].flops, f32[0].flops);
  EXPECT_DOUBLE_EQ(bf16[1].bytes(), f32[1].bytes());
  EXPECT_TRUE(op_supports_precision("Conv", Precision::kInt8));
  EXPECT_FALSE(op_supports_precision("Softmax", Precision::kBF16));
  EXPECT_STREQ(precision_name(Precision::kBF16), "bf16");
}

TEST(CostModel, RooflineTime) {
  MachineBalance m;
  m.gflops_per_core = 100;
  m.cores = 2;
  m.gbps = 15;
  m.gbps_one_core = 10;
  CostModelOptions o;
  o.compute_efficiency = 0.5;
  o.node_overhead_ns = 50;
  Cost compute;
  compute.flops = 1e9;
  EXPECT_DOUBLE_EQ(estimate_time_ns(compute, m, o), 1e9 / 50 + 50);
  EXPECT_DOUBLE_EQ(estimate_time_ns(compute, m, o, Precision::kF32, 2), 1e9 / 100 + 50);
  EXPECT_DOUBLE_EQ(estimate_time_ns(compute, m, o, Precision::kF32, 8), 1e9 / 100 + 50);  // 2 cores
  EXPECT_DOUBLE_EQ(estimate_time_ns(compute, m, o, Precision::kBF16), 1e9 / 100 + 50);
  Cost memory;
  memory.bytes_read = 1e9;
  EXPECT_DOUBLE_EQ(estimate_time_ns(memory, m, o), 1e8 + 50);
  EXPECT_DOUBLE_EQ(estimate_time_ns(memory, m, o, Precision::kF32, 2), 1e9 / 15 + 50);
  EXPECT_DOUBLE_EQ(estimate_time_ns(memory, m, o, Precision::kF32, 1, 3), 1e8 + 150);
  EXPECT_DOUBLE_EQ(m.balance(), 200.0 / 15);
  EXPECT_TRUE(is_compute_bound(compute, m));
  EXPECT_FALSE(is_compute_bound(memory, m));
}

TEST(ShapeResolver, PropagatesBoundSymbolsThroughConvAndPool) {
  TestGraph b;
  ValueId x = b.input("x", {-1, 3, -1, -1}, {"N", "", "H", "W"});
  ValueId w = b.constant("w", {8, 3, 3, 3});
  ValueId y = b.op("Conv", {x, w}, {-1, 8, -1, -1}, "conv",
                   {ints_attr("strides", {2, 2}), ints_attr("pads", {1, 1, 1, 1})});
  ValueId p = b.op("MaxPool", {y}, {-1, 8, -1, -1}, "pool",
                   {ints_attr("kernel_shape", {2, 2}), ints_attr("strides", {2, 2})});
  ValueId t = b.op("Transpose", {p}, {-1, -1, -1, -1}, "tr", {ints_attr("perm", {0, 2, 3, 1})});
  Graph g = b.finish({t});
  auto bound = bind_input_shapes(g, {{"x", {2, 3, 32, 48}}});
  ASSERT_TRUE(bound.ok());
  const std::vector<Shape> s = resolve_shapes(g, *bound);
  EXPECT_EQ(s[y], (Shape{2, 8, 16, 24}));
  EXPECT_EQ(s[p], (Shape{2, 8, 8, 12}));
  EXPECT_EQ(s[t], (Shape{2, 8, 12, 8}));
  const std::vector<Shape> unbound = resolve_shapes(g);
  EXPECT_EQ(unbound[x], (Shape{1, 3, 1, 1}));
  EXPECT_EQ(unbound[y], (Shape{1, 8, 1, 1}));
}

TEST(ShapeResolver, ReshapeConcatMatMulAndUnknownRank) {
  TestGraph b;
  ValueId x = b.input("x", {-1, 4, 6}, {"N"});
  Tensor shape = Tensor::from_vector<int64_t>({2}, {0, -1}).value();
  ValueId sv = b.constant("shape", {2});
  b.graph().values[sv].constant = shape;
  b.graph().values[sv].dtype = DataType::kInt64;
  ValueId r = b.op("Reshape", {x, sv}, {-1, -1}, "reshape");
  ValueId c = b.op("Concat", {r, r}, {-1, -1}, "concat", {int_attr("axis", 1)});
  ValueId w = b.constant("w", {48, 5});
  ValueId m = b.op("MatMul", {c, w}, {-1, 5}, "mm");
  ValueId u = b.op("Mystery", {m}, {}, "mystery");
  b.graph().values[u].shape.reset();  // rank unknown
  Graph g = b.finish({u});
  auto bound = bind_input_shapes(g, {{"x", {3, 4, 6}}});
  ASSERT_TRUE(bound.ok());
  const std::vector<Shape> s = resolve_shapes(g, *bound);
  EXPECT_EQ(s[r], (Shape{3, 24}));
  EXPECT_EQ(s[c], (Shape{3, 48}));
  EXPECT_EQ(s[m], (Shape{3, 5}));
  EXPECT_EQ(s[u], (Shape{3, 5}));  // falls back to the largest input
}

TEST(ShapeResolver, BindInputShapesRejectsMismatches) {
  TestGraph b;
  ValueId x = b.input("x", {-1, 4}, {"N"});
  ValueId y = b.input("y", {-1, 4}, {"N"});
  ValueId z = b.op("Add", {x, y}, {-1, 4}, "add");
  Graph g = b.finish({z});
  EXPECT_FALSE(bind_input_shapes(g, {{"nope", {1, 4}}}).ok());
  EXPECT_FALSE(bind_input_shapes(g, {{"x", {1, 4, 1}}}).ok());
  EXPECT_FALSE(bind_input_shapes(g, {{"x", {1, 5}}}).ok());
  EXPECT_FALSE(bind_input_shapes(g, {{"x", {2, 4}}, {"y", {3, 4}}}).ok());
  EXPECT_TRUE(bind_input_shapes(g, {{"x", {2, 4}}, {"y", {2, 4}}}).ok());
}

TEST(MachineBalance, OverrideFormat) {
  auto m = parse_machine_balance("576,49", 2);
  ASSERT_TRUE(m.ok());
  EXPECT_DOUBLE_EQ(m->gflops_per_core, 288);
  EXPECT_DOUBLE_EQ(m->peak_gflops(), 576);
  EXPECT_DOUBLE_EQ(m->gbps, 49);
  EXPECT_NEAR(m->balance(), 11.76, 0.01);
  EXPECT_EQ(m->source, "env");
  for (const char* bad : {"", "abc", "1", "0,5", "5,-1", "5,6,7x", "5;6"})
    EXPECT_FALSE(parse_machine_balance(bad, 2).ok()) << bad;
  EXPECT_NEAR(nominal_machine_balance().balance(), 11.76, 0.01);
  EXPECT_DOUBLE_EQ(merge_threshold_ns(2000, 0.1), 20000);
  EXPECT_DOUBLE_EQ(merge_threshold_ns(2000, 0.0), 0);
}

TEST(MachineBalance, DispatchProbeMeasuresSomething) {
  const DispatchProbe p = run_dispatch_probe(2);
  EXPECT_EQ(p.threads, 2);
  EXPECT_GT(p.spawn_wait_ns, 0);
  EXPECT_GT(p.fork_join_ns, 0);
  EXPECT_GT(p.flow_graph_ns, 0);
  EXPECT_GT(p.clean_round_trips + p.contended_round_trips, 0);
  if (p.contended) {
    // A busy machine: round trips waited for a CPU, so the cross-thread figure is not charged.
    EXPECT_EQ(p.cross_thread_ns, 0);
    EXPECT_GT(p.contended_round_trips, 0);
  } else {
    EXPECT_GT(p.cross_thread_ns, 0);
    EXPECT_GE(p.overhead_ns(), p.cross_thread_ns);
  }
  EXPECT_LT(p.overhead_ns(), 1e6);  // under a millisecond even on a loaded machine
  EXPECT_GE(p.overhead_ns(), p.spawn_wait_ns);
}

TEST(MachineBalance, ThisMachineHasPeaksAndOverhead) {
  const MachineBalance& m = machine_balance();
  EXPECT_GT(m.gflops_per_core, 0);
  EXPECT_GT(m.gbps, 0);
  EXPECT_GT(m.gbps_one_core, 0);
  EXPECT_GT(m.dispatch_overhead_ns, 0);
  EXPECT_GT(m.balance(), 0);
  EXPECT_FALSE(m.source.empty());
  EXPECT_EQ(&m, &machine_balance());  // computed once
  EXPECT_EQ(core_gflops(), m.gflops_per_core);  // the kernels' grains follow this core
}

}  // namespace
}  // namespace braid::detail
