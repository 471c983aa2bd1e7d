// braid-bench --compare ort's text output: a table per phase (compare.cpp measures, this
// prints) and the output check lines. Not thread-safe (stdout).
#pragma once

#include <string>
#include <vector>

#include "bench_options.h"
#include "report.h"

namespace braid::bench {

// The table of one phase, under `title`, with the ratios to ORT's best configuration.
void print_phase(const ComparePhase& ph, const std::string& title, const BenchOptions& o);

// One line per model: OK when every f32 configuration agrees, MISMATCH naming the first one
// that does not; then one line per configuration that is reported but not checked.
// Returns the number of models that mismatch.
int print_output_checks(const std::vector<OutputCheck>& checks);

}  // namespace braid::bench
