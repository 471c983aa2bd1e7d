// Runs the ONNX backend conformance data (Debian libonnx-testdata) through Braid: every
// case whose ops are all registered runs, and every output is compared with the stored
// one. Prints one summary line and the unsupported ops ranked by the cases they block.
// Env BRAID_CONFORMANCE_FILTER=substring runs only matching case folders (debugging).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "braid/session.h"
#include "common/test_util.h"
#include "kernels/registry.h"
#include "onnx/onnx_importer.h"

namespace fs = std::filesystem;
using namespace braid;

namespace {

constexpr const char* kDataRoot = "/usr/share/libonnx-testdata/data";

struct Tally {
  int passed = 0, failed = 0, skipped = 0;
  std::map<std::string, int> blocked_by;  // "Op" or "Op (dtype)" -> cases
  std::vector<std::string> failures;
};

// ONNX 1.12's test data stores bfloat16 tensors with data_type UINT16 (the generator's
// numpy has no bfloat16); reinterpret those bits as bfloat16 where the model says so.
Tensor as_dtype_if_bf16(Tensor t, DataType want) {
  if (t.dtype() != DataType::kUInt16 || want != DataType::kBFloat16) return t;
  Tensor out = Tensor::empty(DataType::kBFloat16, t.shape()).value();
  std::memcpy(out.raw_data(), t.raw_data(), t.byte_size());
  return out;
}

// Which ops of this model have no kernel at all.
std::set<std::string> missing_ops(const detail::Graph& g) {
  std::set<std::string> missing;
  for (const auto& n : g.nodes)
    if (!detail::OpRegistry::global().find(n.domain, n.op_type, n.opset))
      missing.insert(n.domain.empty() ? n.op_type : n.domain + "." + n.op_type);
  return missing;
}

void run_case(const fs::path& dir, Tally& t) {
  const std::string name = dir.parent_path().filename().string() + "/" + dir.filename().string();
  const fs::path model = dir / "model.onnx";
  auto graph = detail::import_onnx_file(model.string());
  if (!graph.ok()) {
    if (graph.status().code() == StatusCode::kUnsupportedOp) {
      ++t.skipped;
      t.blocked_by["(import) " + graph.status().message().substr(graph.status().message().rfind(": ") + 2)]++;
      return;
    }
    ++t.failed;
    t.failures.push_back(name + ": import: " + graph.status().message());
    return;
  }
  auto missing = missing_ops(*graph);
  if (!missing.empty()) {
    ++t.skipped;
    for (const auto& op : missing) t.blocked_by[op]++;
    return;
  }
  auto session = Session::load(model.string(), SessionOptions{ExecutionMode::kSequential, 1, 0});
  if (!session.ok()) {
    if (session.status().code() == StatusCode::kUnsupportedOp) {
      // A dtype or attribute gap of a registered op: "... <Op> node '<n>': <reason>".
      const std::string& m = session.status().message();
      auto node_pos = m.find(" node '");
      auto reason_pos = m.find("': ", node_pos == std::string::npos ? 0 : node_pos);
      size_t op_begin = node_pos == std::string::npos ? 0 : m.rfind(' ', node_pos - 1);
      op_begin = op_begin == std::string::npos ? 0 : op_begin + 1;
      std::string op = node_pos == std::string::npos ? std::string("?") : m.substr(op_begin, node_pos - op_begin);
      std::string reason = reason_pos == std::string::npos ? m : m.substr(reason_pos + 3);
      ++t.skipped;
      t.blocked_by[op + " (" + reason + ")"]++;
      return;
    }
    ++t.failed;
    t.failures.push_back(name + ": load: " + session.status().message());
    return;
  }
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  for (const auto& set : sets) {
    NamedTensors inputs;
    const auto& infos = session->inputs();
    for (size_t i = 0;; ++i) {
      fs::path p = set / ("input_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) break;
      auto tensor = read_tensor_file(p.string());
      if (!tensor.ok() || i >= infos.size()) {
        ++t.failed;
        t.failures.push_back(name + ": cannot bind " + p.string() + ": " + tensor.status().message());
        return;
      }
      inputs[infos[i].name] = as_dtype_if_bf16(std::move(tensor).value(), infos[i].dtype);
    }
    auto out = session->run(inputs);
    if (!out.ok()) {
      ++t.failed;
      t.failures.push_back(name + ": run: " + out.status().message());
      return;
    }
    const auto& outs = session->outputs();
    for (size_t i = 0; i < outs.size(); ++i) {
      fs::path p = set / ("output_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) continue;
      auto expected = read_tensor_file(p.string());
      if (!expected.ok()) {
        ++t.failed;
        t.failures.push_back(name + ": cannot read " + p.string() + ": " + expected.status().message());
        return;
      }
      auto it = out->find(outs[i].name);
      if (it == out->end()) {
        ++t.failed;
        t.failures.push_back(name + ": output '" + outs[i].name + "' missing");
        return;
      }
      std::string diff =
          braid::testing::compare_tensors(as_dtype_if_bf16(*expected, it->second.dtype()), it->second, 1e-3, 1e-5);
      if (!diff.empty()) {
        ++t.failed;
        t.failures.push_back(name + ": output '" + outs[i].name + "': " + diff);
        return;
      }
    }
  }
  ++t.passed;
}

}  // namespace

TEST(Conformance, OnnxBackendData) {
  if (!fs::exists(kDataRoot)) GTEST_SKIP() << "libonnx-testdata is not installed (" << kDataRoot << ")";
  const char* filter = std::getenv("BRAID_CONFORMANCE_FILTER");
  Tally t;
  for (const char* group : {"node", "pytorch-converted", "pytorch-operator", "simple"}) {
    fs::path root = fs::path(kDataRoot) / group;
    if (!fs::exists(root)) continue;
    std::vector<fs::path> cases;
    for (const auto& e : fs::directory_iterator(root))
      if (e.is_directory() && fs::exists(e.path() / "model.onnx")) cases.push_back(e.path());
    std::sort(cases.begin(), cases.end());
    for (const auto& c : cases) {
      if (filter && c.string().find(filter) == std::string::npos) continue;
      run_case(c, t);
    }
  }
  std::vector<std::pair<int, std::string>> ranked;
  for (const auto& [op, n] : t.blocked_by) ranked.emplace_back(n, op);
  std::sort(ranked.begin(), ranked.end(), [](auto& a, auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::cout << "unsupported ops (cases blocked):";
  for (const auto& [n, op] : ranked) std::cout << " " << op << "=" << n;
  std::cout << "\n";
  for (const auto& f : t.failures) std::cout << "FAILED " << f << "\n";
  std::cout << "conformance: " << t.passed << " passed, " << t.failed << " failed, " << t.skipped << " skipped\n";
  EXPECT_EQ(t.failed, 0);
  EXPECT_GT(t.passed, 0);
}
