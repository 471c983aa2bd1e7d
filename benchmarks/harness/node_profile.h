// --profile: where a model's time goes, from the node runs TraceRecorder kept for one model
// x mode (its measured requests): time per op type (with what fusion folded in) and the
// slowest nodes, the tables ONNX Runtime's profiler and OpenVINO's benchmark_app -pc give.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "trace_recorder.h"

namespace braid::bench {

struct NodeProfileRow {
  uint32_t node = 0;
  std::string name, op;
  size_t runs = 0;
  double mean_us = 0, median_us = 0;
  int max_threads = 1;
};

struct OpProfileRow {
  std::string op;
  int nodes = 0;              // distinct nodes of this op
  double ms_per_request = 0;  // their time summed, per request
  double share = 0;           // of all nodes' time
};

struct NodeProfile {
  size_t requests = 0;              // distinct requests with node runs
  double node_ms_per_request = 0;   // every node's time summed, per request
  std::vector<OpProfileRow> ops;    // slowest first
  std::vector<NodeProfileRow> nodes;  // slowest (by mean) first
};

NodeProfile profile_nodes(const std::vector<TracedNode>& runs, const std::map<uint32_t, TracedNodeInfo>& info);

// The tables, under "profile <title>"; `request_p50_ms` (< 0: unknown) is set beside the
// node time so that what runs outside nodes (or in parallel) shows. At most `top` nodes.
void print_profile(std::FILE* out, const std::string& title, const NodeProfile& p, double request_p50_ms,
                   size_t top = 10);

}  // namespace braid::bench
