// Correctness against the peer: every bundled model and every model in ../shared/models
// that Braid supports runs through Braid and through ONNX Runtime 1.30 (tests/peer/
// ort_run.mjs) on identical seeded inputs; outputs must agree within a relative error of
// 1e-4, measured as max|braid - ort| / max(max|ort|, 1e-2) per output. The 1e-2 floor of
// the scale: ONNX Runtime's Sigmoid (MLAS logistic) is accurate to ~1e-7 *absolute*, so
// on outputs that are all tiny probabilities (YuNet's obj_* heads, max 1e-5) it differs
// from an exactly rounded sigmoid by 1e-7 = 1% of the output's scale (measured here).
// Skips with a message when node or onnxruntime-node is missing; scripts/test.sh installs
// both, so in CI it runs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "braid/session.h"
#include "common/test_util.h"

namespace fs = std::filesystem;
using namespace braid;

namespace {

std::string ort_dir() {
  if (const char* d = std::getenv("BRAID_ORT_PREFIX")) return d;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/root") + "/.cache/braid/ort";
}

bool peer_available(std::string* why) {
  if (std::system("node --version > /dev/null 2>&1") != 0) {
    *why = "node is not installed";
    return false;
  }
  if (!fs::exists(fs::path(ort_dir()) / "node_modules/onnxruntime-node/package.json")) {
    *why = "onnxruntime-node is not installed in " + ort_dir() + " (scripts/test.sh installs it)";
    return false;
  }
  return true;
}

std::string ort_dtype(DataType t) {
  switch (t) {
    case DataType::kFloat32: return "float32";
    case DataType::kInt64: return "int64";
    case DataType::kInt32: return "int32";
    case DataType::kBool: return "bool";
    case DataType::kUInt8: return "uint8";
    case DataType::kInt8: return "int8";
    case DataType::kFloat64: return "float64";
    default: return "";
  }
}

DataType braid_dtype(const std::string& s) {
  for (DataType t : {DataType::kFloat32, DataType::kInt64, DataType::kInt32, DataType::kBool, DataType::kUInt8,
                     DataType::kInt8, DataType::kFloat64})
    if (ort_dtype(t) == s) return t;
  return DataType::kUndefined;
}

std::string stem_of(const std::string& name) {
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '-') out += static_cast<char>(c);
    else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

void write_tensor(const fs::path& dir, const std::string& name, const Tensor& t) {
  std::ofstream j(dir / (stem_of(name) + ".json"));
  j << "{\"name\": \"" << name << "\", \"dtype\": \"" << ort_dtype(t.dtype()) << "\", \"dims\": [";
  for (size_t i = 0; i < t.shape().size(); ++i) j << (i ? ", " : "") << t.shape()[i];
  j << "]}";
  std::ofstream(dir / (stem_of(name) + ".bin"), std::ios::binary)
      .write(static_cast<const char*>(t.raw_data()), static_cast<std::streamsize>(t.byte_size()));
}

// Reads <stem>.json/.bin written by ort_run.mjs (a tiny parser for its fixed format).
Result<Tensor> read_tensor(const fs::path& dir, const std::string& name) {
  std::ifstream j(dir / (stem_of(name) + ".json"));
  if (!j) return invalid_argument("no output file for " + name);
  std::stringstream ss;
  ss << j.rdbuf();
  std::string js = ss.str();
  auto dpos = js.find("\"dtype\"");
  auto q1 = js.find('"', js.find(':', dpos) + 1);
  auto q2 = js.find('"', q1 + 1);
  DataType dt = braid_dtype(js.substr(q1 + 1, q2 - q1 - 1));
  auto b1 = js.find('[', js.find("\"dims\""));
  auto b2 = js.find(']', b1);
  Shape shape;
  std::stringstream dims(js.substr(b1 + 1, b2 - b1 - 1));
  for (std::string tok; std::getline(dims, tok, ',');)
    if (tok.find_first_of("0123456789") != std::string::npos) shape.push_back(std::stoll(tok));
  BRAID_ASSIGN_OR_RETURN(Tensor t, Tensor::empty(dt, shape));
  std::ifstream b(dir / (stem_of(name) + ".bin"), std::ios::binary);
  b.read(static_cast<char*>(t.raw_data()), static_cast<std::streamsize>(t.byte_size()));
  if (!b) return invalid_argument("short output file for " + name);
  return t;
}

struct ModelCase {
  std::string path;
};

std::vector<std::string> peer_models() {
  std::vector<std::string> models;
  for (const char* m : {"inception", "wide_mlp", "transformer", "resnet", "ensemble"})
    models.push_back(braid::testing::bundled_models_dir() + "/" + m + ".onnx");
  fs::path shared = braid::testing::shared_models_dir();
  if (fs::exists(shared)) {
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(shared))
      if (e.path().extension() == ".onnx") found.push_back(e.path().string());
    std::sort(found.begin(), found.end());
    models.insert(models.end(), found.begin(), found.end());
  }
  return models;
}

// Inputs: the model folder's test_data_set_0 where it has one, else seeded random values
// with symbolic dims set to 1 (batch) or 320 (spatial).
Result<NamedTensors> make_inputs(const Session& s, const fs::path& model) {
  NamedTensors in;
  fs::path data = model.parent_path() / "test_data_set_0";
  for (size_t i = 0; i < s.inputs().size(); ++i) {
    const TensorInfo& info = s.inputs()[i];
    fs::path pb = data / ("input_" + std::to_string(i) + ".pb");
    if (fs::exists(pb)) {
      BRAID_ASSIGN_OR_RETURN(Tensor t, read_tensor_file(pb.string()));
      in[info.name] = std::move(t);
      continue;
    }
    Shape shape;
    for (size_t d = 0; d < info.shape.size(); ++d)
      shape.push_back(info.shape[d] >= 0 ? info.shape[d] : (d == 0 ? 1 : 320));
    if (info.dtype != DataType::kFloat32) return invalid_argument("non-float input " + info.name);
    BRAID_ASSIGN_OR_RETURN(Tensor t, Tensor::empty(info.dtype, shape));
    braid::testing::fill_random(t, 1234 + static_cast<uint32_t>(i));
    in[info.name] = std::move(t);
  }
  return in;
}

double g_last_max_ref = 0, g_last_max_diff = 0;

double relative_error(const Tensor& braid_out, const Tensor& ort_out) {
  double max_ref = 1e-2, max_diff = 0;
  for (int64_t i = 0; i < ort_out.numel(); ++i) {
    double r = ort_out.dtype() == DataType::kFloat32 ? ort_out.data<float>()[i] : double(ort_out.data<int64_t>()[i]);
    double b = braid_out.dtype() == DataType::kFloat32 ? braid_out.data<float>()[i] : double(braid_out.data<int64_t>()[i]);
    if (std::isnan(r) != std::isnan(b)) return INFINITY;
    max_ref = std::max(max_ref, std::fabs(r));
    max_diff = std::max(max_diff, std::fabs(r - b));
  }
  g_last_max_ref = max_ref;
  g_last_max_diff = max_diff;
  return max_diff / max_ref;
}

}  // namespace

TEST(Peer, OutputsMatchOnnxRuntime) {
  std::string why;
  if (!peer_available(&why)) GTEST_SKIP() << "peer unavailable: " << why;
  const fs::path script = fs::path(BRAID_SOURCE_DIR) / "tests/peer/ort_run.mjs";
  const fs::path work = fs::temp_directory_path() / ("braid_peer_" + std::to_string(::getpid()));
  int compared = 0;
  for (const std::string& model : peer_models()) {
    SCOPED_TRACE(model);
    if (!fs::exists(model)) {
      ADD_FAILURE() << "missing model " << model;
      continue;
    }
    auto session = Session::load(model, SessionOptions{ExecutionMode::kSequential, 1, 0});
    if (!session.ok()) {
      // Only an unsupported op may keep a model out; the message names it.
      EXPECT_EQ(session.status().code(), StatusCode::kUnsupportedOp) << session.status().to_string();
      std::cout << "[peer] skipped " << model << ": " << session.status().message() << "\n";
      continue;
    }
    auto inputs = make_inputs(*session, model);
    ASSERT_TRUE(inputs.ok()) << inputs.status().to_string();
    auto outputs = session->run(*inputs);
    ASSERT_TRUE(outputs.ok()) << outputs.status().to_string();

    fs::remove_all(work);
    fs::create_directories(work / "in");
    fs::create_directories(work / "out");
    for (const auto& [name, t] : *inputs) write_tensor(work / "in", name, t);
    std::string cmd = "BRAID_ORT_DIR=" + ort_dir() + "/node_modules/onnxruntime-node node " + script.string() + " " + model + " " + (work / "in").string() + " " +
                      (work / "out").string() + " > " + (work / "ort.log").string() + " 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "ort_run failed; see " << (work / "ort.log");
    for (const auto& [name, t] : *outputs) {
      auto ref = read_tensor(work / "out", name);
      ASSERT_TRUE(ref.ok()) << ref.status().to_string();
      ASSERT_EQ(ref->shape(), t.shape()) << name;
      if (t.dtype() != DataType::kFloat32) {
        EXPECT_EQ(braid::testing::compare_tensors(*ref, t, 0, 0), "") << name;
        continue;
      }
      double err = relative_error(t, *ref);
      std::cout << "[peer] " << fs::path(model).filename().string() << " " << name << " rel err " << err
                << " (max |diff| " << g_last_max_diff << ", max |ort| " << g_last_max_ref << ")\n";
      EXPECT_LE(err, 1e-4) << model << " output " << name;
    }
    ++compared;
  }
  fs::remove_all(work);
  std::cout << "[peer] compared " << compared << " models with ONNX Runtime\n";
  EXPECT_GE(compared, 5);
}
