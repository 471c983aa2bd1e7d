// The body of each fuzz target, callable without libFuzzer: the fuzz binaries wrap one each
// in LLVMFuzzerTestOneInput, and fuzz_regression_test replays the seed corpora and every
// reproducer in tests/fuzz/regressions/<target>/ through them in the normal build.
#pragma once

#include <cstddef>
#include <cstdint>

namespace braid::fuzz {

int model_load_one(const uint8_t* data, size_t size);
int tensor_proto_one(const uint8_t* data, size_t size);
int bench_args_one(const uint8_t* data, size_t size);
int host_graph_one(const uint8_t* data, size_t size);

}  // namespace braid::fuzz
