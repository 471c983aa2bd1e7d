// custom_op MODEL.onnx: registers a host kernel for ai.onnx.contrib::Square (y = x * x),
// loads a model that uses it, runs it and checks y = Relu((Relu(x) - 0.5)^2).
#include <braid/braid.h>

#include <cmath>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return std::printf("usage: custom_op MODEL.onnx\n"), 2;
  braid::CustomOp square;
  square.domain = "ai.onnx.contrib";
  square.op_type = "Square";
  square.compute = [](braid::CustomOpContext& ctx) -> braid::Status {
    const braid::Tensor& x = ctx.input(0);
    auto y = ctx.allocate_output(0, x.dtype(), x.shape());
    if (!y.ok()) return y.status();
    for (int64_t i = 0; i < x.numel(); ++i) (*y)->data<float>()[i] = x.data<float>()[i] * x.data<float>()[i];
    return {};
  };
  square.flops = [](const std::vector<braid::Shape>& in) {
    double n = 1;
    for (int64_t d : in.at(0)) n *= static_cast<double>(d);
    return n;
  };
  if (auto st = braid::register_custom_op(square); !st.ok()) return std::printf("%s\n", st.to_string().c_str()), 1;
  auto session = braid::Session::load(argv[1]);
  if (!session.ok()) return std::printf("%s\n", session.status().to_string().c_str()), 1;
  braid::Tensor x = braid::Tensor::empty(braid::DataType::kFloat32, {2, 8}).value();
  for (int i = 0; i < 16; ++i) x.data<float>()[i] = 0.2f * static_cast<float>(i - 6);
  auto out = session->run({{"x", x}});
  if (!out.ok()) return std::printf("%s\n", out.status().to_string().c_str()), 1;
  int wrong = 0;
  for (int i = 0; i < 16; ++i) {
    const double r = std::max(0.0, static_cast<double>(x.data<float>()[i])) - 0.5;
    wrong += std::fabs(out->at("y").data<float>()[i] - r * r) > 1e-6;
  }
  std::printf("custom op Square ran: %d of 16 outputs wrong\n", wrong);
  return wrong == 0 ? 0 : 1;
}
