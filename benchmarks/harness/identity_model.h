// A one-Identity ONNX model written by hand (protobuf wire format, no library): what a run
// call costs a runtime with next to no work. braid-bench --compare times it in Braid and
// through ORT via Node to measure the binding's overhead (BENCHMARKS.md).
//
//   std::ofstream("identity.onnx", std::ios::binary) << identity_model(1000);
#pragma once

#include <cstdint>
#include <string>

namespace braid::bench {

// ModelProto bytes (IR 7, opset 13) of Y = Identity(X), X and Y float [1, n]. Thread-safe.
std::string identity_model(int64_t n);

}  // namespace braid::bench
