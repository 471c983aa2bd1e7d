#include "compare.h"

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "braid/braid.h"
#include "inputs.h"
#include "interference.h"
#include "ort_peer.h"

namespace fs = std::filesystem;

namespace braid::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kRtol = 2e-3;  // sums of outputs: f32 kernels that differ in summation order

double load_avg_1min() {
  double l[1] = {0};
  return getloadavg(l, 1) == 1 ? l[0] : -1;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// One configuration of one model: a Braid session or an ORT server's copy of the model.
struct Config {
  std::string runtime;  // braid | ort
  std::string name;
  bool f32 = false;  // Braid in f32 (its outputs are checked against ORT's)
  std::optional<Session> session;
  OrtServer* ort = nullptr;
  std::string ort_id;
  // Per phase, reset between phases:
  std::vector<double> ms;
  std::vector<double> round_p50;
  BlockReply last;  // the last block's output sums
  double first_run_ms = 0;
  std::string error;
};

struct Model {
  std::string name, path;
  NamedTensors inputs;
  std::vector<Config> configs;
  int block_iters = 1;
};

std::string interference_spec(const Interference& it) {
  switch (it.kind) {
    case Interference::Kind::kNone: return "none";
    case Interference::Kind::kCpu: return "cpu:" + std::to_string(it.threads);
    case Interference::Kind::kBursty:
      return "bursty:" + std::to_string(it.threads) + ":" + std::to_string(it.on_ms) + ":" + std::to_string(it.off_ms);
    case Interference::Kind::kMemory:
      return "mem:" + std::to_string(static_cast<double>(it.memory_bytes) / static_cast<double>(size_t{1} << 30)).substr(0, 4);
  }
  return "?";
}

// The sums of every f32 element of every output, as ort_serve.mjs computes them.
void sums(const NamedTensors& out, BlockReply& b) {
  b.numel = 0;
  b.sum = b.sum_abs = 0;
  for (const auto& [name, t] : out) {
    if (t.dtype() != DataType::kFloat32) continue;
    for (int64_t i = 0; i < t.numel(); ++i) {
      const double v = t.data<float>()[i];
      b.sum += v;
      b.sum_abs += std::fabs(v);
    }
    b.numel += t.numel();
  }
}

// Writes in<k>.bin (raw) and in<k>.shape for ort_serve.mjs, in the model's input order.
Status write_inputs(const Session& s, const NamedTensors& in, const fs::path& dir) {
  fs::create_directories(dir);
  for (size_t k = 0; k < s.inputs().size(); ++k) {
    const Tensor& t = in.at(s.inputs()[k].name);
    std::ofstream bin(dir / ("in" + std::to_string(k) + ".bin"), std::ios::binary);
    bin.write(static_cast<const char*>(t.raw_data()), static_cast<std::streamsize>(t.byte_size()));
    std::ofstream shape(dir / ("in" + std::to_string(k) + ".shape"));
    for (int64_t d : t.shape()) shape << d << ' ';
    if (!bin || !shape) return internal_error("cannot write the inputs to " + dir.string());
  }
  return {};
}

Result<BlockReply> braid_block(const Session& s, const NamedTensors& in, int warmup, int iters) {
  BlockReply b;
  NamedTensors out;
  for (int i = 0; i < warmup + iters; ++i) {
    const auto t0 = Clock::now();
    auto r = s.run(in);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!r.ok()) return r.status();
    if (i >= warmup) b.ms.push_back(ms);
    out = std::move(r).value();
  }
  sums(out, b);
  return b;
}

Result<BlockReply> run_block(Model& m, Config& c, int warmup, int iters) {
  if (c.ort) {
    BRAID_ASSIGN_OR_RETURN(std::string reply, c.ort->request("run " + c.ort_id + " " + std::to_string(warmup) + " " +
                                                                 std::to_string(iters)));
    return parse_block_reply(reply);
  }
  return braid_block(*c.session, m.inputs, warmup, iters);
}

// Loads and warms up every configuration of `path`; the first run is timed on its own.
Model prepare_model(const std::string& path, const BenchOptions& o, const std::shared_ptr<Runtime>& runtime,
                    const std::vector<std::pair<std::string, OrtServer*>>& orts, const fs::path& work, int index) {
  Model m;
  m.path = path;
  m.name = fs::path(path).stem().string();
  for (ExecutionMode mode : o.modes)
    for (PrecisionMode p : o.precisions) {
      Config c;
      c.runtime = "braid";
      c.name = std::string(execution_mode_name(mode)) + "/" + precision_mode_name(p);
      c.f32 = p == PrecisionMode::kF32;
      SessionOptions so;
      so.mode = mode;
      so.threads = o.threads;
      so.graph_optimization = o.graph_optimization;
      so.memory_budget_bytes = o.memory_budget;
      so.precision = p;
      so.runtime = runtime;
      auto s = Session::load(path, so);
      if (!s.ok()) c.error = s.status().to_string();
      else c.session.emplace(std::move(s).value());
      if (c.session && m.inputs.empty()) {
        auto in = make_inputs(*c.session, o);
        if (!in.ok()) c.error = in.status().to_string();
        else m.inputs = std::move(in).value();
        if (c.error.empty()) {
          Status st = write_inputs(*c.session, m.inputs, work / ("model" + std::to_string(index)));
          if (!st.ok()) c.error = st.to_string();
        }
      }
      if (c.error.empty() && m.inputs.empty()) c.error = "no inputs (an earlier configuration failed to load)";
      m.configs.push_back(std::move(c));
    }
  const fs::path in_dir = work / ("model" + std::to_string(index));
  for (const auto& [name, server] : orts) {
    Config c;
    c.runtime = "ort";
    c.name = name;
    c.ort = server;
    c.ort_id = "m" + std::to_string(index);
    if (m.inputs.empty()) {
      c.error = "no inputs (Braid failed to load the model)";
    } else {
      auto r = server->request("load " + c.ort_id + " sequential " + in_dir.string() + " " + fs::absolute(path).string());
      if (!r.ok()) c.error = r.status().message();
    }
    m.configs.push_back(std::move(c));
  }
  // Warm-up, and the speed that sizes a block.
  double slowest_ms = 0;
  for (Config& c : m.configs) {
    if (!c.error.empty()) continue;
    auto first = run_block(m, c, 0, 1);
    if (!first.ok()) {
      c.error = first.status().to_string();
      continue;
    }
    c.first_run_ms = first->ms[0];
    auto probe = run_block(m, c, std::max(0, o.warmup - 1), 3);
    if (!probe.ok()) {
      c.error = probe.status().to_string();
      continue;
    }
    slowest_ms = std::max(slowest_ms, median(probe->ms));
  }
  // Time-based: every configuration gets about --duration seconds per phase, in --rounds
  // blocks (sized on the slowest, so that every configuration runs as often).
  if (o.iterations == 0)
    m.block_iters = static_cast<int>(std::clamp(o.duration_s * 1000.0 / o.rounds / std::max(slowest_ms, 1e-3), 1.0, 100000.0));
  return m;
}

// Runs every round of one phase.
void run_phase(std::vector<Model>& models, const BenchOptions& o, int rounds) {
  for (Model& m : models)
    for (Config& c : m.configs) {
      c.ms.clear();
      c.round_p50.clear();
    }
  for (int r = 0; r < rounds; ++r) {
    for (Model& m : models) {
      int iters = m.block_iters;
      if (o.iterations > 0) iters = o.iterations / rounds + (r < o.iterations % rounds ? 1 : 0);
      const size_t n = m.configs.size();
      for (size_t k = 0; k < n; ++k) {
        Config& c = m.configs[(k + static_cast<size_t>(r)) % n];  // rotated order
        if (!c.error.empty()) continue;
        auto b = run_block(m, c, 1, iters);
        if (!b.ok()) {
          c.error = b.status().to_string();
          continue;
        }
        c.round_p50.push_back(median(b->ms));
        c.ms.insert(c.ms.end(), b->ms.begin(), b->ms.end());
        c.last = std::move(b).value();
        // Spinning thread pools (ORT's) go idle before the next configuration runs.
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  }
}

// --together: one round runs every configuration once, and each configuration's blocks of
// all the models at the same time (one thread per model): Braid's sessions share their
// Runtime, ORT's are separate processes per model, as two services embedding it run.
// Blocks are sized per model to the same duration, so the models overlap throughout.
void run_phase_together(std::vector<Model>& models, const BenchOptions& o, int rounds) {
  for (Model& m : models)
    for (Config& c : m.configs) {
      c.ms.clear();
      c.round_p50.clear();
    }
  size_t n = 0;
  for (const Model& m : models) n = std::max(n, m.configs.size());
  for (int r = 0; r < rounds; ++r) {
    for (size_t k = 0; k < n; ++k) {
      const size_t index = (k + static_cast<size_t>(r)) % n;  // rotated order
      std::vector<std::thread> clients;
      for (Model& m : models)
        clients.emplace_back([&m, &o, index, r, rounds] {
          if (index >= m.configs.size()) return;
          Config& c = m.configs[index];
          if (!c.error.empty()) return;
          int iters = m.block_iters;
          if (o.iterations > 0) iters = o.iterations / rounds + (r < o.iterations % rounds ? 1 : 0);
          auto b = run_block(m, c, 1, iters);
          if (!b.ok()) {
            c.error = b.status().to_string();
            return;
          }
          c.round_p50.push_back(median(b->ms));
          c.ms.insert(c.ms.end(), b->ms.begin(), b->ms.end());
          c.last = std::move(b).value();
        });
      for (std::thread& t : clients) t.join();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

ComparePhase summarize_phase(const std::vector<Model>& models, const std::string& name, const std::string& spec,
                             double ort_overhead_ms) {
  ComparePhase ph;
  ph.name = name;
  ph.interference = spec;
  for (const Model& m : models) {
    const CompareRow* best_ort = nullptr;
    const size_t first = ph.rows.size();
    for (const Config& c : m.configs) {
      CompareRow row;
      row.model = m.name;
      row.runtime = c.runtime;
      row.config = c.name;
      row.error = c.error;
      row.first_run_ms = c.first_run_ms;
      if (c.error.empty() && !c.ms.empty()) {
        row.runs = c.ms.size();
        row.latency = summarize(c.ms);
        row.round_p50_min = *std::min_element(c.round_p50.begin(), c.round_p50.end());
        row.round_p50_max = *std::max_element(c.round_p50.begin(), c.round_p50.end());
      }
      ph.rows.push_back(row);
    }
    for (size_t i = first; i < ph.rows.size(); ++i)
      if (ph.rows[i].runtime == "ort" && ph.rows[i].runs > 0 &&
          (!best_ort || ph.rows[i].latency.p50 < best_ort->latency.p50))
        best_ort = &ph.rows[i];
    if (!best_ort) continue;
    for (size_t i = first; i < ph.rows.size(); ++i) {
      const CompareRow& b = ph.rows[i];
      if (b.runtime != "braid" || b.runs == 0) continue;
      ph.ratios.push_back({m.name, b.config, best_ort->config, b.latency.p50 / best_ort->latency.p50,
                           b.latency.p99 / best_ort->latency.p99, -1, -1});
    }
  }
  if (ort_overhead_ms >= 0)
    for (CompareRatio& k : ph.ratios) {
      const CompareRow* b = nullptr;
      const CompareRow* ort = nullptr;
      for (const CompareRow& r : ph.rows) {
        if (r.model != k.model) continue;
        if (r.runtime == "braid" && r.config == k.braid_config) b = &r;
        if (r.runtime == "ort" && r.config == k.ort_config) ort = &r;
      }
      k.p50_ratio_corrected = b->latency.p50 / std::max(ort->latency.p50 - ort_overhead_ms, 1e-6);
      k.p99_ratio_corrected = b->latency.p99 / std::max(ort->latency.p99 - ort_overhead_ms, 1e-6);
    }
  return ph;
}

void print_phase(const ComparePhase& ph, const std::string& title) {
  std::printf("\n== %s (load average %.2f -> %.2f) ==\n", title.c_str(), ph.load_avg_start, ph.load_avg_end);
  std::printf("%-14s %-7s %-20s %6s %9s %9s %9s %15s %9s %9s %9s %9s\n", "model", "runtime", "config", "runs", "p50 ms",
              "p99 ms", "max ms", "round p50 range", "p50/ORT", "p99/ORT", "p50 corr", "p99 corr");
  for (const CompareRow& r : ph.rows) {
    if (!r.error.empty()) {
      std::printf("%-14s %-7s %-20s FAILED: %s\n", r.model.c_str(), r.runtime.c_str(), r.config.c_str(), r.error.c_str());
      continue;
    }
    std::printf("%-14s %-7s %-20s %6zu %9.3f %9.3f %9.3f %7.3f-%-7.3f", r.model.c_str(), r.runtime.c_str(),
                r.config.c_str(), r.runs, r.latency.p50, r.latency.p99, r.latency.max, r.round_p50_min, r.round_p50_max);
    const CompareRatio* ratio = nullptr;
    bool best = false;
    for (const CompareRatio& k : ph.ratios) {
      if (k.model == r.model && k.braid_config == r.config && r.runtime == "braid") ratio = &k;
      best |= k.model == r.model && r.runtime == "ort" && k.ort_config == r.config;
    }
    if (ratio) {
      std::printf(" %8.2fx %8.2fx", ratio->p50_ratio, ratio->p99_ratio);
      if (ratio->p50_ratio_corrected >= 0)
        std::printf(" %8.2fx %8.2fx", ratio->p50_ratio_corrected, ratio->p99_ratio_corrected);
    }
    else if (best) std::printf(" %9s", "(best)");
    std::printf("\n");
  }
  std::fflush(stdout);
}

OutputCheck check_outputs(const Model& m) {
  OutputCheck k;
  k.model = m.name;
  k.rtol = kRtol;
  const Config* braid = nullptr;
  const Config* ort = nullptr;
  for (const Config& c : m.configs) {
    if (!c.error.empty() || c.ms.empty()) continue;
    if (!braid && c.runtime == "braid" && c.f32) braid = &c;
    if (!ort && c.runtime == "ort") ort = &c;
  }
  if (!braid || !ort) {
    k.note = !ort ? "no ORT configuration ran" : "no Braid configuration in f32 ran (--precision f32 or all)";
    return k;
  }
  k.braid_config = braid->name;
  k.ort_config = ort->name;
  k.numel = ort->last.numel;
  k.braid_sum = braid->last.sum;
  k.braid_sum_abs = braid->last.sum_abs;
  k.ort_sum = ort->last.sum;
  k.ort_sum_abs = ort->last.sum_abs;
  // The sum can cancel to near zero: measure its error against the sum of |x|.
  const double scale = std::max(std::fabs(k.ort_sum_abs), 1e-12);
  k.ok = braid->last.numel == ort->last.numel && std::fabs(k.braid_sum - k.ort_sum) <= kRtol * scale &&
         std::fabs(k.braid_sum_abs - k.ort_sum_abs) <= kRtol * scale;
  return k;
}

// Protobuf wire format, just enough for identity_model().
void varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
std::string field_varint(int field, uint64_t v) {
  std::string out;
  varint(out, static_cast<uint64_t>(field) << 3);
  varint(out, v);
  return out;
}
std::string field_bytes(int field, const std::string& bytes) {
  std::string out;
  varint(out, (static_cast<uint64_t>(field) << 3) | 2);
  varint(out, bytes.size());
  return out + bytes;
}

// A model with one Identity over a [1, n] float tensor (ModelProto, IR 7, opset 13): what a
// run call costs a runtime with next to no work (BENCHMARKS.md: the Node binding's overhead).
std::string identity_model(int64_t n) {
  auto value_info = [n](const std::string& name) {
    const std::string shape = field_bytes(1, field_varint(1, 1)) + field_bytes(1, field_varint(1, static_cast<uint64_t>(n)));
    const std::string tensor_type = field_varint(1, 1 /* FLOAT */) + field_bytes(2, shape);
    return field_bytes(1, name) + field_bytes(2, field_bytes(1, tensor_type));
  };
  const std::string node = field_bytes(1, "X") + field_bytes(2, "Y") + field_bytes(4, "Identity");
  const std::string graph = field_bytes(1, node) + field_bytes(2, "identity") + field_bytes(11, value_info("X")) +
                            field_bytes(12, value_info("Y"));
  return field_varint(1, 7) + field_bytes(7, graph) + field_bytes(8, field_varint(2, 13));
}

// Median latency of the Identity model in Braid (sequential, f32) and through ORT's
// sequential server: the per-call overhead, measured once before the rounds.
void measure_overhead(CompareReport& c, const BenchOptions& o, const std::shared_ptr<Runtime>& runtime,
                      OrtServer& ort, const fs::path& work) {
  const fs::path dir = work / "identity";
  fs::create_directories(dir);
  const fs::path model = dir / "identity.onnx";
  {
    std::ofstream f(model, std::ios::binary);
    f << identity_model(1000);
  }
  SessionOptions so;
  so.mode = ExecutionMode::kSequential;
  so.threads = o.threads;
  so.runtime = runtime;
  auto s = Session::load(model.string(), so);
  if (!s.ok()) return;
  BenchOptions seeded = o;
  seeded.shapes.clear();
  seeded.input_files.clear();
  seeded.batch = 0;
  auto in = make_inputs(*s, seeded);
  if (!in.ok() || !write_inputs(*s, *in, dir).ok()) return;
  auto b = braid_block(*s, *in, 20, 200);
  if (b.ok()) c.braid_identity_ms = median(b->ms);
  if (!ort.request("load identity sequential " + dir.string() + " " + model.string()).ok()) return;
  auto r = ort.request("run identity 20 200");
  if (!r.ok()) return;
  auto block = parse_block_reply(*r);
  if (block.ok()) c.ort_identity_ms = median(block->ms);
}

}  // namespace

int compare_main(const BenchOptions& o, const std::shared_ptr<Runtime>& runtime, RunReport& report) {
  auto where = find_ort_peer();
  if (!where.ok()) {
    std::fprintf(stderr, "braid-bench: %s\n", where.status().message().c_str());
    return 3;
  }
  signal(SIGPIPE, SIG_IGN);  // a dead ORT server is an error reply, not the end of braid-bench
  const int n = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::string ns = std::to_string(n);
  auto seq = OrtServer::start(*where, {"--intra", ns});
  auto par = OrtServer::start(*where, {"--mode", "parallel", "--inter", ns, "--intra", "1"});
  if (!seq.ok() || !par.ok()) {
    std::fprintf(stderr, "braid-bench: cannot start node: %s\n",
                 (!seq.ok() ? seq.status() : par.status()).message().c_str());
    return 3;
  }
  char tmpl[] = "/tmp/braid_compare_XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::fprintf(stderr, "braid-bench: cannot make a temporary directory\n");
    return 2;
  }
  const fs::path work = tmpl;
  const std::vector<std::pair<std::string, OrtServer*>> orts = {{"sequential/intra=" + ns, seq->get()},
                                                                 {"parallel/inter=" + ns, par->get()}};
  // --together: every model after the first gets ORT processes of its own (the first
  // uses the two above), so the models' ORT sessions run side by side.
  std::vector<std::unique_ptr<OrtServer>> extra_servers;
  std::vector<std::vector<std::pair<std::string, OrtServer*>>> orts_of(o.models.size(), orts);
  if (o.together)
    for (size_t i = 1; i < o.models.size(); ++i) {
      auto s2 = OrtServer::start(*where, {"--intra", ns});
      auto p2 = OrtServer::start(*where, {"--mode", "parallel", "--inter", ns, "--intra", "1"});
      if (!s2.ok() || !p2.ok()) {
        std::fprintf(stderr, "braid-bench: cannot start node: %s\n",
                     (!s2.ok() ? s2.status() : p2.status()).message().c_str());
        return 3;
      }
      orts_of[i] = {{"sequential/intra=" + ns, s2->get()}, {"parallel/inter=" + ns, p2->get()}};
      extra_servers.push_back(std::move(s2).value());
      extra_servers.push_back(std::move(p2).value());
    }
  CompareReport& c = report.compare;
  report.has_compare = true;
  c.peer = "onnxruntime-node " + where->version;
  c.threads = n;
  c.rounds = o.iterations > 0 ? std::min(o.rounds, o.iterations) : o.rounds;
  c.iterations_per_block = o.iterations > 0 ? std::max(1, o.iterations / c.rounds) : 0;
  std::printf("braid %s vs ONNX Runtime (%s, node %s) | %d threads | %s | %d rounds, %s\n", version(),
              c.peer.c_str(), where->node.c_str(), n,
              o.together ? "single-stream, models together (Braid: one Runtime; ORT: a process per model)"
                         : "single-stream",
              c.rounds,
              o.iterations > 0 ? (std::to_string(o.iterations) + " runs per configuration and phase").c_str()
                               : ("~" + std::to_string(o.duration_s).substr(0, 4) + " s per configuration and phase").c_str());
  std::printf("ORT: sequential/intra=N (intraOpNumThreads N) and parallel/inter=N (interOpNumThreads N, intra 1); "
              "latency through Node includes the binding's overhead\n");
  std::fflush(stdout);

  measure_overhead(c, o, runtime, **seq, work);
  if (c.ort_identity_ms >= 0)
    std::printf("Identity(1x1000), the per-call overhead: Braid %.4f ms, ORT via Node %.4f ms (subtracted from ORT's "
                "p50/p99 for the 'corr' ratios)\n",
                c.braid_identity_ms, c.ort_identity_ms);
  else
    std::printf("Identity(1x1000) overhead: not measured (no 'corr' ratios)\n");
  std::vector<Model> models;
  for (size_t i = 0; i < o.models.size(); ++i)
    models.push_back(prepare_model(o.models[i], o, runtime, orts_of[i], work, static_cast<int>(i)));
  auto phase = [&](std::vector<Model>& ms) {
    if (o.together) run_phase_together(ms, o, c.rounds);
    else run_phase(ms, o, c.rounds);
  };

  const bool loaded_phase = o.interference.kind != Interference::Kind::kNone;
  {
    ComparePhase ph;
    const double l0 = load_avg_1min();
    phase(models);
    ph = summarize_phase(models, "quiet", "none", c.ort_identity_ms);
    ph.load_avg_start = l0;
    ph.load_avg_end = load_avg_1min();
    print_phase(ph, loaded_phase ? "phase 1: no competitor" : "no competitor");
    c.phases.push_back(std::move(ph));
  }
  // Output checks on the quiet phase's last blocks.
  for (const Model& m : models) c.output_checks.push_back(check_outputs(m));
  if (loaded_phase) {
    const std::string spec = interference_spec(o.interference);
    ComparePhase ph;
    const double l0 = load_avg_1min();
    {
      Competitor competitor(o.interference);
      phase(models);
    }
    ph = summarize_phase(models, "interference", spec, c.ort_identity_ms);
    ph.load_avg_start = l0;
    ph.load_avg_end = load_avg_1min();
    print_phase(ph, "phase 2: with a competing process (--interference " + spec + ")");
    c.phases.push_back(std::move(ph));
  }
  int failures = 0;
  std::printf("\n");
  for (const OutputCheck& k : c.output_checks) {
    if (!k.note.empty()) {
      std::printf("output check %s: UNCHECKED (%s)\n", k.model.c_str(), k.note.c_str());
      continue;
    }
    std::printf("output check %s: %s (Braid %s vs ORT %s, %lld values: sum %.6g vs %.6g, sum|x| %.6g vs %.6g, rtol %g)\n",
                k.model.c_str(), k.ok ? "OK" : "MISMATCH", k.braid_config.c_str(), k.ort_config.c_str(),
                static_cast<long long>(k.numel), k.braid_sum, k.ort_sum, k.braid_sum_abs, k.ort_sum_abs, k.rtol);
    failures += k.ok ? 0 : 1;
  }
  for (const ComparePhase& ph : c.phases)
    for (const CompareRow& r : ph.rows) failures += r.error.empty() ? 0 : 1;
  std::fflush(stdout);
  models.clear();  // sessions first, then the servers (their destructors kill them by PID)
  extra_servers.clear();
  seq->reset();
  par->reset();
  std::error_code ec;
  fs::remove_all(work, ec);
  return failures == 0 ? 0 : 1;
}

}  // namespace braid::bench
