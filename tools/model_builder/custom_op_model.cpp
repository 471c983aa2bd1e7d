// braid-make-custom-op-model OUT.onnx: a small model whose middle node is a custom-domain
// op — ai.onnx.contrib::Square (y = x * x), which neither ONNX nor Braid defines — for
// examples/custom_op: y = Relu(Square(Relu(x) - 0.5)), x [2, 8].
#include <cstdio>
#include <fstream>

#include "model_builder/model_builder.h"
#include "onnx/onnx_pb.h"

namespace mg = braid::modelgen;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: braid-make-custom-op-model OUT.onnx\n");
    return 2;
  }
  mg::GraphBuilder g("custom_op_demo", 1);
  g.input("x", mg::DType::kFloat, {2, 8});
  const std::string half = g.initializer({1}, std::vector<float>{0.5f}, "half");
  const std::string shifted = g.op("Sub", {g.op("Relu", {"x"}), half});
  const std::string squared = g.op("Identity", {shifted});  // becomes the custom op below
  g.output(g.rename(g.op("Relu", {squared}), "y"), mg::DType::kFloat, {2, 8});
  onnx::ModelProto m = g.finish(13);
  if (!g.ok()) {
    std::fprintf(stderr, "braid-make-custom-op-model: %s\n", g.error().c_str());
    return 1;
  }
  for (auto& n : *m.mutable_graph()->mutable_node())
    if (n.op_type() == "Identity") {
      n.set_op_type("Square");
      n.set_domain("ai.onnx.contrib");
    }
  auto* op = m.add_opset_import();
  op->set_domain("ai.onnx.contrib");
  op->set_version(1);
  std::ofstream out(argv[1], std::ios::binary);
  if (!out || !m.SerializeToOstream(&out)) {
    std::fprintf(stderr, "braid-make-custom-op-model: cannot write %s\n", argv[1]);
    return 1;
  }
  return 0;
}
