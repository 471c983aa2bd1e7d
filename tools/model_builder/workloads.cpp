// The bundled workloads; each function mirrors the function of the same name in
// ../shared/tools/peer/make_models.py, statement by statement.
#include "workloads.h"

#include <array>
#include <cmath>
#include <optional>
#include <tuple>

#include "onnx/onnx_pb.h"

namespace braid::modelgen {

namespace {

constexpr DType kF32 = DType::kFloat;

// Python evaluates call arguments left to right; C++ does not promise an order, so every
// builder call that creates a value gets its own statement.

GraphBuilder inception() {
  GraphBuilder g("inception_v1", 1);
  g.input("input", kF32, {1, 3, 224, 224});
  std::string x = g.conv("input", 3, 64, 7, 2, 3);  // 112
  x = g.maxpool(x, 3, 2, 1);                         // 56
  x = g.conv(x, 64, 64, 1);
  x = g.conv(x, 64, 192, 3);
  x = g.maxpool(x, 3, 2, 1);  // 28

  using Cfg = std::array<int64_t, 6>;  // c1, c3r, c3, c5r, c5, cp
  auto module = [&g](const std::string& in, int64_t cin, const Cfg& c) {
    std::string b1 = g.conv(in, cin, c[0], 1);
    std::string b2 = g.conv(in, cin, c[1], 1);
    b2 = g.conv(b2, c[1], c[2], 3);
    std::string b3 = g.conv(in, cin, c[3], 1);
    b3 = g.conv(b3, c[3], c[4], 5);
    std::string b4 = g.maxpool(in, 3, 1, 1);
    b4 = g.conv(b4, cin, c[5], 1);
    std::string y = g.op("Concat", {b1, b2, b3, b4}, {attr_int("axis", 1)});
    return std::pair{y, c[0] + c[2] + c[4] + c[5]};
  };
  const std::array<Cfg, 2> cfg3 = {{{64, 96, 128, 16, 32, 32}, {128, 128, 192, 32, 96, 64}}};
  const std::array<Cfg, 5> cfg4 = {{{192, 96, 208, 16, 48, 64},
                                    {160, 112, 224, 24, 64, 64},
                                    {128, 128, 256, 24, 64, 64},
                                    {112, 144, 288, 32, 64, 64},
                                    {256, 160, 320, 32, 128, 128}}};
  const std::array<Cfg, 2> cfg5 = {{{256, 160, 320, 32, 128, 128}, {384, 192, 384, 48, 128, 128}}};
  int64_t c = 192;
  for (const Cfg& cf : cfg3) std::tie(x, c) = module(x, c, cf);
  x = g.maxpool(x, 3, 2, 1);  // 14
  for (const Cfg& cf : cfg4) std::tie(x, c) = module(x, c, cf);
  x = g.maxpool(x, 3, 2, 1);  // 7
  for (const Cfg& cf : cfg5) std::tie(x, c) = module(x, c, cf);
  x = g.global_avg_pool(x);
  x = g.flatten(x);
  std::string y = g.gemm(x, c, 1000);
  g.output(g.rename(y, "logits"), kF32, {1, 1000});
  return g;
}

GraphBuilder wide_mlp() {
  GraphBuilder g("wide_mlp", 2);
  g.input("input", kF32, {1, 512});
  std::vector<std::string> outs;
  for (int br = 0; br < 8; ++br) {
    std::string x = "input";
    for (int layer = 0; layer < 3; ++layer) x = g.linear(x, 512, 512, true, std::sqrt(2.0 / 512));
    outs.push_back(x);
  }
  std::string y = g.op("Sum", outs);
  g.output(g.rename(y, "output"), kF32, {1, 512});
  return g;
}

// 2 encoder layers: per-head Q/K/V MatMul+Add, K^T, scaled scores, Softmax, P*V; Concat of
// the heads, output projection, residual + LayerNorm, FFN (ReLU), residual + LayerNorm.
// fused_ln = false decomposes LayerNorm into ReduceMean/Sub/Pow/Sqrt/Div/Mul/Add as
// make_models.py does (opset 13); true writes LayerNormalization nodes (opset 17).
GraphBuilder transformer(bool fused_ln, int64_t S = 128, int64_t D = 256, int64_t H = 4, int64_t FF = 1024,
                         int L = 2) {
  GraphBuilder g(fused_ln ? "transformer_2layer_ln" : "transformer_2layer", 3);
  g.input("input", kF32, {1, S, D});
  const int64_t dh = D / H;
  const std::string scale = g.initializer(Tensor::scalar(static_cast<float>(1.0 / std::sqrt(double(dh)))), "scale");
  std::string eps;
  std::string two;
  if (!fused_ln) {  // only the decomposed form uses them
    eps = g.initializer(Tensor::scalar(1e-5f), "eps");
    two = g.initializer(Tensor::scalar(2.0f), "two");
  }

  auto layernorm = [&](const std::string& x) {
    std::string n;
    if (!fused_ln) {
      const std::string mu = g.op("ReduceMean", {x}, {attr_ints("axes", {-1}), attr_int("keepdims", 1)});
      const std::string d = g.op("Sub", {x, mu});
      const std::string sq = g.op("Pow", {d, two});
      const std::string var = g.op("ReduceMean", {sq}, {attr_ints("axes", {-1}), attr_int("keepdims", 1)});
      const std::string ve = g.op("Add", {var, eps});
      const std::string sd = g.op("Sqrt", {ve});
      n = g.op("Div", {d, sd});
    }
    std::vector<float> gamma_v(static_cast<std::size_t>(D));
    for (float& v : gamma_v) v = static_cast<float>(1.0 + g.rng().normal(0.0, 0.05));
    const std::string gamma = g.initializer({D}, gamma_v, "gamma");
    const std::string beta = g.bias(D);
    if (fused_ln) {
      return g.op("LayerNormalization", {x, gamma, beta}, {attr_int("axis", -1), attr_float("epsilon", 1e-5f)});
    }
    const std::string scaled = g.op("Mul", {n, gamma});
    return g.op("Add", {scaled, beta});
  };

  const double qkv_std = std::sqrt(1.0 / double(D));
  std::string x = "input";
  for (int layer = 0; layer < L; ++layer) {
    std::vector<std::string> heads;
    for (int64_t h = 0; h < H; ++h) {
      const std::string q = g.linear(x, D, dh, false, qkv_std);
      const std::string k = g.linear(x, D, dh, false, qkv_std);
      const std::string v = g.linear(x, D, dh, false, qkv_std);
      const std::string kt = g.op("Transpose", {k}, {attr_ints("perm", {0, 2, 1})});  // [1,dh,S]
      const std::string qk = g.op("MatMul", {q, kt});                                // [1,S,S]
      const std::string s = g.op("Mul", {qk, scale});
      const std::string p = g.op("Softmax", {s}, {attr_int("axis", -1)});
      heads.push_back(g.op("MatMul", {p, v}));  // [1,S,dh]
    }
    std::string a = g.op("Concat", heads, {attr_int("axis", -1)});
    a = g.linear(a, D, D, false, qkv_std);
    x = layernorm(g.op("Add", {x, a}));
    std::string f = g.linear(x, D, FF, true);
    f = g.linear(f, FF, D, false, std::sqrt(1.0 / double(FF)));
    x = layernorm(g.op("Add", {x, f}));
  }
  g.output(g.rename(x, "output"), kF32, {1, S, D});
  return g;
}

GraphBuilder resnet() {
  GraphBuilder g("resnet18_nobn", 4);
  g.input("input", kF32, {1, 3, 224, 224});
  std::string x = g.conv("input", 3, 64, 7, 2, 3);
  x = g.maxpool(x, 3, 2, 1);
  int64_t c = 64;
  const std::array<std::pair<int64_t, int64_t>, 8> blocks = {
      {{64, 1}, {64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1}}};
  for (const auto& [cout, stride] : blocks) {
    std::string y = g.conv(x, c, cout, 3, stride);
    y = g.conv(y, cout, cout, 3, 1, -1, 1, /*relu=*/false, /*wscale=*/0.5);
    const std::string sc =
        (stride == 1 && c == cout) ? x : g.conv(x, c, cout, 1, stride, 0, 1, /*relu=*/false);
    const std::string sum = g.op("Add", {y, sc});
    x = g.op("Relu", {sum});
    c = cout;
  }
  x = g.global_avg_pool(x);
  x = g.flatten(x);
  const std::string y = g.gemm(x, c, 1000);
  g.output(g.rename(y, "logits"), kF32, {1, 1000});
  return g;
}

GraphBuilder ensemble() {
  GraphBuilder g("ensemble3", 5);
  g.input("input", kF32, {1, 3, 64, 64});
  constexpr int64_t kClasses = 100;
  // A: VGG-ish
  std::string a = g.conv("input", 3, 32, 3);
  a = g.conv(a, 32, 32, 3);
  a = g.maxpool(a, 2, 2);  // 32
  a = g.conv(a, 32, 64, 3);
  a = g.maxpool(a, 2, 2);  // 16
  a = g.conv(a, 64, 128, 3);
  a = g.maxpool(a, 2, 2);  // 8
  a = g.conv(a, 128, 256, 3);
  a = g.global_avg_pool(a);
  a = g.flatten(a);
  a = g.gemm(a, 256, kClasses);
  // B: strided 5x5
  std::string b = g.conv("input", 3, 48, 5, 2);  // 32
  b = g.conv(b, 48, 96, 3, 2);                   // 16
  b = g.conv(b, 96, 96, 3);
  b = g.conv(b, 96, 192, 3, 2);  // 8
  b = g.global_avg_pool(b);
  b = g.flatten(b);
  b = g.gemm(b, 192, kClasses);
  // C: mobilenet-ish (depthwise separable)
  std::string c = g.conv("input", 3, 32, 3, 2);  // 32
  int64_t cin = 32;
  const std::array<std::pair<int64_t, int64_t>, 5> blocks = {{{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}}};
  for (const auto& [cout, s] : blocks) {
    c = g.conv(c, cin, cin, 3, s, -1, /*group=*/cin);  // depthwise
    c = g.conv(c, cin, cout, 1, 1, 0);                 // pointwise
    cin = cout;
  }
  c = g.global_avg_pool(c);
  c = g.flatten(c);
  c = g.gemm(c, cin, kClasses);
  const std::string s = g.op("Sum", {a, b, c});
  const std::string third = g.initializer(Tensor::scalar(1.0f / 3.0f), "third");
  const std::string y = g.op("Mul", {s, third});
  g.output(g.rename(y, "logits"), kF32, {1, kClasses});
  return g;
}

GraphBuilder matmul_2048(int64_t n = 2048) {
  GraphBuilder g("matmul_2048", 6);
  g.input("input", kF32, {n, n});
  const std::string w = g.weight({n, n}, std::sqrt(1.0 / double(n)));
  const std::string y = g.op("MatMul", {"input", w});
  g.output(g.rename(y, "output"), kF32, {n, n});
  return g;
}

const std::vector<WorkloadInfo>& table() {
  static const std::vector<WorkloadInfo> t = {
      {"inception", "GoogLeNet v1: stem + 9 inception modules of 4 branches joined by Concat, classifier", true,
       13, "input", {1, 3, 224, 224}, "logits", {1, 1000}},
      {"wide_mlp", "8 independent 3-layer MLP branches (hidden 512) on 1x512, summed", true, 13, "input",
       {1, 512}, "output", {1, 512}},
      {"transformer", "2 encoder layers, seq 128, hidden 256, 4 per-head branches, FFN 1024, decomposed LayerNorm",
       true, 13, "input", {1, 128, 256}, "output", {1, 128, 256}},
      {"resnet", "ResNet-18-like chain without BN (conv+bias+relu, residual adds)", true, 13, "input",
       {1, 3, 224, 224}, "logits", {1, 1000}},
      {"ensemble", "3 different small CNNs (VGG-ish, strided, depthwise) on 1x3x64x64, averaged", true, 13,
       "input", {1, 3, 64, 64}, "logits", {1, 100}},
      {"matmul_2048", "one MatMul [2048,2048] x W[2048,2048] (compute ceiling probe)", false, 13, "input",
       {2048, 2048}, "output", {2048, 2048}},
      {"transformer_ln", "the transformer workload with LayerNormalization ops (opset 17)", false, 17, "input",
       {1, 128, 256}, "output", {1, 128, 256}},
  };
  return t;
}

std::optional<GraphBuilder> build(std::string_view name) {
  if (name == "inception") return inception();
  if (name == "wide_mlp") return wide_mlp();
  if (name == "transformer") return transformer(false);
  if (name == "resnet") return resnet();
  if (name == "ensemble") return ensemble();
  if (name == "matmul_2048") return matmul_2048();
  if (name == "transformer_ln") return transformer(true);
  return std::nullopt;
}

void set_error(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
}

std::string unknown(std::string_view name) {
  std::string msg = "unknown workload '" + std::string(name) + "' (known:";
  for (const auto& w : table()) msg.append(" ").append(w.name);
  return msg.append(")");
}

}  // namespace

std::span<const WorkloadInfo> workloads() { return table(); }

std::vector<std::string> bundled_workload_names() {
  std::vector<std::string> names;
  for (const auto& w : table()) {
    if (w.bundled) names.emplace_back(w.name);
  }
  return names;
}

const WorkloadInfo* find_workload(std::string_view name) {
  for (const auto& w : table()) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

onnx::ModelProto make_workload(std::string_view name, std::string* error) {
  const WorkloadInfo* info = find_workload(name);
  std::optional<GraphBuilder> g = build(name);
  if (info == nullptr || !g) {
    set_error(error, unknown(name));
    return {};
  }
  onnx::ModelProto m = g->finish(info->opset);
  if (!g->ok()) {
    set_error(error, g->error());
    return {};
  }
  set_error(error, {});
  return m;
}

std::string serialize_workload(std::string_view name, std::string* error) {
  const WorkloadInfo* info = find_workload(name);
  std::optional<GraphBuilder> g = build(name);
  if (info == nullptr || !g) {
    set_error(error, unknown(name));
    return {};
  }
  std::string bytes = g->serialize(info->opset);
  set_error(error, g->ok() ? std::string() : g->error());
  return bytes;
}

bool write_workload(std::string_view name, const std::string& path, std::string* error) {
  const WorkloadInfo* info = find_workload(name);
  std::optional<GraphBuilder> g = build(name);
  if (info == nullptr || !g) {
    set_error(error, unknown(name));
    return false;
  }
  const bool ok = g->write(path, info->opset);
  set_error(error, ok ? std::string() : g->error());
  return ok;
}

}  // namespace braid::modelgen
