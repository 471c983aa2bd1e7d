#include "node_profile.h"

#include <algorithm>
#include <set>

namespace braid::bench {

NodeProfile profile_nodes(const std::vector<TracedNode>& runs, const std::map<uint32_t, TracedNodeInfo>& info) {
  NodeProfile p;
  std::set<uint64_t> requests;
  std::map<uint32_t, std::vector<double>> us_of;
  std::map<uint32_t, int> threads_of;
  for (const TracedNode& r : runs) {
    requests.insert(r.request_id);
    us_of[r.node].push_back(static_cast<double>(r.end_ns - r.start_ns) / 1e3);
    int& t = threads_of[r.node];
    t = std::max(t, r.threads);
  }
  p.requests = requests.size();
  if (p.requests == 0) return p;
  const double per_request = 1.0 / static_cast<double>(p.requests);
  std::map<std::string, OpProfileRow> by_op;
  double total_us = 0;
  for (auto& [node, us] : us_of) {
    NodeProfileRow row;
    row.node = node;
    if (const auto it = info.find(node); it != info.end()) {
      row.name = it->second.name;
      row.op = it->second.op;
    } else {
      row.name = "node " + std::to_string(node);
      row.op.push_back('?');  // (not `= "?"`: GCC 12's false -Wrestrict, PR 105329)
    }
    row.runs = us.size();
    double sum = 0;
    for (double v : us) sum += v;
    row.mean_us = sum / static_cast<double>(us.size());
    std::nth_element(us.begin(), us.begin() + us.size() / 2, us.end());
    row.median_us = us[us.size() / 2];
    row.max_threads = threads_of[node];
    OpProfileRow& op = by_op[row.op];
    op.op = row.op;
    ++op.nodes;
    op.ms_per_request += sum * per_request / 1e3;
    total_us += sum;
    p.nodes.push_back(std::move(row));
  }
  p.node_ms_per_request = total_us * per_request / 1e3;
  for (auto& [name, op] : by_op) {
    op.share = p.node_ms_per_request > 0 ? op.ms_per_request / p.node_ms_per_request : 0;
    p.ops.push_back(op);
  }
  std::ranges::sort(p.ops, [](const OpProfileRow& a, const OpProfileRow& b) { return a.ms_per_request > b.ms_per_request; });
  std::ranges::sort(p.nodes, [](const NodeProfileRow& a, const NodeProfileRow& b) { return a.mean_us > b.mean_us; });
  return p;
}

void print_profile(std::FILE* out, const std::string& title, const NodeProfile& p, double request_p50_ms, size_t top) {
  std::fprintf(out, "\nprofile %s: %zu requests, nodes %.3f ms per request", title.c_str(), p.requests,
               p.node_ms_per_request);
  if (request_p50_ms >= 0) std::fprintf(out, " (request p50 %.3f ms)", request_p50_ms);
  std::fprintf(out, "\n  %-28s %5s %12s %7s\n", "op", "nodes", "ms/request", "share");
  for (const OpProfileRow& op : p.ops)
    std::fprintf(out, "  %-28s %5d %12.3f %6.1f%%\n", op.op.c_str(), op.nodes, op.ms_per_request, 100 * op.share);
  std::fprintf(out, "  slowest nodes:\n  %-5s %-32s %-22s %10s %10s %7s\n", "node", "name", "op", "mean us",
               "median us", "threads");
  for (size_t i = 0; i < p.nodes.size() && i < top; ++i) {
    const NodeProfileRow& n = p.nodes[i];
    std::fprintf(out, "  %-5u %-32.32s %-22.22s %10.1f %10.1f %7d\n", n.node, n.name.c_str(), n.op.c_str(), n.mean_us,
                 n.median_us, n.max_threads);
  }
  std::fflush(out);
}

}  // namespace braid::bench
