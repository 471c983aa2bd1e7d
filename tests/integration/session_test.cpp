// Whole-session behaviour: running, input validation (the session stays usable after a
// bad request), concurrency, cancellation.
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

#include <atomic>
#include <thread>

#include "braid/session.h"
#include "model_builder/model_builder.h"

using namespace braid;
namespace mg = braid::modelgen;

namespace {

// y = Relu(x + b) with x [batch, 4] and a constant b.
std::string tiny_model() {
  mg::GraphBuilder g("tiny", 1);
  g.input("x", mg::DType::kFloat, {"batch", 4});
  std::vector<float> b{1.0f, -2.0f, 0.5f, -0.25f};
  std::string bn = g.initializer({4}, b, "b");
  std::string y = g.op("Relu", {g.op("Add", {"x", bn})});
  g.output(g.rename(y, "y"), mg::DType::kFloat, {"batch", 4});
  std::string bytes = g.serialize(13);
  EXPECT_TRUE(g.ok()) << g.error();
  return bytes;
}

Session load_tiny(ExecutionMode mode = ExecutionMode::kSequential) {
  std::string bytes = tiny_model();
  SessionOptions opt;
  opt.mode = mode;
  auto s = Session::load_from_memory(bytes.data(), bytes.size(), opt);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return std::move(s).value();
}

Tensor make_x(int64_t batch, float scale) {
  Tensor t = Tensor::empty(DataType::kFloat32, {batch, 4}).value();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = scale * static_cast<float>(i - 3);
  return t;
}

void expect_tiny_output(const Tensor& x, const Tensor& y) {
  const double b[4] = {1.0, -2.0, 0.5, -0.25};
  ASSERT_EQ(y.shape(), x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    double ref = std::max(0.0, static_cast<double>(x.data<float>()[i]) + b[i % 4]);
    EXPECT_FLOAT_EQ(y.data<float>()[i], static_cast<float>(ref)) << "element " << i;
  }
}

}  // namespace

TEST(Session, RunsAndReportsItsInterface) {
  Session s = load_tiny();
  ASSERT_EQ(s.inputs().size(), 1u);
  EXPECT_EQ(s.inputs()[0].name, "x");
  EXPECT_EQ(s.inputs()[0].shape, (std::vector<int64_t>{-1, 4}));
  EXPECT_EQ(s.inputs()[0].dim_symbols[0], "batch");
  ASSERT_EQ(s.outputs().size(), 1u);
  Tensor x = make_x(3, 0.5f);
  auto out = s.run({{"x", x}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  expect_tiny_output(x, out->at("y"));
}

TEST(Session, BadInputsGetClearErrorsAndTheSessionStaysUsable) {
  Session s = load_tiny();
  auto wrong_name = s.run({{"input", make_x(1, 1)}});
  ASSERT_FALSE(wrong_name.ok());
  EXPECT_EQ(wrong_name.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong_name.status().message().find("unknown input 'input'"), std::string::npos);
  EXPECT_NE(wrong_name.status().message().find("'x'"), std::string::npos);

  auto missing = s.run({});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing input 'x'"), std::string::npos);

  Tensor ints = Tensor::zeros(DataType::kInt64, {1, 4}).value();
  auto wrong_dtype = s.run({{"x", ints}});
  ASSERT_FALSE(wrong_dtype.ok());
  EXPECT_NE(wrong_dtype.status().message().find("int64"), std::string::npos);

  Tensor rank3 = Tensor::zeros(DataType::kFloat32, {1, 4, 1}).value();
  auto wrong_rank = s.run({{"x", rank3}});
  ASSERT_FALSE(wrong_rank.ok());
  EXPECT_NE(wrong_rank.status().message().find("rank"), std::string::npos);

  Tensor wide = Tensor::zeros(DataType::kFloat32, {1, 5}).value();
  auto wrong_dim = s.run({{"x", wide}});
  ASSERT_FALSE(wrong_dim.ok());
  EXPECT_NE(wrong_dim.status().message().find("dim 1 must be 4"), std::string::npos);

  auto empty_handle = s.run({{"x", Tensor()}});
  ASSERT_FALSE(empty_handle.ok());

  Tensor x = make_x(2, 1.5f);
  auto ok = s.run({{"x", x}});
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  expect_tiny_output(x, ok->at("y"));
}

TEST(Session, SymbolicDimsFollowTheActualInput) {
  Session s = load_tiny();
  for (int64_t batch : {1, 7, 64}) {
    Tensor x = make_x(batch, 0.25f);
    auto out = s.run({{"x", x}});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    expect_tiny_output(x, out->at("y"));
  }
}

TEST(Session, RunIsThreadSafe) {
  for (ExecutionMode mode : {ExecutionMode::kSequential, ExecutionMode::kStatic, ExecutionMode::kAdaptive}) {
    Session s = load_tiny(mode);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) {
          Tensor x = make_x(1 + (t + i) % 5, 0.1f * static_cast<float>(t + 1));
          auto out = s.run({{"x", x}});
          if (!out.ok()) { ++failures; continue; }
          const Tensor& y = out->at("y");
          const double b[4] = {1.0, -2.0, 0.5, -0.25};
          for (int64_t k = 0; k < x.numel(); ++k)
            if (y.data<float>()[k] != static_cast<float>(std::max(0.0, double(x.data<float>()[k]) + b[k % 4]))) ++failures;
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0) << execution_mode_name(mode);
  }
}

TEST(Session, CancelledAndExpiredRunsFailCleanly) {
  Session s = load_tiny();
  std::atomic<bool> cancel{true};
  RunOptions opt;
  opt.cancel = &cancel;
  auto c = s.run({{"x", make_x(1, 1)}}, opt);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kCancelled);

  RunOptions late;
  late.deadline = std::chrono::steady_clock::now() - std::chrono::milliseconds(1);
  auto d = s.run({{"x", make_x(1, 1)}}, late);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kCancelled);

  auto ok = s.run({{"x", make_x(1, 1)}});
  EXPECT_TRUE(ok.ok());
}
