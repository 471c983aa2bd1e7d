// braid-bench --compare ort's output check: Braid's outputs against ONNX Runtime's, element
// by element, for one request with the shared seeded inputs (docs/harness.md).
//
//   auto ort = parse_outputs_reply(server.request("outputs m0").value());
//   OutputDiff d = diff_outputs(braid_outputs, *ort);
//   bool ok = d.comparable && d.max_rel_err <= kF32OutputTolerance;
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "braid/session.h"
#include "braid/status.h"

namespace braid::bench {

// f32 outputs agree when every element is within this share of the output's largest
// magnitude (in ORT's output): f32 kernels that sum in another order differ by about 1e-6
// of it, a wrong kernel by far more.
inline constexpr double kF32OutputTolerance = 1e-4;

// One output as ort_serve.mjs's `outputs` request returns it.
struct PeerOutput {
  std::string name;   // URI-decoded
  std::string dtype;  // ort.Tensor.type: float32, int64, ...
  int64_t numel = 0;
  std::string bytes;  // raw little-endian values (empty for string tensors)
};

// Parses "ok NAME DTYPE NUMEL BASE64 ...". Thread-safe.
Result<std::vector<PeerOutput>> parse_outputs_reply(const std::string& line);

// The largest difference over every output. Floating outputs (float32, float64): absolute
// error, and that error over the output's largest |ORT value| (the worst output's share);
// other numeric outputs must be equal element for element (an unequal one counts as relative
// error 1). `comparable` is false, with `why`, when the outputs' names, dtypes or counts
// differ, or an output is not numeric.
struct OutputDiff {
  bool comparable = false;
  std::string why;
  int64_t numel = 0;       // elements compared
  double max_abs_err = 0;  // over floating outputs
  double max_rel_err = 0;  // max over outputs of (max |braid - ort|) / (max |ort|)
  double max_magnitude = 0;  // max |ORT value| of the output with the largest relative error
  std::string worst_output;
};
OutputDiff diff_outputs(const NamedTensors& braid, const std::vector<PeerOutput>& ort);

}  // namespace braid::bench
