// libFuzzer target: arbitrary bytes as a serialized onnx::TensorProto (the input_*.pb files
// the harness and the conformance tests read) -> braid::parse_tensor_proto. A malformed
// file must give a Status, never a crash or an out-of-bounds read.
#include "fuzz_targets.h"

#include <cstddef>
#include <cstdint>

#include "braid/tensor.h"

namespace braid::fuzz {

int tensor_proto_one(const uint8_t* data, size_t size) {
  auto t = braid::parse_tensor_proto(data, size);
  if (t.ok()) {
    // Touch every byte so that a tensor whose storage is shorter than its shape says is
    // caught by ASan here, not later in a kernel.
    const braid::Tensor& tensor = t.value();
    const auto* bytes = static_cast<const volatile uint8_t*>(tensor.raw_data());
    uint8_t sum = 0;
    for (size_t i = 0; i < tensor.byte_size(); ++i) sum ^= bytes[i];
    (void)sum;
  }
  return 0;
}

}  // namespace braid::fuzz

#ifndef BRAID_FUZZ_NO_ENTRY
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return braid::fuzz::tensor_proto_one(data, size);
}
#endif
