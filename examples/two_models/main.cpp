// two_models A.onnx B.onnx [REQUESTS]: each model serves REQUESTS requests from its own
// client thread, first with both sessions on one shared Runtime (one monitor, one
// scheduler: together they never use more threads than there are free cores), then with a
// Runtime each (two schedulers that do not know about each other). Prints p50/p99 of each.
#include <braid/braid.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

braid::NamedTensors random_inputs(const braid::Session& s) {
  braid::NamedTensors in;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (const braid::TensorInfo& info : s.inputs()) {
    std::vector<int64_t> shape;
    for (int64_t d : info.shape) shape.push_back(d < 0 ? 1 : d);
    braid::Tensor t = braid::Tensor::zeros(info.dtype, shape).value();
    if (info.dtype == braid::DataType::kFloat32)
      for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
    in[info.name] = t;
  }
  return in;
}

// Runs `n` requests on `s`; latencies in ms, sorted. Empty on a failure (printed).
std::vector<double> serve(const braid::Session& s, int n) {
  const braid::NamedTensors in = random_inputs(s);
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto out = s.run(in);
    if (!out.ok()) {
      std::printf("run failed: %s\n", out.status().to_string().c_str());
      return {};
    }
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

double pct(const std::vector<double>& v, double q) { return v.empty() ? 0 : v[static_cast<size_t>(q * (v.size() - 1))]; }

bool round(const char* label, const std::string& a, const std::string& b, int n,
           std::shared_ptr<braid::Runtime> ra, std::shared_ptr<braid::Runtime> rb) {
  braid::SessionOptions oa, ob;
  oa.runtime = std::move(ra);
  ob.runtime = std::move(rb);
  auto sa = braid::Session::load(a, oa);
  auto sb = braid::Session::load(b, ob);
  if (!sa.ok() || !sb.ok()) {
    std::printf("load failed: %s\n", (!sa.ok() ? sa.status() : sb.status()).to_string().c_str());
    return false;
  }
  std::vector<double> la, lb;
  std::thread ta([&] { la = serve(*sa, n); });
  std::thread tb([&] { lb = serve(*sb, n); });
  ta.join();
  tb.join();
  if (la.empty() || lb.empty()) return false;
  std::printf("%-20s A p50 %8.3f ms  p99 %8.3f ms | B p50 %8.3f ms  p99 %8.3f ms\n", label, pct(la, 0.5),
              pct(la, 0.99), pct(lb, 0.5), pct(lb, 0.99));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::printf("usage: two_models A.onnx B.onnx [REQUESTS]\n");
    return 2;
  }
  const int n = argc > 3 ? std::max(1, std::atoi(argv[3])) : 50;
  auto shared = braid::Runtime::create();
  auto own_a = braid::Runtime::create();
  auto own_b = braid::Runtime::create();
  if (!shared.ok() || !own_a.ok() || !own_b.ok()) return 1;
  bool ok = round("one shared runtime", argv[1], argv[2], n, *shared, *shared);
  ok = round("two runtimes", argv[1], argv[2], n, *own_a, *own_b) && ok;
  return ok ? 0 : 1;
}
