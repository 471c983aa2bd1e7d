// The elementwise kernels end to end: a small ONNX model through Session, every op
// registered for every opset it exists in up to 17, and one kernel object computing
// concurrently from several threads.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <thread>

#include "braid/session.h"
#include "elementwise_test_util.h"
#include "kernels/op_kernel.h"
#include "kernels/registry.h"

namespace braid {
namespace {

using namespace ewtest;

void add_input(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims) {
  onnx::ValueInfoProto* v = g->add_input();
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
}

TEST(ElementwiseSession, AddReluSoftmaxReduceMeanModel) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(13);
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name("ew");
  add_input(g, "x", {2, 3, 5});
  add_input(g, "b", {3, 1});
  auto node = [&](const std::string& op, std::vector<std::string> in, const std::string& out) {
    onnx::NodeProto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(op);
    for (auto& i : in) n->add_input(i);
    n->add_output(out);
    return n;
  };
  node("Add", {"x", "b"}, "s");
  node("Relu", {"s"}, "r");
  node("Softmax", {"r"}, "p");
  onnx::NodeProto* mean = node("ReduceMean", {"p"}, "m");
  onnx::AttributeProto* axes = mean->add_attribute();
  axes->set_name("axes");
  axes->set_type(onnx::AttributeProto::INTS);
  axes->add_ints(1);
  onnx::ValueInfoProto* m_info = g->add_output();
  m_info->set_name("m");
  auto* m_type = m_info->mutable_type()->mutable_tensor_type();
  m_type->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {2, 1, 5}) m_type->mutable_shape()->add_dim()->set_dim_value(d);
  const std::string bytes = model.SerializeAsString();
  SessionOptions opt;
  opt.mode = ExecutionMode::kSequential;
  auto session = Session::load_from_memory(bytes.data(), bytes.size(), opt);
  ASSERT_TRUE(session.ok()) << session.status().to_string();

  const std::vector<double> xv = random_values(30, 1, -2, 2), bv = random_values(3, 2, -1, 1);
  NamedTensors in;
  in["x"] = make_tensor(DataType::kFloat32, {2, 3, 5}, xv);
  in["b"] = make_tensor(DataType::kFloat32, {3, 1}, bv);
  auto out = session->run(in);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const Tensor& m = out->at("m");
  ASSERT_EQ(m.shape(), (Shape{2, 1, 5}));
  for (int n = 0; n < 2; ++n)
    for (int k = 0; k < 5; ++k) {
      double acc = 0;
      for (int c = 0; c < 3; ++c) {
        double row[5], mx = -1e300, s = 0;
        for (int j = 0; j < 5; ++j) {
          row[j] = std::max(0.0, static_cast<double>(static_cast<float>(xv[(n * 3 + c) * 5 + j])) +
                                     static_cast<float>(bv[c]));
          mx = std::max(mx, row[j]);
        }
        for (double v : row) s += std::exp(v - mx);
        acc += std::exp(row[k] - mx) / s;
      }
      EXPECT_NEAR(element(m, n * 5 + k), acc / 3, 1e-6);
    }
}

TEST(ElementwiseRegistry, EveryOpHasAKernelAtEveryOpsetItExistsIn) {
  const std::vector<std::pair<const char*, int>> ops = {
      {"Relu", 1}, {"LeakyRelu", 1}, {"PRelu", 1}, {"Elu", 1}, {"Selu", 1}, {"Celu", 12}, {"Sigmoid", 1},
      {"HardSigmoid", 1}, {"HardSwish", 14}, {"Tanh", 1}, {"Erf", 9}, {"Softplus", 1}, {"Softsign", 1},
      {"ThresholdedRelu", 10}, {"Shrink", 9}, {"Clip", 1}, {"Abs", 1}, {"Neg", 1}, {"Reciprocal", 1}, {"Floor", 1},
      {"Ceil", 1}, {"Round", 11}, {"Sign", 9}, {"Sqrt", 1}, {"Exp", 1}, {"Log", 1}, {"Sin", 7}, {"Cos", 7},
      {"Tan", 7}, {"Asin", 7}, {"Acos", 7}, {"Atan", 7}, {"Sinh", 9}, {"Cosh", 9}, {"Asinh", 9}, {"Acosh", 9},
      {"Atanh", 9}, {"IsNaN", 9}, {"IsInf", 10}, {"Not", 1}, {"Add", 1}, {"Sub", 1}, {"Mul", 1}, {"Div", 1},
      {"Pow", 1}, {"Mod", 10}, {"BitShift", 11}, {"And", 1}, {"Or", 1}, {"Xor", 1}, {"Equal", 1}, {"Less", 1},
      {"LessOrEqual", 12}, {"Greater", 1}, {"GreaterOrEqual", 12}, {"Where", 9}, {"Min", 1}, {"Max", 1},
      {"Sum", 1}, {"Mean", 1}, {"Cast", 1}, {"CastLike", 15}, {"Softmax", 1}, {"LogSoftmax", 1}, {"Hardmax", 1},
      {"ReduceMean", 1}, {"ReduceSum", 1}, {"ReduceMax", 1}, {"ReduceMin", 1}, {"ReduceProd", 1},
      {"ReduceL1", 1}, {"ReduceL2", 1}, {"ReduceLogSum", 1}, {"ReduceLogSumExp", 1}, {"ReduceSumSquare", 1},
      {"ArgMax", 1}, {"ArgMin", 1}, {"CumSum", 11}};
  for (const auto& [op, since] : ops)
    for (int opset = since; opset <= 17; ++opset)
      EXPECT_NE(detail::OpRegistry::global().find("", op, opset), nullptr) << op << " opset " << opset;
}

// One kernel object, many threads computing at once with different intra-op budgets.
TEST(ElementwiseConcurrency, OneKernelComputesConcurrently) {
  for (const char* op : {"Add", "Softmax", "ReduceMean"}) {
    detail::Graph g;
    detail::Node node;
    node.name = "n";
    node.op_type = op;
    node.opset = 13;
    for (int i = 0; i < (std::string(op) == "Add" ? 2 : 1); ++i) {
      detail::Value v;
      v.name = "in" + std::to_string(i);
      v.dtype = DataType::kFloat32;
      node.inputs.push_back(g.add_value(v));
    }
    detail::Value out;
    out.name = "out";
    node.outputs.push_back(g.add_value(out));
    g.nodes.push_back(node);
    ASSERT_TRUE(g.finalize().ok());
    detail::KernelInit init{&g, &g.nodes[0]};
    auto kernel = detail::OpRegistry::global().find("", op, 13)->create(init);
    ASSERT_TRUE(kernel.ok());
    const int64_t rows = 64, cols = 4099;
    Tensor a = make_tensor(DataType::kFloat32, {rows, cols}, random_values(rows * cols, 1));
    Tensor b = make_tensor(DataType::kFloat32, {cols}, random_values(cols, 2));
    const Tensor* ins[] = {&a, &b};
    auto run = [&](int threads) {
      Tensor outs[1];
      detail::KernelContext ctx;
      ctx.node = &g.nodes[0];
      ctx.inputs = std::span<const Tensor* const>(ins, node.inputs.size());
      ctx.outputs = std::span<Tensor>(outs, 1);
      ctx.max_threads = threads;
      EXPECT_TRUE((*kernel)->compute(ctx).ok());
      return elements(outs[0]);
    };
    const std::vector<double> want = run(1);
    std::vector<std::thread> pool;
    std::vector<std::vector<double>> got(8);
    const int budgets[] = {1, 2, 4, static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))};
    for (int t = 0; t < 8; ++t) pool.emplace_back([&, t] { got[t] = run(budgets[t % 4]); });
    for (auto& th : pool) th.join();
    for (const auto& v : got) EXPECT_EQ(v, want) << op;
  }
}

}  // namespace
}  // namespace braid
