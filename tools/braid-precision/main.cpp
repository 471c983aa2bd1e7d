// braid-precision: how far bf16, int8 and adaptive precision move a model's outputs from
// f32, and how much faster they run. For every model: seeded random inputs (uniform in
// [-1, 1); integer inputs small), optionally a calibration on other samples first, then per
// precision the worst relative L2 error of any float output against f32, the top-1
// agreement of the first float output with a class-like last dim (2..4096), and the median
// latency of --iterations runs (interleaved across precisions, so drift hits all alike).
//
//   braid-precision [--samples 4] [--iterations 20] [--mode sequential|static|adaptive]
//                   [--calibrate] [--threads N] [--precisions f32,bf16,int8,adaptive] model.onnx...
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "braid/braid.h"

namespace {

using braid::DataType;
using braid::NamedTensors;
using braid::PrecisionMode;
using braid::Tensor;

struct Options {
  int samples = 4;
  int iterations = 20;
  int threads = 0;
  bool calibrate = false;
  braid::ExecutionMode mode = braid::ExecutionMode::kSequential;
  std::vector<PrecisionMode> precisions{PrecisionMode::kF32, PrecisionMode::kBF16, PrecisionMode::kInt8,
                                        PrecisionMode::kAdaptive};
  std::vector<std::string> models;
};

int usage() {
  std::fprintf(stderr,
               "usage: braid-precision [--samples N] [--iterations N] [--mode sequential|static|adaptive]\n"
               "                       [--calibrate] [--threads N] [--precisions f32,bf16,int8,adaptive]\n"
               "                       model.onnx...\n");
  return 2;
}

NamedTensors random_inputs(const braid::Session& s, uint32_t seed) {
  NamedTensors in;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (const braid::TensorInfo& info : s.inputs()) {
    braid::Shape shape;
    for (int64_t d : info.shape) shape.push_back(d < 0 ? 1 : d);
    Tensor t = Tensor::zeros(info.dtype, shape).value();
    if (t.dtype() == DataType::kFloat32) {
      for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
    } else if (t.dtype() == DataType::kInt64) {
      for (int64_t i = 0; i < t.numel(); ++i) t.data<int64_t>()[i] = static_cast<int64_t>(rng() % 7);
    }
    in[info.name] = t;
  }
  return in;
}

double rel_l2(const Tensor& got, const Tensor& ref) {
  double d2 = 0, r2 = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double d = static_cast<double>(got.data<float>()[i]) - ref.data<float>()[i];
    d2 += d * d;
    r2 += static_cast<double>(ref.data<float>()[i]) * ref.data<float>()[i];
  }
  return r2 > 0 ? std::sqrt(d2 / r2) : (d2 > 0 ? INFINITY : 0.0);
}

// Rows of the first float output whose last dim looks like classes, and how many of
// them have the same argmax in `got` as in `ref`.
void top1(const NamedTensors& got, const NamedTensors& ref, int64_t& rows, int64_t& agree) {
  for (const auto& [name, r] : ref) {
    if (r.dtype() != DataType::kFloat32 || r.rank() < 1) continue;
    const int64_t classes = r.shape().back();
    if (classes < 2 || classes > 4096) continue;
    const Tensor& g = got.at(name);
    for (int64_t row = 0; row < r.numel() / classes; ++row) {
      const float* a = r.data<float>() + row * classes;
      const float* b = g.data<float>() + row * classes;
      agree += std::max_element(a, a + classes) - a == std::max_element(b, b + classes) - b;
      ++rows;
    }
    return;
  }
}

struct Column {
  PrecisionMode mode;
  double worst_rel_l2 = 0;
  int64_t rows = 0, agree = 0;
  int64_t lowered_kernels = 0;
  std::vector<double> ms;
};

int run_model(const Options& o, const std::string& path) {
  braid::SessionOptions so;
  so.mode = o.mode;
  so.threads = o.threads;
  auto loaded = braid::Session::load(path, so);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), loaded.status().message().c_str());
    return 1;
  }
  braid::Session s = std::move(loaded).value();
  if (o.calibrate) {
    std::vector<NamedTensors> cal;
    for (int i = 0; i < o.samples; ++i) cal.push_back(random_inputs(s, 1000 + static_cast<uint32_t>(i)));
    auto rep = s.calibrate(cal);
    if (!rep.ok()) {
      std::fprintf(stderr, "%s: calibration failed: %s\n", path.c_str(), rep.status().message().c_str());
      return 1;
    }
  }
  int lowerable = 0, critical = 0;
  for (const braid::SubgraphPrecision& sp : s.precision_report().subgraphs) {
    lowerable += sp.lowerable;
    critical += sp.lowerable && sp.critical;
  }
  // f32 always comes first: the others are compared with it.
  std::vector<Column> cols(1);
  cols[0].mode = PrecisionMode::kF32;
  for (PrecisionMode m : o.precisions)
    if (m != PrecisionMode::kF32) {
      cols.emplace_back();
      cols.back().mode = m;
    }
  for (int i = 0; i < o.samples; ++i) {
    const NamedTensors in = random_inputs(s, static_cast<uint32_t>(i + 1));
    braid::RunOptions ro;
    ro.precision = PrecisionMode::kF32;
    auto ref = s.run(in, ro);
    if (!ref.ok()) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), ref.status().message().c_str());
      return 1;
    }
    for (Column& c : cols) {
      ro.precision = c.mode;
      braid::RunStats st;
      auto out = s.run(in, ro, &st);
      if (!out.ok()) {
        std::fprintf(stderr, "%s (%s): %s\n", path.c_str(), braid::precision_mode_name(c.mode),
                     out.status().message().c_str());
        return 1;
      }
      for (const auto& [name, r] : *ref)
        if (r.dtype() == DataType::kFloat32) c.worst_rel_l2 = std::max(c.worst_rel_l2, rel_l2(out->at(name), r));
      top1(*out, *ref, c.rows, c.agree);
      c.lowered_kernels = st.kernels_by_precision[1] + st.kernels_by_precision[2];
    }
  }
  const NamedTensors in = random_inputs(s, 7);
  for (int it = 0; it < o.iterations + 2; ++it)
    for (Column& c : cols) {
      braid::RunOptions ro;
      ro.precision = c.mode;
      const auto t0 = std::chrono::steady_clock::now();
      if (!s.run(in, ro).ok()) return 1;
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (it >= 2) c.ms.push_back(ms);  // two warm-up rounds (weight conversion happens there)
    }
  const std::string name = path.substr(path.find_last_of('/') + 1);
  const double f32_ms = [&] {
    std::vector<double> v = cols[0].ms;
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    return v[v.size() / 2];
  }();
  for (Column& c : cols) {
    std::nth_element(c.ms.begin(), c.ms.begin() + static_cast<long>(c.ms.size() / 2), c.ms.end());
    const double med = c.ms[c.ms.size() / 2];
    char top[32] = "n/a";
    if (c.rows > 0) std::snprintf(top, sizeof top, "%.1f%%", 100.0 * static_cast<double>(c.agree) / static_cast<double>(c.rows));
    std::printf("| %s | %s | %d/%d | %lld | %.2e | %s | %.2f | %.2f |\n", name.c_str(),
                braid::precision_mode_name(c.mode), lowerable - critical, lowerable,
                static_cast<long long>(c.lowered_kernels), c.worst_rel_l2, top, med, f32_ms / med);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "--samples" || a == "--iterations" || a == "--threads") {
      const char* v = next();
      if (!v) return usage();
      const int n = std::atoi(v);
      if (n < (a == "--threads" ? 0 : 1)) return usage();
      (a == "--samples" ? o.samples : a == "--iterations" ? o.iterations : o.threads) = n;
    } else if (a == "--mode") {
      const char* v = next();
      if (!v) return usage();
      if (std::strcmp(v, "sequential") == 0) o.mode = braid::ExecutionMode::kSequential;
      else if (std::strcmp(v, "static") == 0) o.mode = braid::ExecutionMode::kStatic;
      else if (std::strcmp(v, "adaptive") == 0) o.mode = braid::ExecutionMode::kAdaptive;
      else return usage();
    } else if (a == "--precisions") {
      const char* v = next();
      if (!v) return usage();
      o.precisions.clear();
      std::string list = v;
      for (size_t pos = 0; pos <= list.size();) {
        const size_t comma = std::min(list.find(',', pos), list.size());
        auto m = braid::parse_precision_mode(list.substr(pos, comma - pos));
        if (!m.ok()) {
          std::fprintf(stderr, "%s\n", m.status().message().c_str());
          return 2;
        }
        o.precisions.push_back(*m);
        pos = comma + 1;
      }
    } else if (a == "--calibrate") {
      o.calibrate = true;
    } else if (!a.empty() && a[0] == '-') {
      return usage();
    } else {
      o.models.push_back(a);
    }
  }
  if (o.models.empty()) return usage();
  std::printf("| model | precision | lowerable subgraphs (non-critical/all) | low-precision kernels per run | "
              "worst rel L2 vs f32 | top-1 agreement | median ms | speed-up vs f32 |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  int rc = 0;
  for (const std::string& m : o.models) rc |= run_model(o, m);
  return rc;
}
