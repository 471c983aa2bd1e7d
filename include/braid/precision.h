// Adaptive precision: which arithmetic each subgraph may run in, and how Braid picks one
// per run. MatMul, Gemm and Conv with constant weights have bf16 (f32 accumulation) and
// int8 (s32 accumulation, per-channel weights, per-row dynamic activations) variants; every
// other op always computes in f32, inside a lowered subgraph too.
//
//   braid::SessionOptions opt;
//   opt.precision = braid::PrecisionMode::kAdaptive;            // lower only under pressure
//   opt.precision_rules.push_back(braid::PrecisionRule::op_type("Gemm", braid::PrecisionPolicy::f32_only()));
//   auto session = braid::Session::load("model.onnx", opt).value();
//   braid::CalibrationReport r = session.calibrate({sample}).value();  // once per model
//   std::string saved = r.serialize();                          // later: load_calibration
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "braid/status.h"

namespace braid {

enum class Precision : uint8_t { kF32 = 0, kBF16 = 1, kInt8 = 2 };
inline constexpr int kPrecisionCount = 3;

const char* precision_name(Precision p) noexcept;  // "f32", "bf16", "int8"

// How a session chooses precisions (SessionOptions::precision, RunOptions::precision).
enum class PrecisionMode {
  kF32,       // everything in f32 (the default: outputs identical across modes)
  kBF16,      // every subgraph whose policy allows it in bf16, the rest f32
  kInt8,      // every subgraph whose policy allows it in int8, the rest f32
  kAdaptive,  // per subgraph and run, from the ResourceVector: see docs/precision.md
};

const char* precision_mode_name(PrecisionMode m) noexcept;  // "f32", "bf16", "int8", "adaptive"
// "f32" | "bf16" | "int8" | "adaptive" -> mode; anything else is kInvalidArgument.
Result<PrecisionMode> parse_precision_mode(const std::string& s);

// What one subgraph (or node) may run in.
struct PrecisionPolicy {
  bool allow_bf16 = true;
  bool allow_int8 = true;
  bool critical = false;    // always f32, whatever the mode
  // Largest relative L2 error of the subgraph's outputs against f32 that calibrate()
  // accepts for a lower precision; above it that precision is disallowed there.
  double tolerance = 0.02;

  static PrecisionPolicy f32_only() {
    PrecisionPolicy p;
    p.critical = true;
    return p;
  }
};

// A user rule: the policy of the nodes it matches. A subgraph's policy is the strictest
// of its nodes' (a critical node keeps its whole subgraph in f32). Later rules win.
struct PrecisionRule {
  enum class Match { kOpType, kNodeName, kSubgraph };
  Match match = Match::kOpType;
  std::string key;    // op type, node name, or subgraph id (decimal, Session::subgraph_profile)
  PrecisionPolicy policy;

  static PrecisionRule op_type(std::string type, PrecisionPolicy p) { return {Match::kOpType, std::move(type), p}; }
  static PrecisionRule node_name(std::string name, PrecisionPolicy p) { return {Match::kNodeName, std::move(name), p}; }
  static PrecisionRule subgraph(int id, PrecisionPolicy p) { return {Match::kSubgraph, std::to_string(id), p}; }
};

// Per subgraph: its precision policy after defaults, rules and calibration, and the
// measured error of each lower precision (Session::precision_report, calibrate()).
struct SubgraphPrecision {
  int id = 0;
  bool lowerable = false;      // has a node with a bf16/int8 variant
  bool critical = false;       // stays f32
  std::string reason;          // why critical: "graph output", "Softmax", "rule", "calibration", ...
  bool allow_bf16 = false;     // effective (false when not lowerable)
  bool allow_int8 = false;
  double tolerance = 0.02;
  // Measured by calibrate(), -1 when not measured: relative L2 and max abs error of the
  // subgraph's outputs against f32, with f32 inputs, worst over the samples.
  double bf16_rel_l2 = -1, bf16_max_abs = -1;
  double int8_rel_l2 = -1, int8_max_abs = -1;
};

struct CalibrationOptions {
  // Largest relative L2 error of the graph outputs (all float outputs together, worst
  // sample) accepted at a lower precision; <= 0 skips the end-to-end pass.
  double output_tolerance = 0.05;
};

// The calibration of one model: serialisable so that it is measured once per model.
struct CalibrationReport {
  std::string model;  // the model's file name, for a sanity check when it is loaded back
  std::vector<SubgraphPrecision> subgraphs;
  // The graph outputs' relative L2 error at each lower precision after calibration (the
  // whole model in that fixed mode, worst sample); -1 when not measured.
  double bf16_output_rel_l2 = -1;
  double int8_output_rel_l2 = -1;

  // A line-oriented text form ("braid-calibration 1" header); parse() checks it.
  std::string serialize() const;
  static Result<CalibrationReport> parse(const std::string& text);
};

}  // namespace braid
