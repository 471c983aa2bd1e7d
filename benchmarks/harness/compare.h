// braid-bench --compare ort: Braid and ONNX Runtime 1.30 on the same models, the same
// inputs and the same scenario, interleaved: every round runs one block of
// each configuration (Braid's modes x precisions, ORT sequential/intra=N and
// parallel/inter=N) in an order rotated from round to round, so that drift of the machine
// hits all of them. With --interference, a quiet phase and then a phase with the
// competitor running. Prints a table per phase with the ratios to ORT's best configuration
// and one output check line per model (docs/harness.md).
#pragma once

#include <memory>

#include "bench_options.h"
#include "braid/runtime.h"
#include "efficiency.h"
#include "report.h"
#include "resource_timeline.h"
#include "trace_recorder.h"

namespace braid::bench {

// Runs the comparison and fills `report.compare`; `runtime` is what the Braid sessions
// share (null: the process-wide default); `trace` (may be null) gets every Braid
// configuration as a phase of its own; `timeline` (may be null) is labelled per phase;
// `ceilings` are what the %FMA column divides by.
// Returns the exit code: 0, 1 when a configuration failed or outputs disagree, 3 when ONNX
// Runtime is not installed.
int compare_main(const BenchOptions& o, const std::shared_ptr<Runtime>& runtime, RunReport& report,
                 TraceRecorder* trace, ResourceTimeline* timeline, const Ceilings& ceilings);

}  // namespace braid::bench
