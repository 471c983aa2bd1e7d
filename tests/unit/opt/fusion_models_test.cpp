// Every bundled workload and every shared real model, loaded with graph fusion on and off:
// the outputs must agree within float32 rounding (max |on - off| <= 1e-4 * max(max |off|,
// 1e-2) per output), and fusion must not add kernels.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "braid/session.h"
#include "common/test_util.h"

namespace fs = std::filesystem;
using namespace braid;

namespace {

std::vector<std::string> all_models() {
  std::vector<std::string> models;
  for (const char* dir : {BRAID_MODELS_DIR, BRAID_SHARED_MODELS_DIR}) {
    if (!fs::exists(dir)) continue;
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(dir))
      if (e.path().extension() == ".onnx") found.push_back(e.path().string());
    std::sort(found.begin(), found.end());
    models.insert(models.end(), found.begin(), found.end());
  }
  return models;
}

// The model folder's test_data_set_0 inputs where present, else seeded values with
// symbolic dims set to 1 (batch) or 320 (spatial).
Result<NamedTensors> make_inputs(const Session& s, const fs::path& model) {
  NamedTensors in;
  const fs::path data = model.parent_path() / "test_data_set_0";
  for (size_t i = 0; i < s.inputs().size(); ++i) {
    const TensorInfo& info = s.inputs()[i];
    const fs::path pb = data / ("input_" + std::to_string(i) + ".pb");
    if (fs::exists(pb)) {
      BRAID_ASSIGN_OR_RETURN(Tensor t, read_tensor_file(pb.string()));
      in[info.name] = std::move(t);
      continue;
    }
    Shape shape;
    for (size_t d = 0; d < info.shape.size(); ++d)
      shape.push_back(info.shape[d] >= 0 ? info.shape[d] : (d == 0 ? 1 : 320));
    BRAID_ASSIGN_OR_RETURN(Tensor t, Tensor::zeros(info.dtype, shape));
    if (info.dtype == DataType::kFloat32) braid::testing::fill_random(t, 1234 + static_cast<uint32_t>(i));
    in[info.name] = std::move(t);
  }
  return in;
}

Result<NamedTensors> run_model(const std::string& path, GraphOptimization level, int64_t* kernels,
                               ExecutionMode mode = ExecutionMode::kSequential) {
  SessionOptions opt;
  opt.mode = mode;
  opt.graph_optimization = level;
  BRAID_ASSIGN_OR_RETURN(Session s, Session::load(path, opt));
  BRAID_ASSIGN_OR_RETURN(NamedTensors in, make_inputs(s, path));
  RunStats stats;
  BRAID_ASSIGN_OR_RETURN(NamedTensors out, s.run(in, {}, &stats));
  *kernels = stats.kernels_run;
  return out;
}

// max |on - off| / max(max |off|, 1e-2) over the outputs (EXPECTs <= 1e-4 for each).
double compare_outputs(const NamedTensors& off, const NamedTensors& on) {
  double worst = 0;
  EXPECT_EQ(on.size(), off.size());
  for (const auto& [name, ref] : off) {
    auto it = on.find(name);
    if (it == on.end()) {
      ADD_FAILURE() << "output " << name << " missing with fusion";
      continue;
    }
    const Tensor& got = it->second;
    if (got.dtype() != ref.dtype() || got.shape() != ref.shape()) {
      ADD_FAILURE() << name << ": dtype or shape differs with fusion";
      continue;
    }
    if (ref.dtype() != DataType::kFloat32) {
      EXPECT_EQ(braid::testing::compare_tensors(ref, got, 0, 0), "") << name;
      continue;
    }
    double scale = 1e-2, diff = 0;
    for (int64_t i = 0; i < ref.numel(); ++i) {
      const double r = ref.data<float>()[i], g = got.data<float>()[i];
      if (std::isnan(r) != std::isnan(g)) diff = INFINITY;
      if (std::isnan(r)) continue;
      scale = std::max(scale, std::fabs(r));
      diff = std::max(diff, std::fabs(r - g));
    }
    EXPECT_LE(diff / scale, 1e-4) << name << ": max diff " << diff << ", scale " << scale;
    worst = std::max(worst, diff / scale);
  }
  return worst;
}

// One test per model (GraphFusion/Models.MatchesWithFusionOnAndOff/<file stem>), so that
// a run can leave out the large ones by name (scripts/sanitizers.sh does).
class GraphFusion : public ::testing::TestWithParam<std::string> {};

TEST_P(GraphFusion, MatchesWithFusionOnAndOff) {
  const std::string& path = GetParam();
  int64_t kernels_off = 0, kernels_on = 0;
  auto off = run_model(path, GraphOptimization::kNone, &kernels_off);
  if (!off.ok()) {
    // A model Braid cannot run at all is another test's business; fusion must not change that.
    auto on = run_model(path, GraphOptimization::kBasic, &kernels_on);
    EXPECT_FALSE(on.ok()) << "runs only with fusion: " << off.status().to_string();
    return;
  }
  double worst = 0;
  // The fused graph also goes through the partitioner and the parallel executors.
  for (ExecutionMode mode : {ExecutionMode::kSequential, ExecutionMode::kStatic, ExecutionMode::kAdaptive}) {
    SCOPED_TRACE(execution_mode_name(mode));
    auto on = run_model(path, GraphOptimization::kBasic, &kernels_on, mode);
    ASSERT_TRUE(on.ok()) << on.status().to_string();
    EXPECT_LE(kernels_on, kernels_off);
    worst = std::max(worst, compare_outputs(*off, *on));
  }
  std::printf("%-34s kernels %3lld -> %3lld, max rel err %.2e\n", fs::path(path).filename().c_str(),
              static_cast<long long>(kernels_off), static_cast<long long>(kernels_on), worst);
}

// Every model found; none (no model folders) leaves the suite uninstantiated, which gtest
// allows below rather than failing.
INSTANTIATE_TEST_SUITE_P(Models, GraphFusion, ::testing::ValuesIn(all_models()), [](const auto& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
});
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GraphFusion);

}  // namespace
