#include "serve.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "braid/braid.h"

namespace braid::bench {
namespace {

struct Loaded {
  Session session;
  NamedTensors inputs;
};

Result<ExecutionMode> parse_mode(const std::string& m) {
  if (m == "sequential") return ExecutionMode::kSequential;
  if (m == "static") return ExecutionMode::kStatic;
  if (m == "adaptive") return ExecutionMode::kAdaptive;
  return invalid_argument("unknown mode '" + m + "'");
}

Result<NamedTensors> read_inputs(const Session& s, const std::string& dir) {
  NamedTensors in;
  for (size_t k = 0; k < s.inputs().size(); ++k) {
    const TensorInfo& info = s.inputs()[k];
    Shape shape;
    for (int64_t d : info.shape) shape.push_back(d < 0 ? 1 : d);
    BRAID_ASSIGN_OR_RETURN(Tensor t, Tensor::empty(info.dtype, shape));
    const std::string path = dir + "/in" + std::to_string(k) + ".bin";
    std::ifstream f(path, std::ios::binary | std::ios::ate);
    if (!f) return invalid_argument("cannot open " + path);
    if (static_cast<size_t>(f.tellg()) != t.byte_size())
      return invalid_argument(path + " has " + std::to_string(static_cast<long long>(f.tellg())) + " bytes, input '" +
                              info.name + "' needs " + std::to_string(t.byte_size()));
    f.seekg(0);
    f.read(static_cast<char*>(t.raw_data()), static_cast<std::streamsize>(t.byte_size()));
    in[info.name] = std::move(t);
  }
  return in;
}

Result<Loaded> load_one(const std::string& mode_name, const std::string& dir, const std::string& path,
                        const BenchOptions& o, const std::shared_ptr<Runtime>& runtime) {
  BRAID_ASSIGN_OR_RETURN(ExecutionMode mode, parse_mode(mode_name));
  SessionOptions so;
  so.mode = mode;
  so.threads = o.threads;
  so.graph_optimization = o.graph_optimization;
  so.runtime = runtime;
  BRAID_ASSIGN_OR_RETURN(Session s, Session::load(path, so));
  BRAID_ASSIGN_OR_RETURN(NamedTensors in, read_inputs(s, dir));
  return Loaded{std::move(s), std::move(in)};
}

// "ok NUMEL SUM SUM_ABS MS..." for one block of runs.
Result<std::string> run_block(const Loaded& m, int warmup, int iters) {
  NamedTensors out;
  for (int i = 0; i < warmup; ++i) {
    auto r = m.session.run(m.inputs);
    if (!r.ok()) return r.status();
  }
  std::vector<double> ms;
  ms.reserve(static_cast<size_t>(iters));
  for (int i = 0; i < iters; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = m.session.run(m.inputs);
    const auto t1 = std::chrono::steady_clock::now();
    if (!r.ok()) return r.status();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    out = std::move(r).value();
  }
  int64_t numel = 0;
  double sum = 0, sum_abs = 0;
  for (const auto& [name, t] : out) {
    if (t.dtype() != DataType::kFloat32) continue;
    for (int64_t i = 0; i < t.numel(); ++i) {
      const double v = t.data<float>()[i];
      sum += v;
      sum_abs += std::fabs(v);
    }
    numel += t.numel();
  }
  std::ostringstream line;
  line.precision(9);
  line << "ok " << numel << ' ' << sum << ' ' << sum_abs;
  line.precision(6);
  for (double v : ms) line << ' ' << v;
  return line.str();
}

}  // namespace

int serve_main(const BenchOptions& o) {
  RuntimeOptions ro;
  ro.threads = o.threads;
  auto runtime = Runtime::create(ro);
  if (!runtime.ok()) {
    std::printf("err %s\n", runtime.status().to_string().c_str());
    return 1;
  }
  std::map<std::string, Loaded> models;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string cmd, id;
    words >> cmd >> id;
    std::string reply;
    if (cmd == "quit") break;
    if (cmd == "load") {
      std::string mode_name, dir, path;
      words >> mode_name >> dir >> path;
      auto loaded = load_one(mode_name, dir, path, o, *runtime);
      if (loaded.ok()) {
        models.insert_or_assign(id, std::move(loaded).value());
        reply = "ok " + id;
      } else {
        reply = "err " + loaded.status().to_string();
      }
    } else if (cmd == "run") {
      int warmup = 0, iters = 0;
      words >> warmup >> iters;
      auto it = models.find(id);
      if (it == models.end() || iters < 1 || warmup < 0) {
        reply = "err bad run request: " + line;
      } else {
        auto r = run_block(it->second, warmup, iters);
        reply = r.ok() ? *r : "err " + r.status().to_string();
      }
    } else {
      reply = "err unknown request: " + line;
    }
    for (char& c : reply)
      if (c == '\n') c = ' ';
    std::printf("%s\n", reply.c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace braid::bench
