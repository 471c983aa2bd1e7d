// braid-inspect: prints how the partitioner splits a model into subgraphs (count, sizes,
// the widest level, critical-path vs total cost and the inter-op speedup bound) and
// writes the DSDG as a Graphviz dot file.
//
//   braid-inspect model.onnx [--dot out.dot] [--budget BYTES] [--in-flight K]
//                 [--split-heavy K] [--threshold-ns NS] [--shape NAME=1x3x224x224]
//                 [--nominal] [--list] [--probe] [--no-fusion]
// The graph is fused first, as Session::load does (--no-fusion: as imported).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "onnx/onnx_importer.h"
#include "opt/graph_optimizer.h"
#include "partition/machine_balance.h"
#include "partition/op_splitter.h"
#include "partition/partitioner.h"

namespace {

using namespace braid;
using namespace braid::detail;

struct Args {
  std::string model;
  std::string dot;
  double budget = 0;
  int in_flight = 1;
  int split = 0;
  double threshold_ns = -1;  // <0: derived from the measured dispatch overhead
  bool nominal = false;
  bool list = false;
  bool probe = false;
  bool fusion = true;
  std::vector<std::pair<std::string, Shape>> shapes;
};

void usage() {
  std::fprintf(stderr,
               "usage: braid-inspect model.onnx [--dot out.dot] [--budget BYTES] [--in-flight K]\n"
               "                     [--split-heavy K] [--threshold-ns NS] [--shape NAME=1x3x224x224]\n"
               "                     [--nominal] [--list] [--probe] [--no-fusion]\n"
               "  --budget BYTES    memory-aware mode: every subgraph's peak working set <= BYTES / K\n"
               "  --in-flight K     subgraphs the budget assumes at once (default 1)\n"
               "  --split-heavy K   split every heavy Conv/MatMul/Gemm into K slices first\n"
               "  --threshold-ns NS tiny-subgraph merge threshold (default: 10 x measured dispatch)\n"
               "  --shape N=AxBxC   concrete shape of input N (resolves symbolic dims)\n"
               "  --nominal         use the nominal machine instead of measuring this one\n"
               "  --list            print every subgraph\n"
               "  --probe           run the dispatch-overhead probe now and print every figure\n"
               "  --no-fusion       partition the graph as imported (sessions fuse it by default)\n");
}

bool parse_number(const char* s, double& out) {
  char* end = nullptr;
  out = std::strtod(s, &end);
  if (end == s) return false;
  if (*end == 'k' || *end == 'K') out *= 1e3, ++end;
  else if (*end == 'M') out *= 1 << 20, ++end;
  else if (*end == 'G') out *= double(1 << 30), ++end;
  return *end == '\0' && out >= 0;
}

bool parse_args(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto value = [&](double& out) { return i + 1 < argc && parse_number(argv[++i], out); };
    double v = 0;
    if (s == "--dot" && i + 1 < argc) a.dot = argv[++i];
    else if (s == "--budget" && value(v)) a.budget = v;
    else if (s == "--in-flight" && value(v) && v >= 1) a.in_flight = static_cast<int>(v);
    else if (s == "--split-heavy" && value(v) && v >= 2) a.split = static_cast<int>(v);
    else if (s == "--threshold-ns" && value(v)) a.threshold_ns = v;
    else if (s == "--nominal") a.nominal = true;
    else if (s == "--list") a.list = true;
    else if (s == "--probe") a.probe = true;
    else if (s == "--no-fusion") a.fusion = false;
    else if (s == "--shape" && i + 1 < argc) {
      std::string spec = argv[++i];
      const size_t eq = spec.find('=');
      if (eq == std::string::npos) return false;
      Shape shape;
      std::stringstream dims(spec.substr(eq + 1));
      std::string d;
      while (std::getline(dims, d, 'x')) shape.push_back(std::atoll(d.c_str()));
      a.shapes.emplace_back(spec.substr(0, eq), shape);
    } else if (!s.empty() && s[0] != '-' && a.model.empty()) a.model = s;
    else return false;
  }
  return !a.model.empty();
}

std::string human_bytes(double b) {
  char buf[32];
  if (b >= 1 << 30) std::snprintf(buf, sizeof(buf), "%.2f GiB", b / (1 << 30));
  else if (b >= 1 << 20) std::snprintf(buf, sizeof(buf), "%.2f MiB", b / (1 << 20));
  else if (b >= 1 << 10) std::snprintf(buf, sizeof(buf), "%.1f KiB", b / (1 << 10));
  else std::snprintf(buf, sizeof(buf), "%.0f B", b);
  return buf;
}

std::string human_ns(double ns) {
  char buf[32];
  if (ns >= 1e6) std::snprintf(buf, sizeof(buf), "%.2f ms", ns / 1e6);
  else if (ns >= 1e3) std::snprintf(buf, sizeof(buf), "%.1f us", ns / 1e3);
  else std::snprintf(buf, sizeof(buf), "%.0f ns", ns);
  return buf;
}

// "Conv x3, Relu x3, Concat" for a subgraph's ops, in first-seen order.
std::string op_summary(const Graph& g, const Subgraph& s, size_t max_kinds = 4) {
  std::vector<std::pair<std::string, int>> kinds;
  for (NodeId n : s.nodes) {
    const std::string& op = g.nodes[n].op_type;
    auto it = std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.first == op; });
    if (it == kinds.end()) kinds.emplace_back(op, 1);
    else ++it->second;
  }
  std::string out;
  for (size_t i = 0; i < kinds.size() && i < max_kinds; ++i) {
    if (!out.empty()) out += ", ";
    out += kinds[i].first + (kinds[i].second > 1 ? " x" + std::to_string(kinds[i].second) : "");
  }
  if (kinds.size() > max_kinds) out += ", ...";
  return out;
}

std::string dot_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}

bool write_dot(const std::string& path, const std::string& model, const Graph& g, const PartitionPlan& p) {
  std::ofstream out(path);
  if (!out) return false;
  out << "// DSDG of " << model << " written by braid-inspect: one box per subgraph (red: compute-bound,\n"
      << "// blue: memory-bound), edges labelled with the bytes they carry. Render: dot -Tsvg.\n";
  out << "digraph dsdg {\n  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n"
      << "  edge [fontname=\"Helvetica\", fontsize=9];\n"
      << "  label=\"" << dot_escape(model) << ": " << p.subgraphs.size() << " subgraphs, width " << p.max_width
      << ", critical path " << human_ns(p.critical_path_ns) << " of " << human_ns(p.total_cost_ns)
      << "\";\n";
  for (const Subgraph& s : p.subgraphs) {
    out << "  s" << s.id << " [label=\"S" << s.id << " (" << s.nodes.size() << " node" << (s.nodes.size() == 1 ? "" : "s")
        << ")\\n" << dot_escape(op_summary(g, s, 3)) << "\\n" << human_ns(s.est_ns) << ", rank "
        << human_ns(s.upward_rank) << "\\nws " << human_bytes(s.peak_working_set) << "\", fillcolor=\""
        << (s.compute_bound ? "#f4b6a6" : "#b6d4f4") << "\"];\n";
  }
  for (const DataEdge& e : p.edges)
    out << "  s" << e.from << " -> s" << e.to << " [label=\"" << human_bytes(e.bytes) << "\"];\n";
  out << "}\n";
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, args)) {
    usage();
    return 2;
  }
  if (args.probe) {
    const DispatchProbe d = run_dispatch_probe();
    std::printf("dispatch probe (%d threads): spawn+wait %.0f ns, fork/join %.0f ns per task, flow-graph hand-off "
                "%.0f ns, cross-thread round trip %.0f ns (after 1 ms idle: %.0f ns; %d clean, %d waited for a CPU)"
                " -> overhead %.0f ns%s\n",
                d.threads, d.spawn_wait_ns, d.fork_join_ns, d.flow_graph_ns, d.cross_thread_ns, d.cold_cross_thread_ns,
                d.clean_round_trips, d.contended_round_trips, d.overhead_ns(), d.contended ? " (contended)" : "");
  }
  Result<Graph> imported = import_onnx_file(args.model);
  if (!imported.ok()) {
    std::fprintf(stderr, "braid-inspect: %s\n", imported.status().message().c_str());
    return 1;
  }
  Graph graph = std::move(imported).value();
  if (args.fusion) {
    const size_t before = graph.nodes.size();
    GraphOptimizationStats fs;
    Status st = optimize_graph(graph, GraphOptimizationOptions{}, &fs);
    if (!st.ok()) {
      std::fprintf(stderr, "braid-inspect: graph fusion: %s\n", st.message().c_str());
      return 1;
    }
    std::map<std::string, int> ops;
    for (const Node& n : graph.nodes) ++ops[n.op_type];
    std::string remaining;
    for (const char* op : {"BatchNormalization", "Relu", "Add"})
      if (ops.count(op)) remaining += std::string(remaining.empty() ? "" : ", ") + op + " " + std::to_string(ops[op]);
    std::printf("graph fusion: %zu -> %zu nodes (%d BatchNorm folded, %d Conv bias Add, %d residual Add, %d MatMul "
                "bias, %d Relu, %d MaxPool, %d LayerNorm, %d dead)%s%s\n",
                before, graph.nodes.size(), fs.batch_norms_folded, fs.conv_biases_fused, fs.residuals_fused, fs.biases_fused,
                fs.activations_fused, fs.max_pools_fused, fs.layer_norms_fused, fs.dead_nodes_removed, remaining.empty() ? "" : "; left: ",
                remaining.c_str());
  }
  const size_t original_nodes = graph.nodes.size();

  PartitionOptions opt;
  opt.balance = args.nominal ? nominal_machine_balance() : machine_balance();
  opt.min_subgraph_cost_ns =
      args.threshold_ns >= 0 ? args.threshold_ns : merge_threshold_ns(opt.balance.dispatch_overhead_ns);
  opt.memory_budget_bytes = args.budget;
  opt.max_in_flight = args.in_flight;
  if (!args.shapes.empty()) {
    Result<ShapeBindings> b = bind_input_shapes(graph, args.shapes);
    if (!b.ok()) {
      std::fprintf(stderr, "braid-inspect: %s\n", b.status().message().c_str());
      return 1;
    }
    opt.shapes = *b;
  }
  std::vector<std::string> split_names;
  if (args.split > 0) {
    SplitOptions so;
    so.slices = args.split;
    so.shapes = opt.shapes;
    Result<Graph> split = split_heavy_ops(graph, so, &split_names);
    if (!split.ok()) {
      std::fprintf(stderr, "braid-inspect: %s\n", split.status().message().c_str());
      return 1;
    }
    graph = std::move(split).value();  // input value ids are unchanged, so opt.shapes still applies
  }
  Result<PartitionPlan> planned = partition(graph, opt);
  if (!planned.ok()) {
    std::fprintf(stderr, "braid-inspect: %s\n", planned.status().message().c_str());
    return 1;
  }
  const PartitionPlan& p = *planned;

  const MachineBalance& m = opt.balance;
  std::printf("model:          %s (%zu nodes, opset %d)\n", args.model.c_str(), original_nodes, graph.default_opset);
  std::printf("machine:        %.0f GFLOP/s per core x %d, %.1f GB/s (%.1f one core), balance %.1f FLOP/B [%s]\n",
              m.gflops_per_core, m.cores, m.gbps, m.gbps_one_core, m.balance(), m.source.c_str());
  std::printf("dispatch:       %s per subgraph -> merge threshold %s\n", human_ns(m.dispatch_overhead_ns).c_str(),
              human_ns(opt.min_subgraph_cost_ns).c_str());
  for (ValueId v : graph.inputs) {
    const Value& in = graph.values[v];
    std::string dims;
    if (in.shape) {
      for (const Dim& d : *in.shape) {
        if (!dims.empty()) dims += "x";
        dims += d.known() ? std::to_string(d.value) : (d.symbol.empty() ? "?" : d.symbol);
      }
    } else {
      dims = "rank unknown";
    }
    std::printf("input:          %s [%s]%s\n", in.name.c_str(), dims.c_str(),
                opt.shapes.values.count(v) ? "  (bound by --shape)" : "");
  }
  if (args.split > 0) {
    std::printf("split-heavy:    %zu op(s) split %d ways (%zu nodes after)\n", split_names.size(), args.split,
                graph.nodes.size());
    for (const std::string& n : split_names) std::printf("                  %s\n", n.c_str());
  }
  std::vector<size_t> sizes;
  for (const Subgraph& s : p.subgraphs) sizes.push_back(s.nodes.size());
  std::sort(sizes.begin(), sizes.end());
  std::printf("subgraphs:      %zu", p.subgraphs.size());
  if (!sizes.empty())
    std::printf("  (nodes per subgraph: min %zu, median %zu, max %zu)", sizes.front(), sizes[sizes.size() / 2],
                sizes.back());
  std::printf("\n");
  std::map<int, int> per_level;
  int levels = 0;
  for (const Subgraph& s : p.subgraphs) {
    ++per_level[s.level];
    levels = std::max(levels, s.level + 1);
  }
  std::printf("levels:         %d, widest level %d subgraphs\n", levels, p.max_width);
  size_t compute = 0;
  for (const Subgraph& s : p.subgraphs) compute += s.compute_bound;
  std::printf("bound:          %zu compute-bound, %zu memory-bound\n", compute, p.subgraphs.size() - compute);
  double edge_bytes = 0;
  for (const DataEdge& e : p.edges) edge_bytes += e.bytes;
  std::printf("edges:          %zu carrying %s\n", p.edges.size(), human_bytes(edge_bytes).c_str());
  std::printf("cost:           total %s, critical path %s\n", human_ns(p.total_cost_ns).c_str(),
              human_ns(p.critical_path_ns).c_str());
  std::printf("speedup bound:  %.2fx (total / critical path: inter-op parallelism alone)\n", p.speedup_bound());
  std::printf("working set:    largest subgraph peak %s", human_bytes(p.max_peak_working_set).c_str());
  if (p.memory_budget_bytes > 0)
    std::printf(" (budget %s / %d in flight = cap %s)", human_bytes(p.memory_budget_bytes).c_str(), p.max_in_flight,
                human_bytes(p.working_set_cap).c_str());
  std::printf("\n");

  if (args.list) {
    std::printf("\n  id  lvl nodes      est       rank    GFLOP  bound  ops\n");
    for (const Subgraph& s : p.subgraphs)
      std::printf("%4u %4d %5zu %9s %10s %8.3f  %s  %s\n", s.id, s.level, s.nodes.size(), human_ns(s.est_ns).c_str(),
                  human_ns(s.upward_rank).c_str(), s.cost.flops / 1e9, s.compute_bound ? "comp" : "mem ",
                  op_summary(graph, s).c_str());
  }
  if (!args.dot.empty()) {
    if (!write_dot(args.dot, args.model, graph, p)) {
      std::fprintf(stderr, "braid-inspect: cannot write %s\n", args.dot.c_str());
      return 1;
    }
    std::printf("dot:            %s\n", args.dot.c_str());
  }
  return 0;
}
