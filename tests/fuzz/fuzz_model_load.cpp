// libFuzzer target: arbitrary bytes as an ONNX model -> Session::load_from_memory. When the
// bytes load and every input has a static shape (< 1e6 elements in all), the model is run
// once in sequential mode on zero-filled inputs, under a memory budget and a deadline so
// that each execution stays fast. Any crash, sanitizer report, leak, abort or timeout is a
// bug: malformed models must give a Status.
#include "fuzz_targets.h"

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "braid/session.h"
#include "fuzz_common.h"

namespace {

constexpr int64_t kMaxRunElements = 1'000'000;

bool zero_inputs(const braid::Session& session, braid::NamedTensors& out) {
  int64_t total = 0;
  for (const braid::TensorInfo& info : session.inputs()) {
    if (!info.has_shape) return false;
    int64_t n = 1;
    for (int64_t d : info.shape) {
      if (d < 0 || d > kMaxRunElements) return false;  // symbolic/unknown, or too large
      n *= d;
      if (n > kMaxRunElements) return false;
    }
    total += n;
    if (total > kMaxRunElements) return false;
    auto t = braid::Tensor::zeros(info.dtype, info.shape);
    if (!t.ok()) return false;  // e.g. a string input: nothing to run
    out.emplace(info.name, std::move(t).value());
  }
  return true;
}

}  // namespace

namespace braid::fuzz {

int model_load_one(const uint8_t* data, size_t size) {
  braid::SessionOptions options;
  options.mode = braid::ExecutionMode::kSequential;
  options.threads = 1;
  options.memory_budget_bytes = size_t{256} << 20;
  options.runtime = braid::fuzz::fuzz_runtime();
  auto session = braid::Session::load_from_memory(data, size, options);
  if (!session.ok()) return 0;
  braid::NamedTensors inputs;
  if (!zero_inputs(session.value(), inputs)) return 0;
  braid::RunOptions run;
  run.mode = braid::ExecutionMode::kSequential;
  run.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  auto outputs = session.value().run(inputs, run);
  (void)outputs;  // any Status is fine; only crashes count
  return 0;
}

}  // namespace braid::fuzz

#ifndef BRAID_FUZZ_NO_ENTRY
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return braid::fuzz::model_load_one(data, size);
}
#endif
