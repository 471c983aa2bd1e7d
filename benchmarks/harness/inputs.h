// The inputs braid-bench feeds a model: --input TensorProto files where given, else seeded
// random values (never all zeros for float32) with the model's dims, dynamic dims taken
// from --shape, then --batch (first dim), then 1.
#pragma once

#include "bench_options.h"
#include "braid/session.h"

namespace braid::bench {

// Errors name the option and the input: an unknown input name, a dtype or rank mismatch, a
// --shape that contradicts a static dim. Thread-safe.
Result<NamedTensors> make_inputs(const Session& s, const BenchOptions& o);

// The dims an input gets from --shape / --batch (without --input). Thread-safe.
Result<Shape> input_shape(const TensorInfo& info, const BenchOptions& o);

}  // namespace braid::bench
