// The LoadGen-style scenarios of braid-bench: how requests are issued and what is timed.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "bench_options.h"
#include "braid/session.h"

namespace braid::bench {

// One request of a client thread (closed-loop scenarios), for the trace.
struct RequestSpan {
  int64_t start_ns = 0, end_ns = 0;  // std::chrono::steady_clock
  int tid = 0;                       // OS thread id of the client
};

struct ScenarioSamples {
  std::vector<double> latency_ms;  // one per completed request
  double seconds = 0;              // wall time of the measured part
  size_t over_bound = 0;           // server: requests slower than --latency-bound
  std::vector<RequestSpan> spans;  // single- and multi-stream with --trace or --html
  // RunStats::kernels_by_precision of the last request (single- and multi-stream; -1: none).
  int64_t kernels_by_precision[kPrecisionCount] = {-1, -1, -1};
  // Largest RunStats::peak_activation_bytes of any request (single- and multi-stream; -1: none).
  int64_t peak_activation_bytes = -1;
};

// Runs the measured part of `o.scenario` (warm-up done by the caller) on `s` with `in`:
// single-stream and multi-stream time each run() call; server times from each request's
// scheduled (Poisson) arrival to its completion, so queueing counts; offline keeps
// `concurrency` requests submitted and reports throughput. Server and offline retire
// requests in submission order (a request's completion is seen when it and every
// earlier one are done). `completed` (may be null) counts finished requests as they
// finish, for the progress line.
Result<ScenarioSamples> run_scenario(const Session& s, const NamedTensors& in, const BenchOptions& o,
                                     std::atomic<size_t>* completed = nullptr);

}  // namespace braid::bench
