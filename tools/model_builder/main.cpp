// braid-make-models: writes Braid's benchmark workloads as ONNX files.
//
//   braid-make-models OUT_DIR                 the five bundled workloads
//   braid-make-models OUT_DIR resnet wide_mlp only these (any name from --list)
//   braid-make-models OUT_DIR all             every known workload, incl. matmul_2048
//   braid-make-models --list                  names, shapes and descriptions
//
// Prints one line per model: name, path, bytes and its node/op/GFLOP summary (JSON).
// Exit status 0 when every model was built, checked and written; 1 otherwise; 2 on usage.
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "model_stats.h"
#include "onnx/onnx_pb.h"
#include "workloads.h"

namespace {

namespace mg = braid::modelgen;

std::string dims_string(const std::vector<int64_t>& dims) {
  std::string s;
  for (int64_t d : dims) {
    if (!s.empty()) s.push_back('x');
    s.append(std::to_string(d));
  }
  return s;
}

int usage() {
  std::fprintf(stderr,
               "usage: braid-make-models OUT_DIR [all | NAME...]\n"
               "       braid-make-models --list\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help") return usage();
  if (args[0] == "--list") {
    for (const auto& w : mg::workloads()) {
      std::printf("%-15s %-9s opset %2lld  %s %s -> %s %s  %.*s\n", std::string(w.name).c_str(),
                  w.bundled ? "bundled" : "extra", static_cast<long long>(w.opset), std::string(w.input_name).c_str(),
                  dims_string(w.input_dims).c_str(), std::string(w.output_name).c_str(),
                  dims_string(w.output_dims).c_str(), static_cast<int>(w.description.size()), w.description.data());
    }
    return 0;
  }
  const std::filesystem::path out_dir = args[0];
  std::vector<std::string> names(args.begin() + 1, args.end());
  if (names.empty()) names = mg::bundled_workload_names();
  if (names.size() == 1 && names[0] == "all") {
    names.clear();
    for (const auto& w : mg::workloads()) names.emplace_back(w.name);
  }
  for (const auto& n : names) {
    if (mg::find_workload(n) == nullptr) {
      std::fprintf(stderr, "braid-make-models: unknown workload '%s' (see --list)\n", n.c_str());
      return 2;
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    std::fprintf(stderr, "braid-make-models: cannot create %s: %s\n", out_dir.c_str(), ec.message().c_str());
    return 1;
  }
  int failures = 0;
  for (const auto& n : names) {
    std::string error;
    const onnx::ModelProto model = mg::make_workload(n, &error);
    const std::filesystem::path path = out_dir / (n + ".onnx");
    if (error.empty()) mg::write_model(model, path.string(), &error);
    if (!error.empty()) {
      std::fprintf(stderr, "braid-make-models: %s: %s\n", n.c_str(), error.c_str());
      ++failures;
      continue;
    }
    const auto bytes = std::filesystem::file_size(path, ec);
    std::printf("%s %s %llu %s\n", n.c_str(), path.c_str(), static_cast<unsigned long long>(ec ? 0 : bytes),
                mg::to_json(mg::model_stats(model)).c_str());
  }
  return failures == 0 ? 0 : 1;
}
