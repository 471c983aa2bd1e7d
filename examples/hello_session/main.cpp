// Loads a model, feeds every input with a deterministic ramp, runs it and prints the
// outputs' shapes and first values.   usage: hello_session model.onnx
#include <braid/braid.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s model.onnx\n", argv[0]);
    return 2;
  }
  auto session = braid::Session::load(argv[1]);
  if (!session.ok()) {
    std::fprintf(stderr, "load failed: %s\n", session.status().to_string().c_str());
    return 1;
  }
  braid::NamedTensors inputs;
  for (const braid::TensorInfo& info : session->inputs()) {
    braid::Shape shape;
    for (int64_t d : info.shape) shape.push_back(d < 0 ? 1 : d);
    auto t = braid::Tensor::empty(info.dtype, shape);
    if (!t.ok() || info.dtype != braid::DataType::kFloat32) {
      std::fprintf(stderr, "input %s: only float32 inputs in this example\n", info.name.c_str());
      return 1;
    }
    for (int64_t i = 0; i < t->numel(); ++i) t->data<float>()[i] = static_cast<float>(i % 17) / 17.0f;
    inputs[info.name] = std::move(t).value();
  }
  auto outputs = session->run(inputs);
  if (!outputs.ok()) {
    std::fprintf(stderr, "run failed: %s\n", outputs.status().to_string().c_str());
    return 1;
  }
  for (const auto& [name, t] : *outputs) {
    std::printf("%s %s", name.c_str(), braid::shape_to_string(t.shape()).c_str());
    if (t.dtype() == braid::DataType::kFloat32 && t.numel() > 0) std::printf(" first=%g", t.data<float>()[0]);
    std::printf("\n");
  }
  std::printf("braid %s ok\n", braid::version());
  return 0;
}
