// Precision names, the calibration text format, and Session::calibrate: the f32 reference
// run, then each lowerable subgraph re-run at bf16 and int8 on the reference's own inputs,
// so that every subgraph's error is its own (not what its predecessors passed on).
#include <cmath>
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "braid/precision.h"
#include "braid/session.h"
#include "session/session_impl.h"

namespace braid {

const char* precision_name(Precision p) noexcept {
  switch (p) {
    case Precision::kF32: return "f32";
    case Precision::kBF16: return "bf16";
    case Precision::kInt8: return "int8";
  }
  return "?";
}

const char* precision_mode_name(PrecisionMode m) noexcept {
  switch (m) {
    case PrecisionMode::kF32: return "f32";
    case PrecisionMode::kBF16: return "bf16";
    case PrecisionMode::kInt8: return "int8";
    case PrecisionMode::kAdaptive: return "adaptive";
  }
  return "?";
}

Result<PrecisionMode> parse_precision_mode(const std::string& s) {
  for (PrecisionMode m : {PrecisionMode::kF32, PrecisionMode::kBF16, PrecisionMode::kInt8, PrecisionMode::kAdaptive})
    if (s == precision_mode_name(m)) return m;
  return invalid_argument("unknown precision '" + s + "' (expected f32, bf16, int8 or adaptive)");
}

namespace {

constexpr const char* kCalibrationHeader = "braid-calibration 1";

// Reasons are written as one token: spaces become '_', empty is '-'.
std::string token(const std::string& s) {
  if (s.empty()) return "-";
  std::string t = s;
  for (char& c : t)
    if (c == ' ' || c == '\t' || c == '\n') c = '_';
  return t;
}

std::string untoken(const std::string& t) {
  if (t == "-") return "";
  std::string s = t;
  for (char& c : s)
    if (c == '_') c = ' ';
  return s;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// Error of `got` against `ref` (float32 tensors of one shape), accumulated over several.
struct ErrorSum {
  double diff2 = 0, ref2 = 0, max_abs = 0;
  void add(const Tensor& got, const Tensor& ref) {
    const float* g = got.data<float>();
    const float* r = ref.data<float>();
    for (int64_t i = 0; i < ref.numel(); ++i) {
      const double d = static_cast<double>(g[i]) - static_cast<double>(r[i]);
      diff2 += d * d;
      ref2 += static_cast<double>(r[i]) * static_cast<double>(r[i]);
      max_abs = std::max(max_abs, std::isnan(d) ? INFINITY : std::fabs(d));
    }
  }
  double rel_l2() const {
    if (ref2 > 0) return std::sqrt(diff2 / ref2);
    return diff2 > 0 ? INFINITY : 0.0;
  }
};

// The graph outputs' worst relative L2 error over `samples` when the whole model runs in
// the fixed mode `mode` against `refs` (the f32 outputs).
Result<double> output_error(const Session::Impl& impl, const std::vector<NamedTensors>& samples,
                            const std::vector<NamedTensors>& refs, PrecisionMode mode) {
  double worst = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    std::vector<Tensor> values(impl.graph.values.size());
    BRAID_RETURN_IF_ERROR(impl.bind_inputs(samples[i], values));
    RunOptions ro;
    ro.mode = ExecutionMode::kSequential;
    ro.precision = mode;
    BRAID_ASSIGN_OR_RETURN(NamedTensors out, impl.run_bound(values, ro, nullptr));
    ErrorSum e;
    for (const auto& [name, ref] : refs[i])
      if (ref.dtype() == DataType::kFloat32) e.add(out.at(name), ref);
    worst = std::max(worst, e.rel_l2());
  }
  return worst;
}

// The end-to-end pass of calibrate(): per lower precision, while the outputs' error
// exceeds `tolerance`, disallow that precision on the subgraph with the largest local
// error still allowed it. Returns the report with the final output errors.
Result<CalibrationReport> calibrate_outputs(const Session::Impl& impl, const std::vector<NamedTensors>& samples,
                                            double tolerance) {
  std::vector<NamedTensors> refs;
  for (const NamedTensors& sample : samples) {
    std::vector<Tensor> values(impl.graph.values.size());
    BRAID_RETURN_IF_ERROR(impl.bind_inputs(sample, values));
    RunOptions ro;
    ro.mode = ExecutionMode::kSequential;
    ro.precision = PrecisionMode::kF32;
    BRAID_ASSIGN_OR_RETURN(NamedTensors out, impl.run_bound(values, ro, nullptr));
    refs.push_back(std::move(out));
  }
  CalibrationReport r = impl.precision->report(impl.model_name);
  const struct {
    PrecisionMode mode;
    bool SubgraphPrecision::*allow;
    double SubgraphPrecision::*local;
    double CalibrationReport::*output;
  } passes[] = {{PrecisionMode::kBF16, &SubgraphPrecision::allow_bf16, &SubgraphPrecision::bf16_rel_l2,
                 &CalibrationReport::bf16_output_rel_l2},
                {PrecisionMode::kInt8, &SubgraphPrecision::allow_int8, &SubgraphPrecision::int8_rel_l2,
                 &CalibrationReport::int8_output_rel_l2}};
  for (const auto& pass : passes) {
    for (;;) {
      BRAID_ASSIGN_OR_RETURN(double err, output_error(impl, samples, refs, pass.mode));
      r.*pass.output = err;
      if (err <= tolerance) break;
      SubgraphPrecision* worst = nullptr;
      for (SubgraphPrecision& sp : r.subgraphs)
        if (sp.*pass.allow && (worst == nullptr || sp.*pass.local > worst->*pass.local)) worst = &sp;
      if (worst == nullptr) break;  // nothing left at this precision: the error is f32's
      worst->*pass.allow = false;
      BRAID_RETURN_IF_ERROR(impl.precision->apply_calibration(r));
    }
  }
  return r;
}

}  // namespace

std::string CalibrationReport::serialize() const {
  std::ostringstream o;
  o << kCalibrationHeader << "\n";
  o << "model " << token(model) << "\n";
  o << "outputs " << number(bf16_output_rel_l2) << ' ' << number(int8_output_rel_l2) << "\n";
  o << "subgraphs " << subgraphs.size() << "\n";
  for (const SubgraphPrecision& s : subgraphs)
    o << "sg " << s.id << ' ' << s.lowerable << ' ' << s.critical << ' ' << s.allow_bf16 << ' ' << s.allow_int8
      << ' ' << number(s.tolerance) << ' ' << number(s.bf16_rel_l2) << ' ' << number(s.bf16_max_abs) << ' '
      << number(s.int8_rel_l2) << ' ' << number(s.int8_max_abs) << ' ' << token(s.reason) << "\n";
  return o.str();
}

Result<CalibrationReport> CalibrationReport::parse(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kCalibrationHeader)
    return invalid_argument("not a Braid calibration (expected the header '" + std::string(kCalibrationHeader) + "')");
  CalibrationReport r;
  std::string word;
  size_t count = 0;
  if (!(in >> word >> r.model) || word != "model") return invalid_argument("calibration: missing 'model' line");
  r.model = untoken(r.model);
  if (!(in >> word >> r.bf16_output_rel_l2 >> r.int8_output_rel_l2) || word != "outputs")
    return invalid_argument("calibration: missing 'outputs' line");
  if (!(in >> word >> count) || word != "subgraphs") return invalid_argument("calibration: missing 'subgraphs' line");
  if (count > (size_t{1} << 24)) return invalid_argument("calibration: implausible subgraph count");
  for (size_t i = 0; i < count; ++i) {
    SubgraphPrecision s;
    std::string reason;
    if (!(in >> word >> s.id >> s.lowerable >> s.critical >> s.allow_bf16 >> s.allow_int8 >> s.tolerance >>
          s.bf16_rel_l2 >> s.bf16_max_abs >> s.int8_rel_l2 >> s.int8_max_abs >> reason) ||
        word != "sg")
      return invalid_argument("calibration: subgraph line " + std::to_string(i) + " is malformed");
    if (std::isnan(s.tolerance) || s.tolerance < 0)
      return invalid_argument("calibration: subgraph " + std::to_string(s.id) + " has a bad tolerance");
    s.reason = untoken(reason);
    r.subgraphs.push_back(std::move(s));
  }
  return r;
}

Result<CalibrationReport> Session::calibrate(const std::vector<NamedTensors>& samples,
                                             const CalibrationOptions& options) {
  const Impl& impl = *impl_;
  if (samples.empty()) return invalid_argument("calibrate: no sample inputs");
  CalibrationReport current = impl.precision->report(impl.model_name);
  const auto& subgraphs = impl.partition.subgraphs;
  std::vector<ErrorSum> worst[2];  // [bf16, int8] per subgraph: the worst sample
  for (auto& w : worst) w.assign(subgraphs.size(), ErrorSum{});
  std::vector<std::pair<detail::ValueId, Tensor>> saved;
  for (const NamedTensors& sample : samples) {
    std::vector<Tensor> values(impl.graph.values.size());
    BRAID_RETURN_IF_ERROR(impl.bind_inputs(sample, values));
    // The f32 reference, keeping every value (no releases).
    for (size_t n = 0; n < impl.graph.nodes.size(); ++n)
      BRAID_RETURN_IF_ERROR(detail::run_node(impl.graph, impl.plan, values, static_cast<detail::NodeId>(n),
                                             impl.threads, {}, Precision::kF32)
                                .with_context(impl.model_name + ": calibration"));
    for (const detail::Subgraph& sg : subgraphs) {
      const SubgraphPrecision& policy = current.subgraphs[sg.id];
      if (!policy.lowerable || policy.critical) continue;
      const Precision lower[2] = {Precision::kBF16, Precision::kInt8};
      for (int li = 0; li < 2; ++li) {
        // Its nodes again at the lower precision, on the reference inputs; then the
        // reference values are put back.
        saved.clear();
        for (detail::NodeId n : sg.nodes)
          for (detail::ValueId v : impl.graph.nodes[n].outputs)
            if (v != detail::kNoValue) saved.emplace_back(v, values[v]);
        Status st;
        for (detail::NodeId n : sg.nodes) {
          st = detail::run_node(impl.graph, impl.plan, values, n, impl.threads, {}, lower[li]);
          if (!st.ok()) break;
        }
        ErrorSum e;
        if (st.ok())
          for (const auto& [v, ref] : saved) {
            const bool is_output = std::find(sg.outputs.begin(), sg.outputs.end(), v) != sg.outputs.end();
            if (is_output && ref.dtype() == DataType::kFloat32 && values[v].shape() == ref.shape())
              e.add(values[v], ref);
          }
        for (auto& [v, ref] : saved) values[v] = std::move(ref);
        BRAID_RETURN_IF_ERROR(st.with_context(impl.model_name + ": calibration"));
        if (e.rel_l2() >= worst[li][sg.id].rel_l2()) worst[li][sg.id] = e;
      }
    }
  }
  for (const detail::Subgraph& sg : subgraphs) {
    SubgraphPrecision& s = current.subgraphs[sg.id];
    if (!s.lowerable || s.critical) continue;
    s.bf16_rel_l2 = worst[0][sg.id].rel_l2();
    s.bf16_max_abs = worst[0][sg.id].max_abs;
    s.int8_rel_l2 = worst[1][sg.id].rel_l2();
    s.int8_max_abs = worst[1][sg.id].max_abs;
  }
  BRAID_RETURN_IF_ERROR(impl.precision->apply_calibration(current));
  if (options.output_tolerance > 0) {
    BRAID_ASSIGN_OR_RETURN(current, calibrate_outputs(impl, samples, options.output_tolerance));
  }
  CalibrationReport out = precision_report();
  out.bf16_output_rel_l2 = current.bf16_output_rel_l2;
  out.int8_output_rel_l2 = current.int8_output_rel_l2;
  return out;
}

Status Session::load_calibration(const CalibrationReport& report) {
  return impl_->precision->apply_calibration(report);
}

CalibrationReport Session::precision_report() const { return impl_->precision->report(impl_->model_name); }

}  // namespace braid
