// braid-bench --html: one self-contained page (inline SVG and CSS, no script, no network)
// with the summary table, a latency histogram and CDF per model x mode, the subgraph runs
// of one request per traced model x mode, and the resource vector over the run.
#pragma once

#include <ostream>
#include <vector>

#include "report.h"
#include "trace_recorder.h"

namespace braid::bench {

// Not thread-safe.
void write_html(std::ostream& os, const RunReport& r, const std::vector<TracedRun>& runs,
                const std::vector<TracePhase>& phases);

}  // namespace braid::bench
