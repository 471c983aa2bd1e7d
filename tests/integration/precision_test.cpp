// Adaptive precision through whole sessions: fixed bf16/int8 modes against f32 on the
// bundled models, policies and rules, calibration of a deliberately sensitive model, the
// calibration text format, and the adaptive choice under scripted (fake) resource pressure.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "braid/braid.h"
#include "braid/fake_resource_source.h"
#include "model_builder/model_builder.h"
#include "common/test_util.h"
#include "session/session_impl.h"

namespace braid {
namespace {

using modelgen::DType;
using modelgen::GraphBuilder;

// Relative L2 distance of two float32 tensors of one shape (f64 sums).
double rel_l2(const Tensor& got, const Tensor& ref) {
  EXPECT_EQ(got.shape(), ref.shape());
  double d2 = 0, r2 = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double d = static_cast<double>(got.data<float>()[i]) - ref.data<float>()[i];
    d2 += d * d;
    r2 += static_cast<double>(ref.data<float>()[i]) * ref.data<float>()[i];
  }
  return std::sqrt(d2 / std::max(r2, 1e-300));
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.byte_size() == b.byte_size() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0;
}

Session load_bundled(const std::string& name, SessionOptions o = {}) {
  auto s = Session::load(testing::bundled_models_dir() + "/" + name + ".onnx", o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return std::move(s).value();
}

struct Ran {
  NamedTensors out;
  RunStats stats;
};

Ran run(const Session& s, const NamedTensors& in, RunOptions ro = {}) {
  Ran r;
  auto out = s.run(in, ro, &r.stats);
  EXPECT_TRUE(out.ok()) << out.status().message();
  if (out.ok()) r.out = std::move(out).value();
  return r;
}

class FixedPrecision : public ::testing::TestWithParam<std::string> {};

// bf16 and int8 stay close to f32 on every bundled model, really run low-precision kernels
// (the outputs differ from f32), and give the same bits in every execution mode.
TEST_P(FixedPrecision, CloseToF32AndIdenticalAcrossModes) {
  const Session s = load_bundled(GetParam());
  const NamedTensors in = testing::random_inputs(s, 11);
  RunOptions seq;
  seq.mode = ExecutionMode::kSequential;
  const Ran ref = run(s, in, seq);
  ASSERT_FALSE(ref.out.empty());
  EXPECT_EQ(ref.stats.kernels_by_precision[0], ref.stats.kernels_run);
  const struct {
    PrecisionMode mode;
    Precision p;
    double tolerance;
  } cases[] = {{PrecisionMode::kBF16, Precision::kBF16, 0.03}, {PrecisionMode::kInt8, Precision::kInt8, 0.08}};
  for (const auto& c : cases) {
    SCOPED_TRACE(precision_mode_name(c.mode));
    RunOptions ro = seq;
    ro.precision = c.mode;
    const Ran low = run(s, in, ro);
    const int lowered = static_cast<int>(low.stats.kernels_by_precision[static_cast<int>(c.p)]);
    EXPECT_GT(lowered, 0) << "no kernel ran at the lower precision";
    bool any_differs = false;
    for (const auto& [name, t] : ref.out) {
      if (t.dtype() != DataType::kFloat32) continue;
      const double e = rel_l2(low.out.at(name), t);
      EXPECT_LT(e, c.tolerance) << name;
      any_differs = any_differs || !bitwise_equal(low.out.at(name), t);
    }
    EXPECT_TRUE(any_differs) << "lower precision gave f32's exact bits";
    for (ExecutionMode m : {ExecutionMode::kStatic, ExecutionMode::kAdaptive}) {
      RunOptions rm = ro;
      rm.mode = m;
      const Ran other = run(s, in, rm);
      EXPECT_EQ(other.stats.kernels_by_precision[static_cast<int>(c.p)], lowered) << execution_mode_name(m);
      for (const auto& [name, t] : low.out)
        EXPECT_TRUE(bitwise_equal(other.out.at(name), t)) << name << " in " << execution_mode_name(m);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Bundled, FixedPrecision, ::testing::Values("inception", "resnet", "wide_mlp", "transformer"));

TEST(PrecisionPolicy, GraphOutputSubgraphsAreCriticalByDefault) {
  const Session s = load_bundled("inception");
  const CalibrationReport r = s.precision_report();
  ASSERT_FALSE(r.subgraphs.empty());
  const SubgraphPrecision& last = r.subgraphs.back();  // topological order: it produces the output
  EXPECT_TRUE(last.critical);
  EXPECT_EQ(last.reason, "graph output");
  EXPECT_FALSE(last.allow_bf16);
  int lowerable = 0;
  for (const SubgraphPrecision& sp : r.subgraphs) lowerable += sp.lowerable && !sp.critical;
  EXPECT_GT(lowerable, 0);
}

TEST(PrecisionPolicy, OpTypeRuleKeepsThoseNodesInF32) {
  SessionOptions o;
  o.precision = PrecisionMode::kBF16;
  o.precision_rules.push_back(PrecisionRule::op_type("Conv", PrecisionPolicy::f32_only()));
  const Session s = load_bundled("inception", o);
  const Session plain = load_bundled("inception");
  const NamedTensors in = testing::random_inputs(s, 3);
  const Ran low = run(s, in);
  RunOptions f32;
  f32.mode = ExecutionMode::kAdaptive;
  const Ran ref = run(plain, in, f32);
  EXPECT_EQ(low.stats.kernels_by_precision[static_cast<int>(Precision::kBF16)], 0);
  for (const auto& [name, t] : ref.out) EXPECT_TRUE(bitwise_equal(low.out.at(name), t)) << name;
}

// The converted weight copies stay within SessionOptions::precision_weight_budget_bytes:
// a budget below the first subgraph's copies keeps everything f32; one that fits the first
// subgraph's (3 bytes per weight: bf16 + int8) lowers that one and not the last.
TEST(PrecisionPolicy, WeightBudgetBoundsTheConvertedCopies) {
  SessionOptions o;
  o.precision = PrecisionMode::kInt8;
  o.precision_weight_budget_bytes = 1;
  const Session none = load_bundled("wide_mlp", o);
  const NamedTensors in = testing::random_inputs(none, 8);
  EXPECT_EQ(run(none, in).stats.kernels_by_precision[static_cast<int>(Precision::kInt8)], 0);
  int weight_budget_subgraphs = 0;
  for (const SubgraphPrecision& sp : none.precision_report().subgraphs)
    weight_budget_subgraphs += sp.reason == "weight budget";
  EXPECT_GT(weight_budget_subgraphs, 0);
  o.precision_weight_budget_bytes = 0;  // no bound
  const Session all = load_bundled("wide_mlp", o);
  const int64_t unbounded = run(all, in).stats.kernels_by_precision[static_cast<int>(Precision::kInt8)];
  // wide_mlp's MatMuls are 1024 x 1024 or smaller: 4 MiB covers a few, not all 24.
  o.precision_weight_budget_bytes = size_t{4} << 20;
  const Session some = load_bundled("wide_mlp", o);
  const int64_t bounded = run(some, in).stats.kernels_by_precision[static_cast<int>(Precision::kInt8)];
  EXPECT_GT(bounded, 0);
  EXPECT_LT(bounded, unbounded);
}

TEST(PrecisionPolicy, RunOptionOverridesTheSessionMode) {
  SessionOptions o;
  o.precision = PrecisionMode::kInt8;
  const Session s = load_bundled("wide_mlp", o);
  const NamedTensors in = testing::random_inputs(s, 5);
  EXPECT_GT(run(s, in).stats.kernels_by_precision[static_cast<int>(Precision::kInt8)], 0);
  RunOptions ro;
  ro.precision = PrecisionMode::kF32;
  const Ran f32 = run(s, in, ro);
  EXPECT_EQ(f32.stats.kernels_by_precision[0], f32.stats.kernels_run);
}

// x (1 x 2n) -> MatMul(W) -> y (1 x n), W's column j = e_{2j} - e_{2j+1}: each output is the
// difference of two inputs. With inputs near 1e4 that difference is lost in bf16 (ulp 64
// there) and in int8 (step 1e4/255): the subgraph is sensitive; with inputs in [-1, 1] it
// is not.
std::string difference_model(int n) {
  GraphBuilder g("difference", 1);
  g.input("x", DType::kFloat, {1, 2 * n});
  std::vector<float> w(static_cast<size_t>(2 * n * n), 0.0f);
  for (int j = 0; j < n; ++j) {
    w[static_cast<size_t>((2 * j) * n + j)] = 1.0f;
    w[static_cast<size_t>((2 * j + 1) * n + j)] = -1.0f;
  }
  const std::string wt = g.initializer({2 * n, n}, w, "w");
  g.output(g.rename(g.op("MatMul", {"x", wt}), "y"), DType::kFloat, {1, n});
  return g.serialize();
}

NamedTensors difference_input(int n, float offset, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Tensor x = Tensor::empty(DataType::kFloat32, {1, 2 * n}).value();
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = offset + u(rng);
  return {{"x", x}};
}

Session difference_session(int n) {
  const std::string bytes = difference_model(n);
  EXPECT_FALSE(bytes.empty());
  SessionOptions o;
  o.precision = PrecisionMode::kInt8;
  // Its only subgraph produces the graph output: a subgraph rule lifts the default.
  PrecisionPolicy p;
  p.tolerance = 0.05;
  o.precision_rules.push_back(PrecisionRule::subgraph(0, p));
  auto s = Session::load_from_memory(bytes.data(), bytes.size(), o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return std::move(s).value();
}

TEST(Calibration, MarksASensitiveSubgraphCritical) {
  const int n = 32;
  Session s = difference_session(n);
  ASSERT_EQ(s.precision_report().subgraphs.size(), 1u);
  ASSERT_FALSE(s.precision_report().subgraphs[0].critical);
  const NamedTensors big = difference_input(n, 1.0e4f, 1);
  // Before calibration the int8 run is badly wrong ...
  const Ran before = run(s, big);
  EXPECT_GT(before.stats.kernels_by_precision[static_cast<int>(Precision::kInt8)], 0);
  RunOptions f32;
  f32.precision = PrecisionMode::kF32;
  const Ran ref = run(s, big, f32);
  EXPECT_GT(rel_l2(before.out.at("y"), ref.out.at("y")), 0.5);
  auto rep = s.calibrate({big, difference_input(n, 1.0e4f, 2)});
  ASSERT_TRUE(rep.ok()) << rep.status().message();
  const SubgraphPrecision& sp = rep->subgraphs[0];
  EXPECT_GT(sp.bf16_rel_l2, 0.5);
  EXPECT_GT(sp.int8_rel_l2, 0.5);
  EXPECT_TRUE(sp.critical);
  EXPECT_EQ(sp.reason, "calibration");
  // ... after it, the subgraph stays f32 and the answer is f32's.
  const Ran after = run(s, big);
  EXPECT_EQ(after.stats.kernels_by_precision[static_cast<int>(Precision::kInt8)], 0);
  EXPECT_TRUE(bitwise_equal(after.out.at("y"), ref.out.at("y")));
}

TEST(Calibration, KeepsABenignSubgraphLowered) {
  const int n = 32;
  Session s = difference_session(n);
  auto rep = s.calibrate({difference_input(n, 0.0f, 3)});
  ASSERT_TRUE(rep.ok()) << rep.status().message();
  const SubgraphPrecision& sp = rep->subgraphs[0];
  EXPECT_GE(sp.bf16_rel_l2, 0.0);
  EXPECT_LT(sp.bf16_rel_l2, 0.05);
  EXPECT_LT(sp.int8_rel_l2, 0.05);
  EXPECT_FALSE(sp.critical);
  EXPECT_TRUE(sp.allow_int8);
  EXPECT_GT(run(s, difference_input(n, 0.0f, 4)).stats.kernels_by_precision[static_cast<int>(Precision::kInt8)], 0);
}

// Local errors compound: FastestDet's subgraphs each stay under their 0.02 tolerance in
// int8, the whole model does not (output error > 0.1). The end-to-end pass disallows int8
// on the worst subgraphs until the outputs' error is within the output tolerance.
TEST(Calibration, BoundsTheOutputErrorNotOnlyEachSubgraphs) {
  SessionOptions o;
  o.precision = PrecisionMode::kInt8;
  auto loaded = Session::load(testing::shared_models_dir() + "/FastestDet_352.onnx", o);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  Session s = std::move(loaded).value();
  std::vector<NamedTensors> samples = {testing::random_inputs(s, 31), testing::random_inputs(s, 32)};
  RunOptions f32;
  f32.precision = PrecisionMode::kF32;
  auto worst_error = [&] {
    double worst = 0;
    for (const NamedTensors& in : samples) {
      const Ran ref = run(s, in, f32), low = run(s, in);
      for (const auto& [name, t] : ref.out)
        if (t.dtype() == DataType::kFloat32) worst = std::max(worst, rel_l2(low.out.at(name), t));
    }
    return worst;
  };
  const int64_t before_kernels = run(s, samples[0]).stats.kernels_by_precision[static_cast<int>(Precision::kInt8)];
  const double before = worst_error();
  ASSERT_GT(before, 0.08);
  CalibrationOptions co;
  co.output_tolerance = 0.05;
  auto rep = s.calibrate(samples, co);
  ASSERT_TRUE(rep.ok()) << rep.status().message();
  EXPECT_LE(rep->int8_output_rel_l2, 0.05);
  EXPECT_GE(rep->int8_output_rel_l2, 0.0);
  const double after = worst_error();  // the same samples, measured here
  EXPECT_LE(after, 0.05);
  const int64_t after_kernels = run(s, samples[0]).stats.kernels_by_precision[static_cast<int>(Precision::kInt8)];
  EXPECT_LT(after_kernels, before_kernels);
  EXPECT_GT(after_kernels, 0);  // not everything had to go back to f32
}

TEST(Calibration, RoundTripsThroughItsTextForm) {
  const int n = 16;
  Session a = difference_session(n);
  auto rep = a.calibrate({difference_input(n, 1.0e4f, 5)});
  ASSERT_TRUE(rep.ok());
  const std::string text = rep->serialize();
  auto parsed = CalibrationReport::parse(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->subgraphs.size(), rep->subgraphs.size());
  EXPECT_DOUBLE_EQ(parsed->subgraphs[0].int8_rel_l2, rep->subgraphs[0].int8_rel_l2);
  EXPECT_DOUBLE_EQ(parsed->int8_output_rel_l2, rep->int8_output_rel_l2);
  // A fresh session of the same model takes the saved calibration instead of measuring.
  Session b = difference_session(n);
  ASSERT_TRUE(b.load_calibration(*parsed).ok());
  EXPECT_TRUE(b.precision_report().subgraphs[0].critical);
  EXPECT_EQ(run(b, difference_input(n, 1.0e4f, 6)).stats.kernels_by_precision[static_cast<int>(Precision::kInt8)], 0);
}

TEST(Calibration, RejectsMalformedAndMismatchedReports) {
  EXPECT_FALSE(CalibrationReport::parse("").ok());
  EXPECT_TRUE(CalibrationReport::parse("braid-calibration 1\nmodel m\noutputs -1 -1\nsubgraphs 1\nsg 0 1 0 1 1 0.02 -1 -1 -1 -1 -\n").ok());
  EXPECT_FALSE(CalibrationReport::parse("braid-calibration 1\nmodel m\noutputs -1 -1\nsubgraphs 2\nsg 0 1 0 1 1 0.02 -1 -1 -1 -1 -\n").ok());
  EXPECT_FALSE(CalibrationReport::parse("braid-calibration 1\nmodel m\noutputs -1 -1\nsubgraphs 1\nsg 0 1 0 1 1 nan -1 -1 -1 -1 -\n").ok());
  EXPECT_FALSE(CalibrationReport::parse("braid-calibration 1\nmodel m\nsubgraphs 1\nsg 0 1 0 1 1 0.02 -1 -1 -1 -1 -\n").ok());
  Session s = difference_session(8);
  CalibrationReport wrong;
  wrong.subgraphs.resize(3);
  const Status st = s.load_calibration(wrong);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(s.calibrate({}).ok());
  EXPECT_FALSE(s.calibrate({{{"nope", Tensor::zeros(DataType::kFloat32, {1, 16}).value()}}}).ok());
  // The session is still usable.
  EXPECT_TRUE(s.run(difference_input(8, 0.0f, 1)).ok());
}

TEST(PrecisionMode, ParsesItsNames) {
  for (PrecisionMode m : {PrecisionMode::kF32, PrecisionMode::kBF16, PrecisionMode::kInt8, PrecisionMode::kAdaptive}) {
    auto p = parse_precision_mode(precision_mode_name(m));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, m);
  }
  EXPECT_EQ(parse_precision_mode("fp16").status().code(), StatusCode::kInvalidArgument);
}

Ran run_adaptive(const std::string& model, const ResourceVector& v, const NamedTensors* in = nullptr) {
  SessionOptions o;
  o.precision = PrecisionMode::kAdaptive;
  o.runtime = testing::scripted_runtime({v});
  const Session s = load_bundled(model, o);
  return run(s, in ? *in : testing::random_inputs(s, 9));
}

TEST(AdaptivePrecision, StaysF32WhenResourcesArePlentiful) {
  ResourceVector idle;
  idle.cores_limit = 2;
  idle.cores_available = 2;
  idle.bandwidth_gbps_peak = 20;
  idle.bandwidth_gbps_available = 20;
  const Session plain = load_bundled("inception");
  const NamedTensors in = testing::random_inputs(plain, 9);
  const Ran ref = run(plain, in);
  const Ran r = run_adaptive("inception", idle, &in);
  EXPECT_EQ(r.stats.kernels_by_precision[0], r.stats.kernels_run);
  for (const auto& [name, t] : ref.out) EXPECT_TRUE(bitwise_equal(r.out.at(name), t)) << name;
}

TEST(AdaptivePrecision, LowersComputeBoundSubgraphsWhenCoresAreScarce) {
  ResourceVector busy;
  busy.cores_limit = 2;
  busy.cores_available = 0.6;  // 30% of our cores free
  busy.bandwidth_gbps_peak = 20;
  busy.bandwidth_gbps_available = 20;
  const Ran r = run_adaptive("inception", busy);
  EXPECT_GT(r.stats.kernels_by_precision[static_cast<int>(Precision::kInt8)], 0);
  EXPECT_GT(r.stats.kernels_by_precision[0], 0);  // critical and memory-bound ones stay f32
}

TEST(AdaptivePrecision, LowersMemoryBoundSubgraphsWhenBandwidthIsScarce) {
  ResourceVector starved;
  starved.cores_limit = 2;
  starved.cores_available = 2;
  starved.bandwidth_gbps_peak = 20;
  starved.bandwidth_gbps_available = 10;  // 50%: scarce, not very scarce -> bf16
  const Ran r = run_adaptive("wide_mlp", starved);
  EXPECT_GT(r.stats.kernels_by_precision[static_cast<int>(Precision::kBF16)], 0);
  EXPECT_EQ(r.stats.kernels_by_precision[static_cast<int>(Precision::kInt8)], 0);
}

// A source whose cores the test sets: the switch happens at a point of the request the
// test picks (a FakeResourceSource plays its timeline by the sampler's clock).
class SwitchedCores final : public ResourceSource {
 public:
  std::atomic<double> cores{2};
  Status sample(ResourceVector& v) override {
    v.cores_limit = 2;
    v.cores_available = cores.load();
    v.bandwidth_gbps_peak = 20;
    v.bandwidth_gbps_available = 20;
    return {};
  }
  const char* name() const override { return "switched"; }
  ResourceSourceKind kind() const override { return ResourceSourceKind::kFake; }
};

// Records the precision of every subgraph run (or node run, in sequential mode); after the
// first one it takes 70% of the cores away and waits until the monitor has published that.
class TakeCoresAfterFirstRun final : public RunTracer {
 public:
  TakeCoresAfterFirstRun(SwitchedCores& source, const ResourceMonitor& monitor, bool nodes)
      : source_(source), monitor_(monitor), nodes_(nodes) {}
  void on_subgraph_run(const SubgraphRunEvent& e) noexcept override {
    if (!nodes_) record(e.precision);
  }
  bool wants_node_runs() const noexcept override { return nodes_; }
  void on_node_run(const NodeRunEvent& e) noexcept override {
    if (nodes_) record(e.precision);
  }
  std::vector<std::string> precisions() {
    std::lock_guard lock(mu_);
    return precisions_;
  }

 private:
  void record(const char* precision) {
    std::lock_guard lock(mu_);
    precisions_.emplace_back(precision);
    if (precisions_.size() != 1) return;
    source_.cores = 0.6;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (monitor_.current().cores_available > 1 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  SwitchedCores& source_;
  const ResourceMonitor& monitor_;
  const bool nodes_;
  std::mutex mu_;
  std::vector<std::string> precisions_;
};

class AdaptivePrecisionMidRequest : public ::testing::TestWithParam<ExecutionMode> {};

// Cores taken away while a request runs lower the subgraphs that start afterwards: the
// vector is read as each subgraph starts, not once per request.
TEST_P(AdaptivePrecisionMidRequest, LowersTheSubgraphsThatStartAfterCoresWereTaken) {
  RuntimeOptions ro;
  ro.threads = 1;  // one subgraph at a time: every later one starts after the switch
  ro.monitor_machine = false;
  ro.calibrate = false;
  ro.monitor_period = std::chrono::milliseconds(1);
  auto rt = Runtime::create(ro);
  ASSERT_TRUE(rt.ok()) << rt.status().message();
  auto source = std::make_unique<SwitchedCores>();
  SwitchedCores& cores = *source;
  ResourceMonitor& monitor = (*rt)->monitor();
  ASSERT_TRUE(monitor.add_source(std::move(source)).ok());
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (monitor.current().cores_available != 2 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(monitor.current().cores_available, 2);

  SessionOptions o;
  o.precision = PrecisionMode::kAdaptive;
  o.mode = GetParam();
  o.runtime = *rt;
  const Session s = load_bundled("inception", o);
  const NamedTensors in = testing::random_inputs(s, 9);
  TakeCoresAfterFirstRun tracer(cores, monitor, GetParam() == ExecutionMode::kSequential);
  set_run_tracer(&tracer);
  const Ran r = run(s, in);
  set_run_tracer(nullptr);
  const std::vector<std::string> seen = tracer.precisions();
  ASSERT_GT(seen.size(), 2u);
  EXPECT_EQ(seen.front(), "f32");  // started with every core free
  EXPECT_GT(std::count(seen.begin() + 1, seen.end(), "int8"), 0);
  EXPECT_GT(r.stats.kernels_by_precision[static_cast<int>(Precision::kInt8)], 0);
}

INSTANTIATE_TEST_SUITE_P(Modes, AdaptivePrecisionMidRequest,
                         ::testing::Values(ExecutionMode::kAdaptive, ExecutionMode::kSequential),
                         [](const ::testing::TestParamInfo<ExecutionMode>& i) {
                           return std::string(execution_mode_name(i.param));
                         });

// Under pressure, the adaptive choice follows what the DSDG measured: times recorded for
// every subgraph at every thread count steer it to the fastest allowed precision (f32
// included), whatever the heuristic would pick.
TEST(AdaptivePrecision, FollowsTheMeasuredFastestPrecision) {
  ResourceVector busy;
  busy.cores_limit = 2;
  busy.cores_available = 0.6;
  busy.bandwidth_gbps_peak = 20;
  busy.bandwidth_gbps_available = 6;  // both scarce: every lowerable subgraph wants to go lower
  const auto runtime = testing::scripted_runtime({busy});
  // A fresh session (fresh DSDG) taught the given times for every subgraph at every thread
  // count, far apart so the real run's own measurements cannot flip them; one run.
  auto run_taught = [&](double f32_ns, double bf16_ns, double int8_ns) {
    SessionOptions o;
    o.precision = PrecisionMode::kAdaptive;
    o.mode = ExecutionMode::kAdaptive;
    o.runtime = runtime;
    const Session s = load_bundled("wide_mlp", o);
    detail::Dsdg& dsdg = *s.impl().dsdg;
    for (detail::SubgraphId sg = 0; sg < dsdg.plan().subgraphs.size(); ++sg)
      for (int threads = 1; threads <= 4; ++threads)
        for (int rep = 0; rep < 20; ++rep) {
          dsdg.record(sg, Precision::kF32, threads, f32_ns);
          dsdg.record(sg, Precision::kBF16, threads, bf16_ns);
          dsdg.record(sg, Precision::kInt8, threads, int8_ns);
        }
    return run(s, testing::random_inputs(s, 13)).stats;
  };
  RunStats st = run_taught(5e6, 1e3, 1e8);
  EXPECT_GT(st.kernels_by_precision[static_cast<int>(Precision::kBF16)], 0);
  EXPECT_EQ(st.kernels_by_precision[static_cast<int>(Precision::kInt8)], 0);
  st = run_taught(5e6, 1e8, 1e3);
  EXPECT_GT(st.kernels_by_precision[static_cast<int>(Precision::kInt8)], 0);
  EXPECT_EQ(st.kernels_by_precision[static_cast<int>(Precision::kBF16)], 0);
  st = run_taught(1e3, 1e8, 1e8);  // f32 measured fastest: lowering would only lose
  EXPECT_EQ(st.kernels_by_precision[0], st.kernels_run);
}

}  // namespace
}  // namespace braid
