// Determinism (issue 10): the same inputs give bitwise-identical f32 outputs in every
// execution mode and at every thread count, on the bundled workloads and on real models.
// Braid fixes every reduction order itself (GEMM K-blocking, per-row softmax/norm, pooling
// windows), so the thread count only changes who computes which block, never the order of
// a sum. docs/reliability.md ("Determinism") lists what this does not cover.
#include <cctype>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "braid/braid.h"
#include "common/test_util.h"

namespace braid {
namespace {

using testing::same_bits;

class Determinism : public ::testing::TestWithParam<std::string> {};

TEST_P(Determinism, SameBitsInEveryModeAndThreadCount) {
  const std::string path = GetParam();
  NamedTensors in, ref;
  for (int threads : {1, 2, 3, 4}) {
    RuntimeOptions ro;
    ro.threads = threads;
    ro.monitor_machine = false;  // no live availability: every run uses all `threads`
    ro.calibrate = false;
    auto rt = Runtime::create(ro);
    ASSERT_TRUE(rt.ok());
    SessionOptions so;
    so.runtime = *rt;
    so.threads = threads;
    auto s = Session::load(path, so);
    ASSERT_TRUE(s.ok()) << s.status().message();
    if (in.empty()) {
      in = testing::random_inputs(*s, 21);
      RunOptions seq;
      seq.mode = ExecutionMode::kSequential;
      auto r = s->run(in, seq);
      ASSERT_TRUE(r.ok()) << r.status().message();
      ref = std::move(r).value();
    }
    for (ExecutionMode m : {ExecutionMode::kSequential, ExecutionMode::kStatic, ExecutionMode::kAdaptive}) {
      RunOptions o;
      o.mode = m;
      for (int rep = 0; rep < 2; ++rep) {
        auto out = s->run(in, o);
        ASSERT_TRUE(out.ok()) << out.status().message();
        std::string which;
        EXPECT_TRUE(same_bits(ref, *out, &which))
            << path << ": output '" << which << "' differs in " << execution_mode_name(m) << " mode at " << threads
            << " threads";
      }
    }
  }
}

std::vector<std::string> models() {
  std::vector<std::string> m;
  for (const char* b : {"inception", "resnet", "transformer", "wide_mlp", "ensemble"})
    m.push_back(testing::bundled_models_dir() + "/" + b + ".onnx");
  for (const char* r : {"ultraface-version-slim-320.onnx", "yunet_n_320_320.onnx", "dtln_model_1.onnx"})
    m.push_back(testing::shared_models_dir() + "/" + r);
  return m;
}

INSTANTIATE_TEST_SUITE_P(Models, Determinism, ::testing::ValuesIn(models()), [](const auto& info) {
  std::string n = info.param.substr(info.param.find_last_of('/') + 1);
  n = n.substr(0, n.find('.'));
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
});

}  // namespace
}  // namespace braid
