// The parallel executor and the dispatcher end to end: all modes give the sequential
// result; the scheduler never runs more subgraphs at once than the (fake) availability
// allows; a failing kernel fails only its request; concurrent requests stay correct.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include <onnx/onnx_pb.h>

#include "braid/braid.h"
#include "braid/fake_resource_source.h"
#include "common/test_util.h"
#include "kernels/registry.h"
#include "model_builder/model_builder.h"

using namespace braid;
namespace mg = braid::modelgen;

namespace {

// Test-only kernels in the "braid.test" domain: Probe passes its input through while
// recording how many Probe invocations overlap; Fail throws.
std::atomic<int> g_probe_running{0};
std::atomic<int> g_probe_max{0};

class ProbeKernel final : public detail::OpKernel {
 public:
  Status compute(detail::KernelContext& ctx) const override {
    int now = g_probe_running.fetch_add(1) + 1;
    int prev = g_probe_max.load();
    while (now > prev && !g_probe_max.compare_exchange_weak(prev, now)) {
    }
    auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(300);
    while (std::chrono::steady_clock::now() < until) {
    }
    ctx.set_output(0, *ctx.input(0));
    g_probe_running.fetch_sub(1);
    return {};
  }
};

class FailKernel final : public detail::OpKernel {
 public:
  Status compute(detail::KernelContext&) const override { throw std::runtime_error("injected kernel failure"); }
};

void register_test_kernels() {
  static bool done = [] {
    auto& r = detail::OpRegistry::global();
    r.add({"braid.test", "Probe", 1, 1 << 30,
           [](const detail::KernelInit&) -> Result<std::unique_ptr<detail::OpKernel>> {
             return std::unique_ptr<detail::OpKernel>(new ProbeKernel());
           }});
    r.add({"braid.test", "Fail", 1, 1 << 30,
           [](const detail::KernelInit&) -> Result<std::unique_ptr<detail::OpKernel>> {
             return std::unique_ptr<detail::OpKernel>(new FailKernel());
           }});
    return true;
  }();
  (void)done;
}

// x [1,64] -> `branches` independent chains (MatMul, Relu[, custom op]) -> Sum.
std::string branchy_model(int branches, const char* custom_op = nullptr) {
  mg::GraphBuilder g("branchy", 11);
  g.input("x", mg::DType::kFloat, {1, 64});
  std::vector<std::string> outs;
  for (int b = 0; b < branches; ++b) {
    std::string h = g.op("Relu", {g.op("MatMul", {"x", g.he_weight({64, 64}, 64)})});
    if (custom_op != nullptr && (std::string(custom_op) == "Probe" || b == 0)) {
      h = g.node(custom_op, {h}, 1)[0];
    }
    outs.push_back(h);
  }
  std::string y = g.op("Sum", outs);
  g.output(g.rename(y, "y"), mg::DType::kFloat, {1, 64});
  onnx::ModelProto m = g.finish(13);
  if (custom_op != nullptr) {
    for (auto& n : *m.mutable_graph()->mutable_node())
      if (n.op_type() == custom_op) n.set_domain("braid.test");
    auto* op = m.add_opset_import();
    op->set_domain("braid.test");
    op->set_version(1);
  }
  return m.SerializeAsString();
}

Tensor input(float scale) {
  Tensor t = Tensor::empty(DataType::kFloat32, {1, 64}).value();
  for (int i = 0; i < 64; ++i) t.data<float>()[i] = scale * static_cast<float>((i * 37) % 23 - 11) / 11.0f;
  return t;
}

Session load(const std::string& bytes, ExecutionMode mode, std::shared_ptr<Runtime> rt = nullptr) {
  SessionOptions o;
  o.mode = mode;
  o.runtime = std::move(rt);
  auto s = Session::load_from_memory(bytes.data(), bytes.size(), o);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return std::move(s).value();
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.byte_size() == b.byte_size() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0;
}

ResourceVector cores(double n) {
  ResourceVector v;
  v.cores_available = n;
  return v;
}

}  // namespace

TEST(ParallelExecutor, AllModesGiveTheSequentialResultBitwise) {
  std::string bytes = branchy_model(8);
  Session seq = load(bytes, ExecutionMode::kSequential);
  auto ref = seq.run({{"x", input(1)}});
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  for (ExecutionMode mode : {ExecutionMode::kStatic, ExecutionMode::kAdaptive}) {
    Session s = load(bytes, mode);
    for (int i = 0; i < 20; ++i) {
      auto out = s.run({{"x", input(1)}});
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      EXPECT_TRUE(bitwise_equal(ref->at("y"), out->at("y"))) << execution_mode_name(mode);
    }
  }
}

TEST(ParallelExecutor, NeverMoreConcurrentSubgraphsThanAvailableCores) {
  register_test_kernels();
  std::string bytes = branchy_model(8, "Probe");
  for (double available : {1.0, 2.0, 3.0}) {
    auto rt = braid::testing::scripted_runtime({cores(available)}, 4);
    Session s = load(bytes, ExecutionMode::kAdaptive, rt);
    g_probe_max = 0;
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(s.run({{"x", input(1)}}).ok());
    EXPECT_LE(g_probe_max.load(), static_cast<int>(available)) << "available " << available;
    EXPECT_GE(g_probe_max.load(), 1);
  }
}

TEST(ParallelExecutor, AvailabilityFlappingEveryMillisecondStaysCorrect) {
  register_test_kernels();
  std::string bytes = branchy_model(6, "Probe");
  std::vector<FakeResourceSource::Step> flap;
  for (int i = 0; i < 400; ++i) flap.push_back(cores(i % 2 ? 0.0 : 4.0));
  auto rt = braid::testing::scripted_runtime(flap, 4);
  Session seq = load(bytes, ExecutionMode::kSequential);
  Session s = load(bytes, ExecutionMode::kAdaptive, rt);
  auto ref = seq.run({{"x", input(2)}});
  ASSERT_TRUE(ref.ok());
  std::vector<std::thread> clients;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto out = s.run({{"x", input(2)}});
        if (!out.ok() || !bitwise_equal(ref->at("y"), out->at("y"))) ++bad;
      }
    });
  for (auto& c : clients) c.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(ParallelExecutor, AFailingKernelFailsOnlyItsRequest) {
  register_test_kernels();
  std::string failing = branchy_model(4, "Fail");
  std::string fine = branchy_model(4);
  for (ExecutionMode mode : {ExecutionMode::kSequential, ExecutionMode::kStatic, ExecutionMode::kAdaptive}) {
    Session bad = load(failing, mode);
    Session good = load(fine, mode);
    Session ref_session = load(fine, ExecutionMode::kSequential);
    auto ref = ref_session.run({{"x", input(1)}});
    ASSERT_TRUE(ref.ok());
    std::atomic<int> wrong{0};
    std::thread other([&] {
      for (int i = 0; i < 20; ++i) {
        auto out = good.run({{"x", input(1)}});
        if (!out.ok() || !bitwise_equal(ref->at("y"), out->at("y"))) ++wrong;
      }
    });
    for (int i = 0; i < 5; ++i) {
      auto out = bad.run({{"x", input(1)}});
      ASSERT_FALSE(out.ok());
      EXPECT_EQ(out.status().code(), StatusCode::kInternal);
      EXPECT_NE(out.status().message().find("injected kernel failure"), std::string::npos) << out.status().to_string();
      EXPECT_NE(out.status().message().find("Fail"), std::string::npos) << out.status().to_string();
    }
    other.join();
    EXPECT_EQ(wrong.load(), 0) << execution_mode_name(mode);
    auto again = good.run({{"x", input(1)}});
    EXPECT_TRUE(again.ok());
  }
}

TEST(ParallelExecutor, ManyClientsManyModelsMatchSequential) {
  std::vector<std::string> models{branchy_model(2), branchy_model(5), branchy_model(9)};
  std::vector<Session> seq, adaptive, fixed;
  std::vector<Tensor> refs;
  for (const auto& m : models) {
    seq.push_back(load(m, ExecutionMode::kSequential));
    adaptive.push_back(load(m, ExecutionMode::kAdaptive));
    fixed.push_back(load(m, ExecutionMode::kStatic));
    auto r = seq.back().run({{"x", input(0.5f)}});
    ASSERT_TRUE(r.ok());
    refs.push_back(r->at("y"));
  }
  for (int clients : {1, 2, 4, static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))}) {
    std::atomic<int> bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 30; ++i) {
          size_t m = static_cast<size_t>(t + i) % models.size();
          Session& s = (i % 2) ? adaptive[m] : fixed[m];
          auto out = s.run({{"x", input(0.5f)}});
          if (!out.ok() || !bitwise_equal(refs[m], out->at("y"))) ++bad;
        }
      });
    for (auto& th : threads) th.join();
    EXPECT_EQ(bad.load(), 0) << clients << " clients";
  }
}
