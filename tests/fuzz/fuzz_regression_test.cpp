// Replays the fuzz seed corpora and the crash reproducers (tests/fuzz/regressions/<target>/)
// through the fuzz target bodies: each input must be handled without a crash or a
// sanitizer report (run this test under BRAID_SANITIZE=address to get the ASan checks).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "braid/session.h"
#include "braid/tensor.h"
#include "fuzz_targets.h"

namespace fs = std::filesystem;

namespace {

using TargetFn = int (*)(const uint8_t*, size_t);

std::vector<fs::path> inputs_of(const std::string& target) {
  std::vector<fs::path> files;
  const fs::path fuzz_dir = fs::path(BRAID_SOURCE_DIR) / "tests" / "fuzz";
  for (const char* kind : {"corpus", "regressions"}) {
    fs::path dir = fuzz_dir / kind / target;
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) files.push_back(e.path());
  }
  return files;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

size_t replay(const std::string& target, TargetFn fn) {
  size_t n = 0;
  for (const fs::path& p : inputs_of(target)) {
    const std::string bytes = read_file(p);
    SCOPED_TRACE(p.string());
    EXPECT_EQ(fn(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
    ++n;
  }
  return n;
}

}  // namespace

TEST(FuzzRegression, ModelLoadInputsReplayCleanly) {
  EXPECT_GT(replay("fuzz_model_load", braid::fuzz::model_load_one), 0u);
}

TEST(FuzzRegression, TensorProtoInputsReplayCleanly) {
  EXPECT_GT(replay("fuzz_tensor_proto", braid::fuzz::tensor_proto_one), 0u);
}

TEST(FuzzRegression, BenchArgsInputsReplayCleanly) {
  EXPECT_GT(replay("fuzz_bench_args", braid::fuzz::bench_args_one), 0u);
}

TEST(FuzzRegression, HostGraphInputsReplayCleanly) {
  EXPECT_GT(replay("fuzz_host_graph", braid::fuzz::host_graph_one), 0u);
}

// fuzz_tensor_proto, first minute: 18 bytes declaring an int64 tensor of shape
// [6,27,3465,13] with no data made parse_tensor_proto allocate 8.4 GB before it compared
// the data with the shape. Now the data is checked first.
TEST(FuzzRegression, TensorProtoShapeWithoutDataFailsBeforeAllocating) {
  const std::string bytes = read_file(fs::path(BRAID_SOURCE_DIR) / "tests/fuzz/regressions/fuzz_tensor_proto/oom_shape_without_data.pb");
  ASSERT_EQ(bytes.size(), 18u);
  auto t = braid::parse_tensor_proto(bytes.data(), bytes.size());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), braid::StatusCode::kInvalidArgument) << t.status().to_string();
  EXPECT_NE(t.status().message().find("0 values for shape"), std::string::npos) << t.status().to_string();
}

// fuzz_model_load, first 13 s: a model whose input has an elem_type outside the ONNX enum
// loaded, and Tensor::empty for that dtype divided by its element size of 0 (UBSan). Now an
// unknown dtype is kInvalidArgument from Tensor::empty.
TEST(FuzzRegression, ModelInputOfUnknownDtypeIsAnError) {
  const std::string bytes = read_file(fs::path(BRAID_SOURCE_DIR) / "tests/fuzz/regressions/fuzz_model_load/ubsan_unknown_input_dtype.onnx");
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(braid::fuzz::model_load_one(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
  for (int32_t code : {-1, 48, 1000}) {
    auto t = braid::Tensor::empty(static_cast<braid::DataType>(code), {1});
    ASSERT_FALSE(t.ok()) << code;
    EXPECT_EQ(t.status().code(), braid::StatusCode::kInvalidArgument) << t.status().to_string();
  }
}

// fuzz_model_load, 150 s run: BatchNormalization whose scale, B, mean and var are graph
// inputs of different lengths; the run-time fold read past the shorter ones (ASan
// heap-buffer-overflow in fold_batch_norm). The load-time (constant) path already checked.
TEST(FuzzRegression, BatchNormParametersOfDifferentLengthsFailTheRun) {
  const std::string bytes = read_file(fs::path(BRAID_SOURCE_DIR) / "tests/fuzz/regressions/fuzz_model_load/asan_batchnorm_param_lengths.onnx");
  braid::SessionOptions options;
  options.mode = braid::ExecutionMode::kSequential;
  auto session = braid::Session::load_from_memory(bytes.data(), bytes.size(), options);
  ASSERT_TRUE(session.ok()) << session.status().to_string();
  braid::NamedTensors inputs;
  for (const braid::TensorInfo& info : session.value().inputs())
    inputs.emplace(info.name, braid::Tensor::zeros(info.dtype, info.shape).value());
  auto out = session.value().run(inputs);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("same number of values"), std::string::npos) << out.status().to_string();
}

// fuzz_model_load, 10-minute run (session 4): a Conv whose `strides` holds a 0 made
// libonnx's shape inference divide by zero (SIGFPE in onnx::convPoolShapeInference1),
// killing the process before Braid saw the node. The importer now refuses non-positive
// strides, dilations, kernel_shape, blocksize, group and num_outputs before inference.
TEST(FuzzRegression, ZeroConvStrideIsAnErrorNotASignal) {
  const std::string bytes = read_file(fs::path(BRAID_SOURCE_DIR) / "tests/fuzz/regressions/fuzz_model_load/fpe_conv_zero_stride.onnx");
  ASSERT_FALSE(bytes.empty());
  auto session = braid::Session::load_from_memory(bytes.data(), bytes.size(), braid::SessionOptions{});
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), braid::StatusCode::kInvalidArgument) << session.status().to_string();
  EXPECT_NE(session.status().message().find("must be positive"), std::string::npos) << session.status().to_string();
}
