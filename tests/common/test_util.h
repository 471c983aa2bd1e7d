// Helpers shared by Braid's tests: paths to model folders, tensor comparison.
#pragma once

#include <memory>
#include <string>

#include <vector>

#include "braid/fake_resource_source.h"
#include "braid/resource.h"
#include "braid/runtime.h"
#include "braid/session.h"
#include "braid/tensor.h"

namespace braid::testing {

// ../shared/models beside the checkout.
std::string shared_models_dir();
// Where the build writes the bundled workloads (inception.onnx, ...).
std::string bundled_models_dir();

// Fills a float tensor with seeded values in [-1, 1) (never all zeros).
void fill_random(Tensor& t, uint32_t seed);
// One seeded random tensor per input of `s` (seeds seed, seed+1, ...); unknown dims take
// `dynamic_dim`.
NamedTensors random_inputs(const Session& s, uint32_t seed, int64_t dynamic_dim = 1);

// Empty string when `actual` matches `expected` (same dtype and shape; floats within
// atol + rtol*|expected|, NaN where NaN; integers and bools exactly), else a description.
std::string compare_tensors(const Tensor& expected, const Tensor& actual, double rtol, double atol);

// True when `a` and `b` hold the same names with the same shapes and bytes (bitwise);
// otherwise false, with the first differing name in `*which` when given.
bool same_bits(const NamedTensors& a, const NamedTensors& b, std::string* which = nullptr);

// A runtime of `threads` threads whose only resource source plays `timeline` (a
// FakeResourceSource, one step per sample; no machine sources, no calibration, a 1 ms
// monitor period). Returns once the monitor has published a sample taken after the source
// was added: the samples before it (the monitor starts with the runtime) lack it.
std::shared_ptr<Runtime> scripted_runtime(std::vector<FakeResourceSource::Step> timeline, int threads = 2);

}  // namespace braid::testing
