// Custom ops (include/braid/custom_op.h): a host kernel for an op Braid does not know runs
// inside ONNX sessions in every mode, reads its attributes, reports errors with the node,
// feeds its cost function to the scheduler; bad registrations and unknown ops are refused.
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

#include <cmath>

#include "braid/braid.h"
#include "model_builder/model_builder.h"

using namespace braid;
namespace mg = braid::modelgen;

namespace {

// y = scale * x^3 in the "ai.onnx.contrib" domain (a name Braid has no kernel for).
void register_cube() {
  static bool done = [] {
    CustomOp op;
    op.domain = "ai.onnx.contrib";
    op.op_type = "ScaledCube";
    op.compute = [](CustomOpContext& ctx) -> Status {
      const Tensor& x = ctx.input(0);
      if (x.dtype() != DataType::kFloat32) return invalid_argument("ScaledCube: float32 only");
      const float scale = ctx.attr_float("scale", 1.0f);
      if (ctx.attr_string("mode", "ok") == "fail") return internal_error("asked to fail");
      BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DataType::kFloat32, x.shape()));
      for (int64_t i = 0; i < x.numel(); ++i) {
        const float v = x.data<float>()[i];
        y->data<float>()[i] = scale * v * v * v;
      }
      return {};
    };
    op.flops = [](const std::vector<Shape>& in) {
      double n = 1;
      for (int64_t d : in.at(0)) n *= static_cast<double>(d);
      return 3.0 * n;
    };
    EXPECT_TRUE(register_custom_op(std::move(op)).ok());
    return true;
  }();
  (void)done;
}

std::string cube_model(float scale, const char* mode = "ok", const char* domain = "ai.onnx.contrib") {
  mg::GraphBuilder g("cube", 1);
  g.input("x", mg::DType::kFloat, {2, 8});
  std::string h = g.node("ScaledCube", {"x"}, 1)[0];
  g.output(g.rename(h, "y"), mg::DType::kFloat, {2, 8});
  onnx::ModelProto m = g.finish(13);
  for (auto& n : *m.mutable_graph()->mutable_node()) {
    if (n.op_type() != "ScaledCube") continue;
    n.set_domain(domain);
    auto* a = n.add_attribute();
    a->set_name("scale");
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(scale);
    auto* b = n.add_attribute();
    b->set_name("mode");
    b->set_type(onnx::AttributeProto::STRING);
    b->set_s(mode);
  }
  auto* op = m.add_opset_import();
  op->set_domain(domain);
  op->set_version(1);
  return m.SerializeAsString();
}

Tensor input() {
  Tensor t = Tensor::empty(DataType::kFloat32, {2, 8}).value();
  for (int i = 0; i < 16; ++i) t.data<float>()[i] = 0.25f * static_cast<float>(i - 7);
  return t;
}

}  // namespace

TEST(CustomOp, RunsInEveryModeWithItsAttributes) {
  register_cube();
  const std::string bytes = cube_model(0.5f);
  for (ExecutionMode mode : {ExecutionMode::kSequential, ExecutionMode::kStatic, ExecutionMode::kAdaptive}) {
    SessionOptions o;
    o.mode = mode;
    auto s = Session::load_from_memory(bytes.data(), bytes.size(), o);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    Tensor x = input();
    auto out = s->run({{"x", x}});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    const Tensor& y = out->at("y");
    for (int i = 0; i < 16; ++i) {
      const double v = x.data<float>()[i];
      EXPECT_NEAR(y.data<float>()[i], 0.5 * v * v * v, 1e-6) << execution_mode_name(mode) << " element " << i;
    }
  }
}

TEST(CustomOp, TheCostFunctionReachesTheScheduler) {
  register_cube();
  const std::string bytes = cube_model(1.0f);
  auto s = Session::load_from_memory(bytes.data(), bytes.size());
  ASSERT_TRUE(s.ok());
  double flops = 0;
  for (const SubgraphProfile& p : s->subgraph_profile()) flops += p.flops;
  EXPECT_DOUBLE_EQ(flops, 3.0 * 16);
}

TEST(CustomOp, ErrorsNameTheNodeAndTheSessionStaysUsable) {
  register_cube();
  const std::string failing = cube_model(1.0f, "fail");
  auto s = Session::load_from_memory(failing.data(), failing.size());
  ASSERT_TRUE(s.ok());
  auto out = s->run({{"x", input()}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("asked to fail"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("ScaledCube"), std::string::npos) << out.status().message();
  const std::string good = cube_model(1.0f);
  auto ok = Session::load_from_memory(good.data(), good.size());
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->run({{"x", input()}}).ok());
}

TEST(CustomOp, BadRegistrationsAndUnknownOpsAreRefused) {
  CustomOp no_compute;
  no_compute.domain = "x";
  no_compute.op_type = "Y";
  EXPECT_FALSE(register_custom_op(no_compute).ok());
  CustomOp no_name;
  no_name.compute = [](CustomOpContext&) { return Status(); };
  EXPECT_FALSE(register_custom_op(no_name).ok());
  // The same op in a domain nobody registered: the load names it.
  const std::string bytes = cube_model(1.0f, "ok", "com.example.unregistered");
  auto s = Session::load_from_memory(bytes.data(), bytes.size());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("ScaledCube"), std::string::npos) << s.status().message();
}
