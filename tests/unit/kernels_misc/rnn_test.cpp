// LSTM / GRU / RNN against a per-sequence double-precision reference written here, over
// directions, sequence_lens, initial states, peepholes, clip, input_forget,
// linear_before_reset, activation lists and layouts; plus the LSTM nodes of the real
// models in ../shared/models (dtln_model_1, silero_vad; dtln_model_2 has none).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "common/test_util.h"
#include "misc_test_util.h"
#include "onnx/onnx_importer.h"

namespace braid::misc_test {
namespace {

struct Act {
  std::string name;
  double alpha = 0, beta = 0;
};

double act(const Act& a, double x) {
  if (a.name == "Sigmoid") return 1 / (1 + std::exp(-x));
  if (a.name == "Tanh") return std::tanh(x);
  if (a.name == "Relu") return std::max(0.0, x);
  if (a.name == "LeakyRelu") return x >= 0 ? x : a.alpha * x;
  if (a.name == "HardSigmoid") return std::min(1.0, std::max(0.0, a.alpha * x + a.beta));
  if (a.name == "ScaledTanh") return a.alpha * std::tanh(a.beta * x);
  if (a.name == "Affine") return a.alpha * x + a.beta;
  if (a.name == "Elu") return x >= 0 ? x : a.alpha * (std::exp(x) - 1);
  if (a.name == "Softsign") return x / (1 + std::abs(x));
  if (a.name == "Softplus") return std::log(1 + std::exp(x));
  if (a.name == "ThresholdedRelu") return x > a.alpha ? x : 0;
  ADD_FAILURE() << "unknown activation " << a.name;
  return 0;
}

struct RnnCase {
  std::string op = "LSTM";
  int64_t seq = 3, batch = 2, input = 4, hidden = 5;
  std::string direction = "forward";
  int64_t layout = 0;
  bool bias = true, seq_lens = false, init_h = false, init_c = false, peephole = false;
  double clip = 0;
  bool input_forget = false, linear_before_reset = false;
  std::vector<Act> acts;  // empty: defaults
  bool f64 = false;
};

int gates(const std::string& op) { return op == "LSTM" ? 4 : op == "GRU" ? 3 : 1; }

struct RnnInputs {
  Tensor x, w, r, b, lens, h0, c0, p;
};

struct RnnOutputs {
  std::vector<double> y, y_h, y_c;
};

// The reference, one batch row and one direction at a time.
RnnOutputs ref_rnn(const RnnCase& c, const RnnInputs& in) {
  const int64_t D = c.direction == "bidirectional" ? 2 : 1, H = c.hidden, I = c.input, S = c.seq, B = c.batch;
  const int64_t G = gates(c.op);
  std::vector<Act> acts = c.acts;
  if (acts.empty()) {
    if (c.op == "LSTM") acts = {{"Sigmoid"}, {"Tanh"}, {"Tanh"}};
    else if (c.op == "GRU") acts = {{"Sigmoid"}, {"Tanh"}};
    else acts = {{"Tanh"}};
  }
  if (static_cast<int64_t>(acts.size()) == (c.op == "LSTM" ? 3 : c.op == "GRU" ? 2 : 1) && D == 2) {
    auto copy = acts;
    acts.insert(acts.end(), copy.begin(), copy.end());
  }
  const size_t per = acts.size() / D;
  auto clip = [&](double v) { return c.clip > 0 ? std::min(c.clip, std::max(-c.clip, v)) : v; };
  auto xv = [&](int64_t t, int64_t b, int64_t i) { return at(in.x, (c.layout ? b * S + t : t * B + b) * I + i); };
  auto state = [&](int64_t d, int64_t b) { return c.layout ? b * D + d : d * B + b; };
  RnnOutputs out;
  out.y.assign(static_cast<size_t>(S * D * B * H), 0);
  out.y_h.assign(static_cast<size_t>(D * B * H), 0);
  out.y_c.assign(out.y_h.size(), 0);
  for (int64_t d = 0; d < D; ++d) {
    const bool reverse = c.direction == "reverse" || d == 1;
    const Act* a = acts.data() + d * per;
    for (int64_t b = 0; b < B; ++b) {
      const int64_t len = in.lens.defined() ? in.lens.data<int32_t>()[b] : S;
      std::vector<double> h(H, 0), cs(H, 0);
      for (int64_t k = 0; k < H; ++k) {
        if (in.h0.defined()) h[k] = at(in.h0, state(d, b) * H + k);
        if (in.c0.defined()) cs[k] = at(in.c0, state(d, b) * H + k);
      }
      for (int64_t s = 0; s < len; ++s) {
        const int64_t t = reverse ? len - 1 - s : s;
        // wx[j] = W x + Wb; rh[j] = R h + Rb for each gate row j.
        std::vector<double> wx(G * H), rh(G * H);
        for (int64_t j = 0; j < G * H; ++j) {
          double sw = in.b.defined() ? at(in.b, d * 2 * G * H + j) : 0;
          double sr = in.b.defined() ? at(in.b, d * 2 * G * H + G * H + j) : 0;
          for (int64_t i = 0; i < I; ++i) sw += at(in.w, (d * G * H + j) * I + i) * xv(t, b, i);
          for (int64_t i = 0; i < H; ++i) sr += at(in.r, (d * G * H + j) * H + i) * h[i];
          wx[j] = sw;
          rh[j] = sr;
        }
        std::vector<double> nh(H);
        if (c.op == "LSTM") {
          auto pv = [&](int64_t g, int64_t k) { return in.p.defined() ? at(in.p, d * 3 * H + g * H + k) : 0.0; };
          for (int64_t k = 0; k < H; ++k) {
            const double ig = act(a[0], clip(wx[k] + rh[k] + pv(0, k) * cs[k]));
            const double fg = c.input_forget ? 1 - ig : act(a[0], clip(wx[2 * H + k] + rh[2 * H + k] + pv(2, k) * cs[k]));
            const double cg = act(a[1], clip(wx[3 * H + k] + rh[3 * H + k]));
            cs[k] = fg * cs[k] + ig * cg;
            const double og = act(a[0], clip(wx[H + k] + rh[H + k] + pv(1, k) * cs[k]));
            nh[k] = og * act(a[2], cs[k]);
          }
        } else if (c.op == "GRU") {
          std::vector<double> z(H), r(H);
          for (int64_t k = 0; k < H; ++k) {
            z[k] = act(a[0], clip(wx[k] + rh[k]));
            r[k] = act(a[0], clip(wx[H + k] + rh[H + k]));
          }
          for (int64_t k = 0; k < H; ++k) {
            double pre;
            if (c.linear_before_reset) {
              pre = wx[2 * H + k] + r[k] * rh[2 * H + k];
            } else {
              double s2 = in.b.defined() ? at(in.b, d * 2 * G * H + G * H + 2 * H + k) : 0;
              for (int64_t i = 0; i < H; ++i) s2 += at(in.r, (d * G * H + 2 * H + k) * H + i) * r[i] * h[i];
              pre = wx[2 * H + k] + s2;
            }
            const double cand = act(a[1], clip(pre));
            nh[k] = (1 - z[k]) * cand + z[k] * h[k];
          }
        } else {
          for (int64_t k = 0; k < H; ++k) nh[k] = act(a[0], clip(wx[k] + rh[k]));
        }
        h = nh;
        for (int64_t k = 0; k < H; ++k) {
          const int64_t row = c.layout ? (b * S + t) * D + d : (t * D + d) * B + b;
          out.y[row * H + k] = h[k];
        }
      }
      for (int64_t k = 0; k < H; ++k) {
        out.y_h[state(d, b) * H + k] = h[k];
        out.y_c[state(d, b) * H + k] = cs[k];
      }
    }
  }
  return out;
}

Tensor rand_t(Shape s, uint32_t seed, bool f64, float lo = -1, float hi = 1) {
  Tensor t = random_tensor(std::move(s), seed, lo, hi);
  if (!f64) return t;
  std::vector<double> v(t.data<float>(), t.data<float>() + t.numel());
  return make_tensor<double>(t.shape(), v);
}

void run_case(const RnnCase& c, const std::string& what) {
  const int64_t D = c.direction == "bidirectional" ? 2 : 1, G = gates(c.op) * c.hidden;
  RnnInputs in;
  in.x = rand_t(c.layout ? Shape{c.batch, c.seq, c.input} : Shape{c.seq, c.batch, c.input}, 1, c.f64);
  in.w = rand_t({D, G, c.input}, 2, c.f64, -0.7f, 0.7f);
  in.r = rand_t({D, G, c.hidden}, 3, c.f64, -0.7f, 0.7f);
  if (c.bias) in.b = rand_t({D, 2 * G}, 4, c.f64);
  if (c.seq_lens) {
    std::vector<int32_t> lens;
    for (int64_t b = 0; b < c.batch; ++b) lens.push_back(static_cast<int32_t>((c.seq - b % (c.seq + 1) + c.seq + 1) % (c.seq + 1)));
    in.lens = make_tensor<int32_t>({c.batch}, lens);
  }
  const Shape state = c.layout ? Shape{c.batch, D, c.hidden} : Shape{D, c.batch, c.hidden};
  if (c.init_h) in.h0 = rand_t(state, 5, c.f64);
  if (c.init_c) in.c0 = rand_t(state, 6, c.f64);
  if (c.peephole) in.p = rand_t({D, 3 * c.hidden}, 7, c.f64);

  OpRunner op(c.op, 14, c.op == "LSTM" ? 3 : 2);
  op.attr(attr_int("hidden_size", c.hidden)).attr(attr_string("direction", c.direction)).attr(attr_int("layout", c.layout));
  if (c.clip > 0) op.attr(attr_float("clip", static_cast<float>(c.clip)));
  if (c.input_forget) op.attr(attr_int("input_forget", 1));
  if (c.linear_before_reset) op.attr(attr_int("linear_before_reset", 1));
  if (!c.acts.empty()) {
    std::vector<std::string> names;
    std::vector<float> alphas, betas;
    for (const Act& a : c.acts) {
      names.push_back(a.name);
      if (a.name == "LeakyRelu" || a.name == "Elu" || a.name == "ThresholdedRelu") alphas.push_back(static_cast<float>(a.alpha));
      if (a.name == "HardSigmoid" || a.name == "ScaledTanh" || a.name == "Affine") {
        alphas.push_back(static_cast<float>(a.alpha));
        betas.push_back(static_cast<float>(a.beta));
      }
    }
    op.attr(attr_strings("activations", names));
    if (!alphas.empty()) op.attr(attr_floats("activation_alpha", alphas));
    if (!betas.empty()) op.attr(attr_floats("activation_beta", betas));
  }
  op.input(in.x).input(in.w).input(in.r);
  const Tensor* optional[] = {&in.b, &in.lens, &in.h0, &in.c0, &in.p};
  const int count = c.op == "LSTM" ? 5 : 3;
  int last = -1;
  for (int i = 0; i < count; ++i)
    if (optional[i]->defined()) last = i;
  for (int i = 0; i <= last; ++i) {
    if (optional[i]->defined()) op.input(*optional[i]);
    else op.omitted();
  }
  auto out = op.run();
  ASSERT_TRUE(out.ok()) << what << ": " << out.status().to_string();
  RnnCase rc = c;
  // Activation params as float, as the kernel reads them.
  for (Act& a : rc.acts) a.alpha = static_cast<float>(a.alpha), a.beta = static_cast<float>(a.beta);
  rc.clip = static_cast<float>(c.clip);
  const RnnOutputs e = ref_rnn(rc, in);
  const double tol = c.f64 ? 1e-10 : 2e-5;
  expect_close((*out)[0], e.y, c.layout ? Shape{c.batch, c.seq, D, c.hidden} : Shape{c.seq, D, c.batch, c.hidden}, tol,
               tol, what + " Y");
  expect_close((*out)[1], e.y_h, state, tol, tol, what + " Y_h");
  if (c.op == "LSTM") expect_close((*out)[2], e.y_c, state, tol, tol, what + " Y_c");
}

TEST(MiscRnn, LstmVariantsMatchReference) {
  RnnCase c;
  run_case(c, "lstm default");
  for (const char* dir : {"forward", "reverse", "bidirectional"}) {
    for (int64_t layout : {0, 1}) {
      RnnCase v;
      v.direction = dir;
      v.layout = layout;
      v.batch = 4;
      v.seq_lens = true;
      v.init_h = v.init_c = v.peephole = true;
      run_case(v, std::string("lstm ") + dir + " layout " + std::to_string(layout));
    }
  }
  RnnCase clip;
  clip.clip = 0.3;
  clip.input_forget = true;
  clip.bias = false;
  run_case(clip, "lstm clip input_forget");
  RnnCase acts;
  acts.direction = "bidirectional";
  acts.acts = {{"HardSigmoid", 0.3, 0.4}, {"LeakyRelu", 0.1}, {"ScaledTanh", 0.9, 1.1},
               {"Sigmoid"},              {"Softsign"},       {"Elu", 0.7}};
  run_case(acts, "lstm activations");
  RnnCase f64;
  f64.f64 = true;
  f64.direction = "bidirectional";
  f64.peephole = f64.init_h = true;
  run_case(f64, "lstm f64");
}

TEST(MiscRnn, GruVariantsMatchReference) {
  for (bool lbr : {false, true}) {
    for (const char* dir : {"forward", "reverse", "bidirectional"}) {
      RnnCase c;
      c.op = "GRU";
      c.linear_before_reset = lbr;
      c.direction = dir;
      c.batch = 3;
      c.seq_lens = c.init_h = true;
      run_case(c, std::string("gru ") + dir + (lbr ? " lbr" : ""));
    }
  }
  RnnCase c;
  c.op = "GRU";
  c.layout = 1;
  c.clip = 0.5;
  c.acts = {{"Affine", 0.5, 0.1}, {"Relu"}};
  c.bias = false;
  run_case(c, "gru layout clip acts");
}

TEST(MiscRnn, RnnVariantsMatchReference) {
  for (const char* dir : {"forward", "reverse", "bidirectional"}) {
    RnnCase c;
    c.op = "RNN";
    c.direction = dir;
    c.seq_lens = c.init_h = true;
    c.batch = 3;
    run_case(c, std::string("rnn ") + dir);
  }
  RnnCase c;
  c.op = "RNN";
  c.layout = 1;
  c.acts = {{"Relu"}};
  c.f64 = true;
  run_case(c, "rnn relu f64 batch-major");
}

TEST(MiscRnn, BadInputsGiveClearErrors) {
  {
    OpRunner op("LSTM", 14, 3);
    op.attr(attr_int("hidden_size", 3)).attr(attr_string("direction", "sideways"));
    op.input(random_tensor({1, 1, 2}, 1)).input(random_tensor({1, 12, 2}, 2)).input(random_tensor({1, 12, 3}, 3));
    expect_error(op.load(), StatusCode::kInvalidArgument, "direction");
  }
  {
    OpRunner op("LSTM", 14, 3);
    op.attr(attr_int("hidden_size", 3));
    op.input(random_tensor({1, 1, 2}, 1)).input(random_tensor({1, 12, 3}, 2)).input(random_tensor({1, 12, 3}, 3));
    expect_error(op.run(), StatusCode::kInvalidArgument, "W has shape");
  }
  {
    OpRunner op("GRU", 14, 2);
    op.attr(attr_int("hidden_size", 3));
    op.input(random_tensor({2, 1, 2}, 1)).input(random_tensor({1, 9, 2}, 2)).input(random_tensor({1, 9, 3}, 3));
    op.omitted().input(make_tensor<int32_t>({1}, {3}));
    expect_error(op.run(), StatusCode::kInvalidArgument, "sequence_lens");
  }
  {
    OpRunner op("RNN", 14, 2);
    op.attr(attr_int("hidden_size", 3)).attr(attr_strings("activations", {"Gelu"}));
    op.input(random_tensor({2, 1, 2}, 1)).input(random_tensor({1, 3, 2}, 2)).input(random_tensor({1, 3, 3}, 3));
    expect_error(op.load(), StatusCode::kUnsupportedOp, "Gelu");
  }
}

// The LSTM nodes of the real models: their attributes and constant weights load, and the
// kernel matches the reference on inputs of their declared shapes.
void check_model_lstms(const std::string& file) {
  const std::string path = braid::testing::shared_models_dir() + "/" + file;
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present";
  auto graph = detail::import_onnx_file(path);
  ASSERT_TRUE(graph.ok()) << graph.status().to_string();
  int found = 0;
  for (const detail::Node& node : graph->nodes) {
    if (node.op_type != "LSTM") continue;
    ++found;
    const detail::KernelDef* def = detail::OpRegistry::global().find("", "LSTM", node.opset);
    ASSERT_NE(def, nullptr);
    auto kernel = def->create(detail::KernelInit{&*graph, &node});
    ASSERT_TRUE(kernel.ok()) << kernel.status().to_string();

    // Replay the node with its attributes and constants; computed inputs get random values.
    OpRunner op("LSTM", node.opset, static_cast<int>(node.outputs.size()));
    for (const auto& a : node.attributes) op.attr(a);
    RnnInputs in;
    Tensor* slots[] = {&in.x, &in.w, &in.r, &in.b, &in.lens, &in.h0, &in.c0, &in.p};
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i] == detail::kNoValue) {
        op.omitted();
        continue;
      }
      const detail::Value& v = graph->values[node.inputs[i]];
      if (v.constant) {
        *slots[i] = *v.constant;
        op.constant(*v.constant);
        continue;
      }
      ASSERT_TRUE(v.shape.has_value()) << file << ": input " << i << " has no static shape";
      Shape s;
      for (const auto& d : *v.shape) s.push_back(d.known() ? d.value : 1);
      *slots[i] = random_tensor(s, static_cast<uint32_t>(i + 1), i == 1 || i == 2 ? -0.2f : -1.0f, i == 1 || i == 2 ? 0.2f : 1.0f);
      op.input(*slots[i]);
    }
    auto out = op.run();
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    RnnCase c;
    c.seq = in.x.dim(0);
    c.batch = in.x.dim(1);
    c.input = in.x.dim(2);
    c.hidden = in.r.dim(2);
    const RnnOutputs e = ref_rnn(c, in);
    const Shape state{1, c.batch, c.hidden};
    if (node.outputs[0] != detail::kNoValue)
      expect_close((*out)[0], e.y, {c.seq, 1, c.batch, c.hidden}, 1e-4, 1e-5, file + " Y");
    expect_close((*out)[1], e.y_h, state, 1e-4, 1e-5, file + " Y_h");
    expect_close((*out)[2], e.y_c, state, 1e-4, 1e-5, file + " Y_c");
  }
  EXPECT_GT(found, 0) << file;
}

TEST(MiscRnn, DtlnModel1Lstms) { check_model_lstms("dtln_model_1.onnx"); }
TEST(MiscRnn, SileroVadLstm) { check_model_lstms("silero_vad_openvino_16k.onnx"); }

}  // namespace
}  // namespace braid::misc_test
