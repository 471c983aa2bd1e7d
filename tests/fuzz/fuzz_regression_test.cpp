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

size_t replay(const std::string& target, TargetFn fn) {
  size_t n = 0;
  for (const fs::path& p : inputs_of(target)) {
    std::ifstream in(p, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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
