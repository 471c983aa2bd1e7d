// Streaming requests (Session::submit / try_submit / RunTicket): results equal the
// synchronous ones, the in-flight bound gives back-pressure, errors reach their ticket,
// bad inputs fail at submit, and destroying a session finishes what was submitted.
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "braid/session.h"
#include "common/test_util.h"
#include "kernels/registry.h"
#include "model_builder/model_builder.h"

using namespace braid;
namespace mg = braid::modelgen;

namespace {

// "Gate" (domain braid.test) passes its input through once g_gate_open is set.
std::atomic<bool> g_gate_open{true};
std::atomic<int> g_gate_waiting{0};

class GateKernel final : public detail::OpKernel {
 public:
  Status compute(detail::KernelContext& ctx) const override {
    ++g_gate_waiting;
    while (!g_gate_open.load()) std::this_thread::yield();
    --g_gate_waiting;
    ctx.set_output(0, *ctx.input(0));
    return {};
  }
};

class BoomKernel final : public detail::OpKernel {
 public:
  Status compute(detail::KernelContext& ctx) const override {
    return internal_error("boom in " + ctx.node->describe());
  }
};

void register_kernels() {
  static bool done = [] {
    auto make = [](auto* tag) {
      using K = std::remove_pointer_t<decltype(tag)>;
      return [](const detail::KernelInit&) -> Result<std::unique_ptr<detail::OpKernel>> {
        return std::unique_ptr<detail::OpKernel>(new K());
      };
    };
    detail::OpRegistry::global().add({"braid.test", "Gate", 1, 1 << 30, make(static_cast<GateKernel*>(nullptr))});
    detail::OpRegistry::global().add({"braid.test", "Boom", 1, 1 << 30, make(static_cast<BoomKernel*>(nullptr))});
    return true;
  }();
  (void)done;
}

// y = Relu(MatMul(x, W)) [-> custom op], x [1, 64].
std::string model(const char* custom_op = nullptr) {
  mg::GraphBuilder g("stream", 5);
  g.input("x", mg::DType::kFloat, {1, 64});
  std::string h = g.op("Relu", {g.op("MatMul", {"x", g.he_weight({64, 64}, 64)})});
  if (custom_op != nullptr) h = g.node(custom_op, {h}, 1)[0];
  g.output(g.rename(h, "y"), mg::DType::kFloat, {1, 64});
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

Session load(const std::string& bytes, int max_in_flight = 4, ExecutionMode mode = ExecutionMode::kAdaptive) {
  SessionOptions o;
  o.mode = mode;
  o.max_in_flight = max_in_flight;
  auto s = Session::load_from_memory(bytes.data(), bytes.size(), o);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return std::move(s).value();
}

NamedTensors input(uint32_t seed) {
  Tensor t = Tensor::empty(DataType::kFloat32, {1, 64}).value();
  braid::testing::fill_random(t, seed);
  return {{"x", t}};
}

bool same(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0;
}

}  // namespace

TEST(SessionStream, SubmittedRequestsEqualSynchronousRuns) {
  for (const char* name : {"wide_mlp", "ensemble"}) {
    SessionOptions o;
    o.max_in_flight = 3;
    auto loaded = Session::load(braid::testing::bundled_models_dir() + "/" + name + ".onnx", o);
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
    Session s = std::move(loaded).value();
    std::vector<NamedTensors> inputs;
    for (uint32_t i = 0; i < 10; ++i) inputs.push_back(braid::testing::random_inputs(s, 100 + 10 * i));
    std::vector<RunTicket> tickets;
    for (const NamedTensors& in : inputs) {
      auto t = s.submit(in);  // waits for room past 3 in flight
      ASSERT_TRUE(t.ok()) << t.status().to_string();
      tickets.push_back(std::move(t).value());
    }
    for (size_t i = 0; i < tickets.size(); ++i) {
      auto streamed = tickets[i].wait();
      ASSERT_TRUE(streamed.ok()) << streamed.status().to_string();
      EXPECT_TRUE(tickets[i].ready());
      auto sync = s.run(inputs[i]);
      ASSERT_TRUE(sync.ok());
      for (const auto& [out, t] : *sync) EXPECT_TRUE(same(t, streamed->at(out))) << name << " request " << i;
    }
  }
}

TEST(SessionStream, TheInFlightBoundRefusesOrWaits) {
  register_kernels();
  Session s = load(model("Gate"), 1);
  g_gate_open = false;
  auto first = s.try_submit(input(1));
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  // The first request is held in its kernel: the one slot is taken.
  while (g_gate_waiting.load() == 0) std::this_thread::yield();
  auto second = s.try_submit(input(2));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(second.status().message().find("max_in_flight"), std::string::npos) << second.status().message();
  EXPECT_FALSE(first->ready());
  // A blocking submit waits until the gate opens and the slot frees.
  std::atomic<bool> submitted{false};
  std::thread waiter([&] {
    auto t = s.submit(input(3));
    EXPECT_TRUE(t.ok());
    submitted = true;
    if (t.ok()) {
      EXPECT_TRUE(t->wait().ok());
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(submitted.load());
  g_gate_open = true;
  waiter.join();
  EXPECT_TRUE(submitted.load());
  auto r = first->wait();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto again = first->wait();
  EXPECT_FALSE(again.ok());  // the result was moved out
}

TEST(SessionStream, ErrorsReachTheirTicketAndOthersAreUnaffected) {
  register_kernels();
  Session bad = load(model("Boom"));
  Session good = load(model());
  auto b = bad.submit(input(1));
  auto g = good.submit(input(1));
  ASSERT_TRUE(b.ok() && g.ok());
  auto br = b->wait();
  ASSERT_FALSE(br.ok());
  EXPECT_EQ(br.status().code(), StatusCode::kInternal);
  EXPECT_NE(br.status().message().find("boom"), std::string::npos) << br.status().message();
  auto gr = g->wait();
  ASSERT_TRUE(gr.ok());
  auto sync = good.run(input(1));
  ASSERT_TRUE(sync.ok());
  EXPECT_TRUE(same(sync->at("y"), gr->at("y")));
  // Bad inputs fail at submit, with the usual message.
  NamedTensors wrong{{"nope", input(1).at("x")}};
  auto w = good.submit(wrong);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("unknown input 'nope'"), std::string::npos) << w.status().message();
  EXPECT_FALSE(RunTicket().valid());
}

TEST(SessionStream, DestroyingTheSessionFinishesWhatWasSubmitted) {
  std::vector<RunTicket> tickets;
  {
    Session s = load(model(), 4, ExecutionMode::kSequential);
    for (uint32_t i = 0; i < 8; ++i) {
      auto t = s.submit(input(i));
      ASSERT_TRUE(t.ok());
      tickets.push_back(std::move(t).value());
    }
  }
  for (RunTicket& t : tickets) {
    EXPECT_TRUE(t.ready());
    EXPECT_TRUE(t.wait().ok());
  }
}
