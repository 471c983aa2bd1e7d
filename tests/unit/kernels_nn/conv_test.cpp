// Conv and ConvTranspose against naive double-precision references, for every ISA variant:
// a seeded sweep of 1-D/2-D/3-D geometries (groups, strides, dilations, asymmetric pads,
// auto_pad), the depthwise and 1x1 paths, bias and the fused ReLU, constant and run-time
// weights, thread-count independence, and bad input.
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <random>

#include "kernels/cpu_features.h"
#include "kernels/ops/nn_conv_narrow.h"
#include "kernels/parallel.h"
#include "always_lends.h"
#include "nn_op_runner.h"

namespace braid::detail {
namespace {

Tensor random_tensor(const Shape& shape, std::mt19937& rng) {
  Tensor t = Tensor::empty(DataType::kFloat32, shape).value();
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

struct ConvCfg {
  int64_t n = 1, cin = 1, cout = 1, group = 1;
  std::vector<int64_t> in, k, stride, dil, pads;  // pads: [begin..., end...]
  std::string auto_pad;                            // "" = NOTSET with explicit pads
  bool bias = true, relu = false, const_w = true;

  size_t rank() const { return in.size(); }
  std::string describe() const {
    auto list = [](const std::vector<int64_t>& v) { return shape_to_string(v); };
    return "n=" + std::to_string(n) + " cin=" + std::to_string(cin) + " cout=" + std::to_string(cout) +
           " group=" + std::to_string(group) + " in=" + list(in) + " k=" + list(k) + " s=" + list(stride) +
           " d=" + list(dil) + " pads=" + list(pads) + " auto_pad=" + auto_pad + (bias ? " bias" : "") +
           (relu ? " relu" : "") + (const_w ? " constW" : " runtimeW");
  }
};

// Output dims and leading pads per the ONNX Conv spec (written independently of the kernel).
void conv_out(const ConvCfg& c, std::vector<int64_t>& out, std::vector<int64_t>& pb) {
  const size_t r = c.rank();
  out.assign(r, 0);
  pb.assign(r, 0);
  for (size_t i = 0; i < r; ++i) {
    const int64_t dk = (c.k[i] - 1) * c.dil[i] + 1;
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      out[i] = (c.in[i] + c.stride[i] - 1) / c.stride[i];
      const int64_t total = std::max<int64_t>(0, (out[i] - 1) * c.stride[i] + dk - c.in[i]);
      pb[i] = c.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    } else if (c.auto_pad == "VALID") {
      out[i] = (c.in[i] - dk) / c.stride[i] + 1;
    } else {
      pb[i] = c.pads[i];
      out[i] = (c.in[i] + c.pads[i] + c.pads[r + i] - dk) / c.stride[i] + 1;
    }
  }
}

// y and the magnitude sum of its terms, in double.
void conv_reference(const ConvCfg& c, const Tensor& x, const Tensor& w, const Tensor* b, std::vector<double>& y,
                    std::vector<double>& mag, std::vector<int64_t>& out) {
  std::vector<int64_t> pb;
  conv_out(c, out, pb);
  const size_t r = c.rank();
  // Pad every vector to 3-D (leading unit dims).
  auto d3 = [&](const std::vector<int64_t>& v, int64_t fill) {
    std::vector<int64_t> o(3 - r, fill);
    o.insert(o.end(), v.begin(), v.begin() + static_cast<long>(r));
    return o;
  };
  const auto in = d3(c.in, 1), k = d3(c.k, 1), s = d3(c.stride, 1), d = d3(c.dil, 1), p = d3(pb, 0), o = d3(out, 1);
  const int64_t cin_g = c.cin / c.group, cout_g = c.cout / c.group;
  const int64_t in_sz = in[0] * in[1] * in[2], out_sz = o[0] * o[1] * o[2], k_sz = k[0] * k[1] * k[2];
  y.assign(static_cast<size_t>(c.n * c.cout * out_sz), 0.0);
  mag = y;
  const float* xp = x.data<float>();
  const float* wp = w.data<float>();
  for (int64_t n = 0; n < c.n; ++n)
    for (int64_t co = 0; co < c.cout; ++co) {
      const int64_t g = co / cout_g;
      for (int64_t oz = 0; oz < o[0]; ++oz)
        for (int64_t oy = 0; oy < o[1]; ++oy)
          for (int64_t ox = 0; ox < o[2]; ++ox) {
            double sum = b ? b->data<float>()[co] : 0.0, m = std::fabs(sum);
            for (int64_t ci = 0; ci < cin_g; ++ci)
              for (int64_t kz = 0; kz < k[0]; ++kz)
                for (int64_t ky = 0; ky < k[1]; ++ky)
                  for (int64_t kx = 0; kx < k[2]; ++kx) {
                    const int64_t iz = oz * s[0] - p[0] + kz * d[0];
                    const int64_t iy = oy * s[1] - p[1] + ky * d[1];
                    const int64_t ix = ox * s[2] - p[2] + kx * d[2];
                    if (iz < 0 || iz >= in[0] || iy < 0 || iy >= in[1] || ix < 0 || ix >= in[2]) continue;
                    const double xv = xp[(n * c.cin + g * cin_g + ci) * in_sz + (iz * in[1] + iy) * in[2] + ix];
                    const double wv = wp[(co * cin_g + ci) * k_sz + (kz * k[1] + ky) * k[2] + kx];
                    sum += xv * wv;
                    m += std::fabs(xv * wv);
                  }
            if (c.relu) sum = std::max(sum, 0.0);
            const size_t idx = static_cast<size_t>((n * c.cout + co) * out_sz + (oz * o[1] + oy) * o[2] + ox);
            y[idx] = sum;
            mag[idx] = m;
          }
    }
}

OpRunner make_conv_runner(const ConvCfg& c, const Tensor& x, const Tensor& w, const Tensor& b) {
  OpRunner r("Conv", 11);
  r.input(x);
  if (c.const_w) r.constant(w);
  else r.input(w);
  if (c.bias) r.constant(b);
  r.attr_int("group", c.group).attr_ints("kernel_shape", c.k).attr_ints("strides", c.stride).attr_ints("dilations", c.dil);
  if (c.auto_pad.empty()) r.attr_ints("pads", c.pads);
  else r.attr_string("auto_pad", c.auto_pad);
  if (c.relu) r.attr_string("braid_fused_activation", "Relu");
  return r;
}

// Empty when the kernel's output matches the reference.
std::string check_conv(const ConvCfg& c, uint32_t seed, int threads = 1) {
  std::mt19937 rng(seed);
  Shape xs = {c.n, c.cin}, ws = {c.cout, c.cin / c.group};
  xs.insert(xs.end(), c.in.begin(), c.in.end());
  ws.insert(ws.end(), c.k.begin(), c.k.end());
  Tensor x = random_tensor(xs, rng), w = random_tensor(ws, rng), b = random_tensor({c.cout}, rng);
  std::vector<double> ref, mag;
  std::vector<int64_t> out;
  conv_reference(c, x, w, c.bias ? &b : nullptr, ref, mag, out);
  OpRunner r = make_conv_runner(c, x, w, b);
  auto y = r.run(threads);
  if (!y.ok()) return "run failed: " + y.status().to_string();
  Shape want = {c.n, c.cout};
  want.insert(want.end(), out.begin(), out.end());
  const Tensor& t = (*y)[0];
  if (t.shape() != want) return "shape " + shape_to_string(t.shape()) + ", want " + shape_to_string(want);
  int64_t terms = c.cin / c.group;  // summands per output: the float error bound grows with them
  for (int64_t k : c.k) terms *= k;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double tol = (static_cast<double>(terms) + 8) * 1.2e-7 * (mag[i] + 1.0);
    const float got = t.data<float>()[i];
    if (!(std::fabs(got - ref[i]) <= tol))
      return "y[" + std::to_string(i) + "] = " + std::to_string(got) + ", want " + std::to_string(ref[i]);
  }
  return {};
}

// A random valid configuration; `kind`: 0 any, 1 depthwise, 2 pointwise (1x1).
ConvCfg random_cfg(std::mt19937& rng, int kind) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  ConvCfg c;
  const size_t r = kind == 1 ? static_cast<size_t>(pick(1, 2)) : static_cast<size_t>(pick(1, 3));
  c.n = pick(1, 2);
  if (kind == 1) {
    c.group = c.cin = c.cout = pick(1, 9);
  } else {
    c.group = pick(0, 3) == 0 ? pick(2, 3) : 1;
    c.cin = c.group * pick(1, r == 3 ? 3 : 7);
    c.cout = c.group * pick(1, r == 3 ? 4 : 20);
  }
  const int64_t max_in = r == 1 ? 40 : r == 2 ? 19 : 7;
  for (size_t i = 0; i < r; ++i) {
    c.k.push_back(kind == 2 ? 1 : pick(1, r == 3 ? 3 : 5));
    c.stride.push_back(kind == 2 ? 1 : pick(1, 3));
    c.dil.push_back(kind == 2 ? 1 : pick(1, 2));
  }
  for (size_t i = 0; i < r; ++i) {
    const int64_t dk = (c.k[i] - 1) * c.dil[i] + 1;
    c.in.push_back(pick(std::max<int64_t>(dk, 1), std::max<int64_t>(dk, max_in)));
  }
  const int64_t mode = kind == 2 ? 0 : pick(0, 5);
  if (mode <= 2) {
    for (size_t i = 0; i < 2 * r; ++i) c.pads.push_back(kind == 2 ? 0 : pick(0, std::max<int64_t>(0, c.k[i % r] - 1)));
  } else {
    c.auto_pad = mode == 3 ? "SAME_UPPER" : mode == 4 ? "SAME_LOWER" : "VALID";
  }
  c.bias = pick(0, 3) != 0;
  c.relu = pick(0, 2) == 0;
  c.const_w = pick(0, 3) != 0;
  return c;
}

std::vector<std::string> isas_to_test() {
  set_isa_cap_for_testing("");
  std::vector<std::string> isas = {"scalar"};
  if (cpu_features().has_avx2_fma()) isas.push_back("avx2");
  if (cpu_features().has_avx512() && cpu_features().fma) isas.push_back("avx512");
  return isas;
}

class ConvIsaTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { set_isa_cap_for_testing(GetParam().c_str()); }
  void TearDown() override { set_isa_cap_for_testing(""); }
};

TEST_P(ConvIsaTest, RandomGeometriesMatchReference) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 250; ++i) {
    const ConvCfg c = random_cfg(rng, 0);
    const std::string err = check_conv(c, static_cast<uint32_t>(i));
    ASSERT_TRUE(err.empty()) << c.describe() << ": " << err;
  }
}

TEST_P(ConvIsaTest, DepthwiseMatchesReference) {
  std::mt19937 rng(99);
  for (int i = 0; i < 150; ++i) {
    const ConvCfg c = random_cfg(rng, 1);
    const std::string err = check_conv(c, static_cast<uint32_t>(i));
    ASSERT_TRUE(err.empty()) << c.describe() << ": " << err;
  }
  // Row widths around the vector tails (16 / 64 columns), strides 1, 2 and 3.
  for (int64_t w : {1, 7, 15, 16, 17, 31, 33, 63, 64, 65, 70, 112}) {
    for (int64_t s : {1, 2, 3}) {
      ConvCfg c;
      c.group = c.cin = c.cout = 3;
      c.in = {5, w};
      c.k = {3, 3};
      c.stride = {s, s};
      c.dil = {1, 1};
      c.pads = {1, 1, 1, 1};
      c.relu = true;
      const std::string err = check_conv(c, static_cast<uint32_t>(w * 10 + s));
      ASSERT_TRUE(err.empty()) << c.describe() << ": " << err;
    }
  }
}

TEST_P(ConvIsaTest, PointwiseMatchesReference) {
  std::mt19937 rng(77);
  for (int i = 0; i < 60; ++i) {
    const ConvCfg c = random_cfg(rng, 2);
    const std::string err = check_conv(c, static_cast<uint32_t>(i));
    ASSERT_TRUE(err.empty()) << c.describe() << ": " << err;
  }
  ConvCfg big;  // Several K blocks and N panels with tails.
  big.cin = 300;
  big.cout = 70;
  big.in = {9, 13};
  big.k = {1, 1};
  big.stride = {1, 1};
  big.dil = {1, 1};
  big.pads = {0, 0, 0, 0};
  big.relu = true;
  ASSERT_TRUE(check_conv(big, 5).empty());
}

TEST_P(ConvIsaTest, LargerLayersMatchReference) {
  // Many K blocks (cin * 9 > 256) and both thread splits.
  ConvCfg c;
  c.cin = 64;
  c.cout = 40;
  c.in = {20, 23};
  c.k = {3, 3};
  c.stride = {1, 1};
  c.dil = {1, 1};
  c.pads = {1, 1, 1, 1};
  c.relu = true;
  ASSERT_TRUE(check_conv(c, 1).empty()) << c.describe();
  c.stride = {2, 2};
  c.k = {7, 7};
  c.cin = 3;
  c.pads = {3, 3, 3, 3};
  c.in = {40, 41};
  ASSERT_TRUE(check_conv(c, 2).empty()) << c.describe();
}

TEST_P(ConvIsaTest, SmallOutputsTransposedPathMatchesReference) {
  // Few output positions and many channels per group (or 1x1 with >= 16): computed as
  // Y^T = patches^T * W^T.
  std::mt19937 rng(31);
  for (int i = 0; i < 40; ++i) {
    auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
    ConvCfg c;
    const size_t r = static_cast<size_t>(pick(1, 3));
    const bool pointwise = pick(0, 2) == 0;
    c.group = pick(1, 2);
    c.cin = c.group * pick(1, 40);
    c.cout = c.group * (pointwise ? 16 * pick(1, 3) : 256 + 16 * pick(0, 2));
    c.n = pick(1, 2);
    for (size_t d = 0; d < r; ++d) {
      c.k.push_back(pointwise ? 1 : pick(1, 3));
      c.stride.push_back(pointwise ? 1 : pick(1, 2));
      c.dil.push_back(pick(1, 2));
      c.in.push_back(pick((c.k[d] - 1) * c.dil[d] + 1, r == 3 ? 6 : 9));
    }
    for (size_t d = 0; d < 2 * r; ++d) c.pads.push_back(pointwise ? 0 : pick(0, c.k[d % r] - 1));
    c.relu = pick(0, 1) == 1;
    // 2-3 threads split N (the output channels): they share one packing of the patches.
    const std::string err = check_conv(c, static_cast<uint32_t>(i), 1 + i % 3);
    ASSERT_TRUE(err.empty()) << c.describe() << ": " << err;
  }
  ConvCfg c;  // The 7x7 layers of ResNet-18 / GoogLeNet in miniature.
  c.cin = 300;
  c.cout = 272;
  c.in = {7, 7};
  c.k = {3, 3};
  c.stride = {1, 1};
  c.dil = {1, 1};
  c.pads = {1, 1, 1, 1};
  c.relu = true;
  ASSERT_TRUE(check_conv(c, 3).empty()) << c.describe();
  ASSERT_TRUE(check_conv(c, 3, 2).empty()) << c.describe();
}

TEST_P(ConvIsaTest, SameWidthStrideOneLayersMatchReference) {
  // Stride 1 with output rows as wide as the input's (pads along x adding up to the
  // kernel's reach, split unevenly too): the direct path on AVX-512 (B read in place).
  // Rows narrower than a vector, 1-D, dilations, pads along y of any size, several K
  // blocks starting mid-channel, channel tails, groups, batches and two threads.
  std::mt19937 rng(4242);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int i = 0; i < 50; ++i) {
    ConvCfg c;
    const size_t r = pick(0, 4) == 0 ? 1 : 2;
    c.n = pick(1, 2);
    c.group = pick(0, 3) == 0 ? 2 : 1;
    c.cin = c.group * pick(1, 40);
    c.cout = c.group * pick(1, 33);
    for (size_t d = 0; d < r; ++d) {
      c.k.push_back(pick(1, 5));
      c.stride.push_back(1);
      c.dil.push_back(pick(0, 3) == 0 ? 2 : 1);
    }
    if (r == 2 && c.k[0] * c.k[1] == 1) c.k[1] = 3;  // not a 1x1
    if (r == 1 && c.k[0] == 1) c.k[0] = 3;
    const int64_t reach_x = (c.k[r - 1] - 1) * c.dil[r - 1];
    for (size_t d = 0; d < r; ++d)
      c.in.push_back(pick(std::max<int64_t>(1, (c.k[d] - 1) * c.dil[d] + 1 - (d + 1 == r ? reach_x : 0)), 30));
    std::vector<int64_t> begin(r), end(r);
    for (size_t d = 0; d + 1 < r; ++d) {
      begin[d] = pick(0, c.k[d] - 1);
      end[d] = pick(0, c.k[d] - 1);
      if (c.in[d] + begin[d] + end[d] < (c.k[d] - 1) * c.dil[d] + 1) end[d] = (c.k[d] - 1) * c.dil[d];
    }
    begin[r - 1] = pick(0, reach_x);
    end[r - 1] = reach_x - begin[r - 1];
    c.pads = begin;
    c.pads.insert(c.pads.end(), end.begin(), end.end());
    c.relu = pick(0, 1) == 1;
    const std::string err = check_conv(c, static_cast<uint32_t>(i), i % 2 == 0 ? 1 : 2);
    ASSERT_TRUE(err.empty()) << c.describe() << ": " << err;
  }
  // GoogLeNet's 5x5 and ResNet's 3x3 at 56 x 56 in miniature, both threads (60 wide: rows
  // of 56 take the narrow-input kernel on AVX-512, WideLayersOfWholeTilesMatchReference).
  ConvCfg c;
  c.cin = 48;
  c.cout = 64;
  c.in = {23, 37};
  c.k = {5, 5};
  c.stride = {1, 1};
  c.dil = {1, 1};
  c.pads = {2, 2, 2, 2};
  ASSERT_TRUE(check_conv(c, 8, 2).empty()) << c.describe();
  c.k = {3, 3};
  c.pads = {1, 1, 1, 1};
  c.in = {56, 60};
  c.cin = 30;
  ASSERT_TRUE(check_conv(c, 9, 2).empty()) << c.describe();
}

TEST_P(ConvIsaTest, StrideTwoLayersWithHalfWidthRowsMatchReference) {
  // Stride 2 along x (and y, or 1 along y; 1-D too) with output rows half as wide as the
  // input's, rounded up (pads along x adding up to the kernel's reach, or one less / more
  // where the width allows): on AVX-512 up to 64 output channels per group take the direct
  // path over the input's parity planes. Odd and even sizes, dilations, kernels that skip
  // a parity plane (1x1, dilation 2), K blocks starting mid-channel, groups, batches and
  // two threads.
  std::mt19937 rng(2718);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int i = 0; i < 60; ++i) {
    ConvCfg c;
    const size_t r = pick(0, 4) == 0 ? 1 : 2;
    c.n = pick(1, 2);
    c.group = pick(0, 3) == 0 ? 2 : 1;
    c.cin = c.group * (pick(0, 3) == 0 ? pick(20, 60) : pick(1, 8));
    c.cout = c.group * pick(1, 64);
    for (size_t d = 0; d < r; ++d) {
      c.k.push_back(pick(1, 7));
      c.stride.push_back(d + 1 == r || pick(0, 3) != 0 ? 2 : 1);
      c.dil.push_back(pick(0, 3) == 0 ? 2 : 1);
    }
    for (size_t d = 0; d < r; ++d) c.in.push_back(pick((c.k[d] - 1) * c.dil[d] + 1, 40));
    std::vector<int64_t> begin(r), end(r);
    for (size_t d = 0; d < r; ++d) {
      const int64_t reach = (c.k[d] - 1) * c.dil[d];
      int64_t total = reach;
      if (d + 1 == r && pick(0, 2) == 0) total += c.in[d] % 2 == 0 ? -1 : 1;  // still ceil(w / 2) columns
      if (d + 1 < r) total = pick(0, reach);
      if (total < 0) total = reach;
      begin[d] = pick(0, total);
      end[d] = total - begin[d];
    }
    c.pads = begin;
    c.pads.insert(c.pads.end(), end.begin(), end.end());
    c.relu = pick(0, 1) == 1;
    const std::string err = check_conv(c, static_cast<uint32_t>(i), i % 2 == 0 ? 1 : 2);
    ASSERT_TRUE(err.empty()) << c.describe() << ": " << err;
  }
  ConvCfg c;  // The 7x7 stride-2 stem at full width (on AVX-512 now the narrow-input kernel's).
  c.cin = 3;
  c.cout = 64;
  c.in = {30, 224};
  c.k = {7, 7};
  c.stride = {2, 2};
  c.dil = {1, 1};
  c.pads = {3, 3, 3, 3};
  c.relu = true;
  ASSERT_TRUE(check_conv(c, 11, 2).empty()) << c.describe();
}

TEST_P(ConvIsaTest, NarrowInputLayersMatchReference) {
  // 2-4 input channels with constant weights (on AVX-512 the narrow-input kernel: output
  // channels in lanes, 14 positions per tile): output widths that leave every tail of a
  // tile, channel counts that leave a 16- or 32-wide last block partly empty, strides 1-2
  // along x and 1-3 along y, pads up to the kernel, batches, bias or none, ReLU, threads.
  std::mt19937 rng(4242);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int i = 0; i < 60; ++i) {
    ConvCfg c;
    c.n = pick(1, 2);
    c.cin = pick(2, 4);
    c.cout = pick(0, 2) == 0 ? pick(16, 20) : pick(1, 5) * 16 - pick(0, 1) * pick(1, 15);
    c.cout = std::max<int64_t>(c.cout, 16);
    c.k = {pick(6, 8), pick(6, 8)};  // 100+ taps take the narrow kernel (fewer: the GEMM paths)
    c.stride = {pick(1, 3), pick(1, 2)};
    c.dil = {1, 1};
    c.in = {pick(c.k[0], 24), pick(c.k[1], 50)};
    c.pads = {pick(0, c.k[0] - 1), pick(0, c.k[1] - 1), pick(0, c.k[0] - 1), pick(0, c.k[1] - 1)};
    c.bias = pick(0, 3) != 0;
    c.relu = pick(0, 1) == 1;
    const std::string err = check_conv(c, static_cast<uint32_t>(100 + i), i % 3 == 0 ? 2 : 1);
    ASSERT_TRUE(err.empty()) << c.describe() << ": " << err;
  }
  // Stems (7x7 stride 2, RGB and RGBA), the ensemble's first layers (GEMM paths: too few
  // taps), and the smallest tap count the narrow kernel takes (4 x 5 x 5).
  const int64_t layers[][4] = {{3, 64, 7, 2}, {4, 64, 7, 2}, {3, 32, 3, 1}, {3, 48, 5, 2}, {4, 48, 5, 1}};
  for (const auto& l : layers) {
    ConvCfg c;
    c.cin = l[0];
    c.cout = l[1];
    c.k = {l[2], l[2]};
    c.stride = {l[3], l[3]};
    c.dil = {1, 1};
    c.in = {l[2] == 7 ? 30 : 64, l[2] == 7 ? 224 : 64};
    c.pads = std::vector<int64_t>(4, l[2] / 2);
    c.relu = true;
    ASSERT_TRUE(check_conv(c, 7, 2).empty()) << c.describe();
  }
}

TEST_P(ConvIsaTest, WideLayersOfWholeTilesMatchReference) {
  // 5-64 input channels, 1x1 / 3x3 / 5x5 windows, output rows of 14 or 28 positions (stride
  // 1 or 2; on AVX-512 the narrow-input kernel with output channels in lanes), with a fused
  // residual R (input 3, added before the ReLU) half the time; odd channel counts, pads,
  // batches and 1-3 threads, rows of 42 at stride 2 and of 42-56 at stride 1. Also rows of
  // 70 at stride 1 (the GEMM paths), so both sides of the choice are checked.
  std::mt19937 rng(4343);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int i = 0; i < 40; ++i) {
    ConvCfg c;
    c.n = pick(1, 2);
    c.cin = pick(5, 64);
    c.cout = pick(16, 80);
    const int64_t k = i % 4 == 3 ? 1 : pick(0, 2) == 0 ? 5 : 3;  // 1x1: unpadded, read in place
    const int64_t s = pick(1, 2);
    const int64_t ow = s == 2 ? 14 * pick(1, 3) : (i % 8 == 7 ? 70 : 14 * pick(1, 4));
    c.k = {k, k};
    c.stride = {pick(1, 2), s};
    c.dil = {1, 1};
    c.pads = {k / 2, k / 2, k / 2, k / 2};
    c.in = {pick(k, 20), (ow - 1) * s + 1};  // with pads k / 2: ow outputs per row
    c.bias = true;
    c.relu = pick(0, 1) == 1;
    std::mt19937 data(static_cast<uint32_t>(500 + i));
    Shape xs = {c.n, c.cin, c.in[0], c.in[1]}, ws = {c.cout, c.cin, k, k};
    Tensor x = random_tensor(xs, data), w = random_tensor(ws, data), b = random_tensor({c.cout}, data);
    std::vector<double> ref, mag;
    std::vector<int64_t> out;
    ConvCfg plain = c;
    plain.relu = false;
    conv_reference(plain, x, w, &b, ref, mag, out);
    ASSERT_EQ(out[1], ow) << c.describe();
    const bool residual = i % 2 == 1;
    Tensor r = random_tensor({c.n, c.cout, out[0], out[1]}, data);
    OpRunner run = make_conv_runner(c, x, w, b);
    if (residual) run.input(r);
    auto y = run.run(1 + i % 3);
    ASSERT_TRUE(y.ok()) << y.status().to_string();
    const Tensor& t = (*y)[0];
    ASSERT_EQ(t.shape(), (Shape{c.n, c.cout, out[0], out[1]})) << c.describe();
    const int64_t terms = c.cin * k * k;
    for (size_t e = 0; e < ref.size(); ++e) {
      double want = ref[e] + (residual ? r.data<float>()[e] : 0.0);
      if (c.relu) want = std::max(want, 0.0);
      const double tol = (static_cast<double>(terms) + 8) * 1.2e-7 * (mag[e] + 2.0);
      const float got = t.data<float>()[e];
      ASSERT_TRUE(std::fabs(got - want) <= tol)
          << c.describe() << (residual ? " residual" : "") << ": y[" << e << "] = " << got << ", want " << want;
    }
  }
}

// One 3x3 stride-1 pads-1 layer against the double reference (with a fused residual when
// asked), on `threads` threads and, when more than one, bitwise equal to one thread. The
// error bound is the direct sum's times kWinogradSlack: the Winograd transforms add before
// they multiply (the worst seen: 0.004 of the direct bound with F(2x2), 0.04 with F(4x4);
// the direct paths' 0.008; docs/kernels.md, path 7). Returns the worst error / bound.
double check_winograd_layer(const ConvCfg& c, bool residual, int threads, uint32_t seed) {
  constexpr double kWinogradSlack = 6.0;
  std::mt19937 data(seed);
  Shape xs = {c.n, c.cin, c.in[0], c.in[1]}, ws = {c.cout, c.cin, c.k[0], c.k[1]};
  Tensor x = random_tensor(xs, data), w = random_tensor(ws, data), b = random_tensor({c.cout}, data);
  std::vector<double> ref, mag;
  std::vector<int64_t> out;
  ConvCfg plain = c;
  plain.relu = false;
  conv_reference(plain, x, w, c.bias ? &b : nullptr, ref, mag, out);
  Tensor r = random_tensor({c.n, c.cout, out[0], out[1]}, data);
  OpRunner run = make_conv_runner(c, x, w, b);
  if (residual) run.input(r);
  auto y = run.run(threads);
  EXPECT_TRUE(y.ok()) << y.status().to_string();
  if (!y.ok()) return 1e9;
  const Tensor& t = (*y)[0];
  EXPECT_EQ(t.shape(), (Shape{c.n, c.cout, out[0], out[1]})) << c.describe();
  if (t.shape() != Shape{c.n, c.cout, out[0], out[1]}) return 1e9;
  if (threads > 1) {
    auto one = run.run(1);
    EXPECT_TRUE(one.ok()) << one.status().to_string();
    if (!one.ok()) return 1e9;
    EXPECT_EQ(0, std::memcmp((*one)[0].raw_data(), t.raw_data(), t.byte_size())) << c.describe();
  }
  const int64_t terms = c.cin * c.k[0] * c.k[1];
  double worst = 0;
  for (size_t e = 0; e < ref.size(); ++e) {
    double want = ref[e] + (residual ? r.data<float>()[e] : 0.0);
    if (c.relu) want = std::max(want, 0.0);
    const double bound = (static_cast<double>(terms) + 8) * 1.2e-7 * (mag[e] + 2.0);
    const float got = t.data<float>()[e];
    worst = std::max(worst, std::fabs(got - want) / bound);
    if (!(std::fabs(got - want) <= kWinogradSlack * bound)) {
      ADD_FAILURE() << c.describe() << (residual ? " residual" : "") << ": y[" << e << "] = " << got << ", want "
                    << want;
      return 1e9;
    }
  }
  return worst;
}

ConvCfg winograd_cfg(int64_t n, int64_t cin, int64_t cout, int64_t h, int64_t w, bool bias, bool relu,
                     int64_t k = 3) {
  ConvCfg c;
  c.n = n;
  c.cin = cin;
  c.cout = cout;
  c.k = {k, k};
  c.stride = {1, 1};
  c.dil = {1, 1};
  const int64_t p = (k - 1) / 2;
  c.pads = {p, p, p, p};
  c.in = {h, w};
  c.bias = bias;
  c.relu = relu;
  return c;
}

TEST_P(ConvIsaTest, WinogradLayersMatchReference) {
  // 3x3, stride 1, pads 1, channels in multiples of 16 over rows of 14, 28 or 56 (on
  // AVX-512 the Winograd path: F(2x2, 3x3) in micro-tiles of two 7-tile rows or of 14 tiles
  // of one row, F(4x4, 3x3) on 28 or 56 wide maps of a multiple of 4 rows) and of 8, 16, 32
  // or 64 (F(2x2) in micro-tiles of two 4-tile rows or of 8 tiles of one row), blocks of 32
  // and 16 output channels (32-192 of them over 32-96 inputs), an even number of rows (2-20,
  // so that bands and thread shares end mid-map and paired maps end on a half micro-tile),
  // with bias and without, a fused residual and ReLU, batches and 1-3 threads (on 2-3
  // threads, 128-192 output channels over the few tile rows of an 8- or 14-wide map split
  // their channel blocks instead of rows); the bits the same on 1 thread.
  std::mt19937 rng(5151);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  double worst = 0;
  for (int i = 0; i < 36; ++i) {
    const int64_t widths[] = {14, 28, 56, 8, 16, 32, 64};
    const int64_t n = pick(1, 2);
    const int64_t cin = 16 * pick(2, 6);  // with cout: the 2048 channel pairs the path needs
    const int64_t cout = 16 * (i % 6 == 5 ? pick(8, 12) : pick(4, 8));
    const int64_t h = 2 * pick(1, 10), w = i % 6 == 5 ? (i % 4 == 1 ? 8 : 14) : widths[i % 7];
    const bool bias = i % 4 != 2;  // R is input 3: with a bias (input 2) whenever there is one
    const ConvCfg c = winograd_cfg(n, cin, cout, h, w, bias, pick(0, 1) == 1);
    const int threads = i % 6 == 5 ? 2 + i % 2 : 1 + i % 3;
    worst = std::max(worst, check_winograd_layer(c, i % 2 == 1, threads, static_cast<uint32_t>(900 + i)));
    if (HasFailure()) return;
  }
  // F(4x4) geometry, case by case: 28 and 16 wide with an odd number of tile rows (the
  // last micro-tile's second run empty), 56 and 112 wide (two and four runs of 7 tiles per
  // tile row), 32, 64 and 96 wide (two, four and six runs of 4), 1024 channel pairs (the
  // least it takes), 14 wide with 14, 6 and 9 rows (the last tile column and row partly
  // outside the map; 9 rows: odd), a last block of 16 output channels, a band boundary (160
  // input channels at 28 x 56: 4 tile rows a band), batches, 1-3 threads.
  const struct {
    int64_t n, cin, cout, h, w;
    int threads;
  } four[] = {{1, 32, 64, 20, 28, 1},  {2, 48, 80, 12, 28, 2}, {1, 64, 64, 28, 28, 3}, {1, 32, 96, 8, 56, 1},
              {2, 64, 48, 16, 56, 2},  {1, 32, 64, 4, 112, 3}, {1, 160, 64, 28, 56, 1}, {1, 32, 64, 12, 16, 1},
              {2, 64, 128, 16, 16, 2}, {1, 32, 64, 32, 32, 3}, {1, 48, 48, 8, 64, 2},   {1, 32, 64, 4, 96, 1},
              {1, 32, 32, 12, 64, 2},  {1, 64, 160, 14, 14, 1}, {2, 48, 96, 6, 14, 2},  {1, 96, 64, 14, 14, 3},
              {1, 32, 64, 9, 14, 1}};
  for (size_t i = 0; i < sizeof(four) / sizeof(four[0]); ++i) {
    const auto& f = four[i];
    const bool residual = i % 2 == 1;  // R is input 3: it comes with a bias (input 2)
    const ConvCfg c = winograd_cfg(f.n, f.cin, f.cout, f.h, f.w, residual || i % 4 == 0, i % 3 != 1);
    worst = std::max(worst, check_winograd_layer(c, residual, f.threads, static_cast<uint32_t>(950 + i)));
    if (HasFailure()) return;
  }
  // F(2x2, 5x5) (5x5, pads 2): 28 and 56 wide (two runs of 7 tiles in a row), 14 wide (two
  // tile rows of 7, odd tile-row counts), 16 and 32 wide (runs of 4), odd row counts (the
  // last tile row half outside the map), 1024 channel pairs, 1-3 threads.
  const struct {
    int64_t n, cin, cout, h, w;
    int threads;
  } five[] = {{1, 32, 96, 28, 28, 1}, {2, 32, 64, 6, 56, 2}, {1, 32, 128, 14, 14, 3}, {1, 48, 64, 10, 14, 1},
              {1, 32, 32, 16, 16, 2}, {1, 64, 48, 7, 32, 1},  {1, 32, 64, 9, 28, 3}};
  for (size_t i = 0; i < sizeof(five) / sizeof(five[0]); ++i) {
    const auto& f = five[i];
    const bool residual = i % 2 == 0;  // R is input 3: it comes with a bias (input 2)
    const ConvCfg c = winograd_cfg(f.n, f.cin, f.cout, f.h, f.w, residual || i % 3 == 0, i % 3 != 2, 5);
    worst = std::max(worst, check_winograd_layer(c, residual, f.threads, static_cast<uint32_t>(980 + i)));
    if (HasFailure()) return;
  }
  std::printf("worst error / direct bound: %.3f\n", worst);
}

TEST_P(ConvIsaTest, NarrowLayersWithWeightsPastL2MatchReference) {
  // Packed weights over kNarrowWeightsInL2 (1 MiB): on AVX-512 the narrow-input kernel walks
  // them block by block over each band's rows instead of row by row (nn_conv_narrow_avx512).
  // Maps of 17 rows on one thread (a band of kNarrowConvRowsWeightsOuter = 16 and its tail)
  // and of 9-10 on 1-3 threads, strides 1 and 2, a fused residual. Only where that kernel
  // runs: elsewhere these are GEMM-path layers the other tests cover, at a double
  // reference of ~100M multiply-adds each.
  if (!cpu_features().has_avx512()) GTEST_SKIP() << "the narrow-input kernel is AVX-512 only";
  struct Case {
    int64_t cin, cout, k, stride, rows;
    bool residual;
  };
  const Case cases[] = {{256, 160, 3, 1, 17, false}, {240, 144, 3, 2, 9, true}, {88, 200, 5, 1, 9, true},
                        {250, 112, 3, 1, 10, false}};
  int i = 0;
  for (const Case& k : cases) {
    ConvCfg c;
    c.n = 1;
    c.cin = k.cin;
    c.cout = k.cout;
    c.k = {k.k, k.k};
    c.stride = {k.stride, k.stride};
    c.dil = {1, 1};
    c.pads = {k.k / 2, k.k / 2, k.k / 2, k.k / 2};
    c.in = {(k.rows - 1) * k.stride + 1, 13 * k.stride + 1};  // 14 outputs per row
    c.bias = true;
    c.relu = true;
    ASSERT_GT(narrow_conv_packed_floats(c.cout, c.cin, k.k, k.k) * 4, kNarrowWeightsInL2) << c.describe();
    ASSERT_TRUE(narrow_conv_applies(c.cin, c.cout, k.k, k.k, k.stride, 14, true, false)) << c.describe();
    std::mt19937 data(static_cast<uint32_t>(900 + i));
    Shape xs = {c.n, c.cin, c.in[0], c.in[1]}, ws = {c.cout, c.cin, k.k, k.k};
    Tensor x = random_tensor(xs, data), w = random_tensor(ws, data), b = random_tensor({c.cout}, data);
    std::vector<double> ref, mag;
    std::vector<int64_t> out;
    ConvCfg plain = c;
    plain.relu = false;
    conv_reference(plain, x, w, &b, ref, mag, out);
    ASSERT_EQ(out[0], k.rows) << c.describe();
    ASSERT_EQ(out[1], 14) << c.describe();
    Tensor r = random_tensor({c.n, c.cout, out[0], out[1]}, data);
    OpRunner run = make_conv_runner(c, x, w, b);
    if (k.residual) run.input(r);
    auto y = run.run(1 + i % 3);
    ASSERT_TRUE(y.ok()) << y.status().to_string();
    const Tensor& t = (*y)[0];
    const double terms = static_cast<double>(c.cin * k.k * k.k);
    for (size_t e = 0; e < ref.size(); ++e) {
      const double want = std::max(ref[e] + (k.residual ? r.data<float>()[e] : 0.0), 0.0);
      const double tol = (terms + 8) * 1.2e-7 * (mag[e] + 2.0);
      const float got = t.data<float>()[e];
      ASSERT_TRUE(std::fabs(got - want) <= tol) << c.describe() << ": y[" << e << "] = " << got << ", want " << want;
    }
    ++i;
  }
}

// Runs Conv `c` with braid_fused_max_pool = [pk, 2, pad] on `threads` threads and checks
// every pooled element against the double reference convolution pooled in double. Empty
// when all match, else the first mismatch.
std::string check_fused_pool(const ConvCfg& c, int64_t pk, int threads, uint32_t seed) {
  const int64_t pad = pk == 3 ? 1 : 0;
  std::mt19937 data(seed);
  Shape xs = {c.n, c.cin, c.in[0], c.in[1]}, ws = {c.cout, c.cin, c.k[0], c.k[1]};
  Tensor x = random_tensor(xs, data), w = random_tensor(ws, data), b = random_tensor({c.cout}, data);
  std::vector<double> conv, mag;
  std::vector<int64_t> out;
  conv_reference(c, x, w, c.bias ? &b : nullptr, conv, mag, out);
  if (out[0] + 2 * pad < pk || out[1] + 2 * pad < pk) return {};
  const int64_t ph = (out[0] + 2 * pad - pk) / 2 + 1, pw = (out[1] + 2 * pad - pk) / 2 + 1;
  OpRunner r = make_conv_runner(c, x, w, b);
  r.attr_ints("braid_fused_max_pool", {pk, 2, pad});
  auto y = r.run(threads);
  if (!y.ok()) return y.status().to_string();
  const Tensor& t = (*y)[0];
  if (t.shape() != Shape{c.n, c.cout, ph, pw}) return c.describe() + ": shape " + shape_to_string(t.shape());
  const int64_t terms = c.cin * c.k[0] * c.k[1];
  for (int64_t n = 0; n < c.n * c.cout; ++n)
    for (int64_t py = 0; py < ph; ++py)
      for (int64_t px = 0; px < pw; ++px) {
        double want = -INFINITY, tol = 0;
        for (int64_t dy = 0; dy < pk; ++dy)
          for (int64_t dx = 0; dx < pk; ++dx) {
            const int64_t oy = py * 2 - pad + dy, ox = px * 2 - pad + dx;
            if (oy < 0 || oy >= out[0] || ox < 0 || ox >= out[1]) continue;
            const size_t idx = static_cast<size_t>((n * out[0] + oy) * out[1] + ox);
            want = std::max(want, conv[idx]);
            tol = std::max(tol, (static_cast<double>(terms) + 8) * 1.2e-7 * (mag[idx] + 1.0));
          }
        const float got = t.data<float>()[(n * ph + py) * pw + px];
        if (!(std::fabs(got - want) <= tol))
          return c.describe() + " pool " + std::to_string(pk) + ": y[" + std::to_string(n) + "," +
                 std::to_string(py) + "," + std::to_string(px) + "] = " + std::to_string(got) + ", want " +
                 std::to_string(want);
      }
  return {};
}

TEST_P(ConvIsaTest, FusedMaxPoolMatchesReference) {
  // Conv with braid_fused_max_pool = [k, 2, pad] (3x3 pad 1 or 2x2 pad 0, floor rounding):
  // narrow inputs (on AVX-512 the narrow kernel pooling groups of rows, the rows a group
  // shares with the next carried over; elsewhere the pool on a scratch convolution) and 8
  // input channels (the scratch route everywhere); odd and even maps, several groups,
  // batches, 1-3 threads (tasks starting mid-image), with and without ReLU and bias.
  std::mt19937 rng(777);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int i = 0; i < 30; ++i) {
    ConvCfg c;
    c.n = pick(1, 2);
    c.cin = i % 5 == 4 ? 8 : pick(3, 4);
    c.cout = 16 * pick(1, 4) - (pick(0, 2) == 0 ? pick(1, 8) : 0);
    const int64_t kk = pick(6, 7);
    c.k = {kk, kk};
    c.stride = {pick(1, 2), 2};
    c.dil = {1, 1};
    c.in = {pick(kk, 60), pick(kk, 70)};
    c.pads = {kk / 2, kk / 2, kk / 2, kk / 2};
    c.bias = pick(0, 3) != 0;
    c.relu = pick(0, 1) == 1;
    const int64_t pk = pick(2, 3);
    ASSERT_EQ(check_fused_pool(c, pk, 1 + i % 3, static_cast<uint32_t>(900 + i)), "");
  }
}

TEST_P(ConvIsaTest, FusedMaxPoolOnWideLayersMatchesReference) {
  // Wider layers whose pool graph fusion fuses where the narrow kernel runs them (inception's
  // 3x3 64 -> 192 at 56): 5-16 input channels, 3x3 pad 1 or unpadded 1x1 at stride 1, rows
  // of 42 or 56 (whole 14-position tiles, wider than the unpooled rule takes), 40-400 output
  // channels so that a group holds 1-8 pooled rows (narrow_conv_pool_group), 1-3 threads.
  std::mt19937 rng(2024);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  const int64_t couts[] = {40, 64, 192, 400};
  for (int i = 0; i < 8; ++i) {
    ConvCfg c;
    c.n = pick(1, 2);
    c.cin = pick(5, 16);
    c.cout = couts[i % 4];
    const int64_t kk = i % 4 == 3 ? 1 : 3;
    c.k = {kk, kk};
    c.stride = {1, 1};
    c.dil = {1, 1};
    c.in = {pick(9, 24), i % 2 == 0 ? 56 : 42};
    c.pads = std::vector<int64_t>(4, kk / 2);
    c.bias = pick(0, 3) != 0;
    c.relu = pick(0, 1) == 1;
    ASSERT_EQ(check_fused_pool(c, i % 3 == 2 ? 2 : 3, 1 + i % 3, static_cast<uint32_t>(1300 + i)), "");
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, ConvIsaTest, ::testing::ValuesIn(isas_to_test()),
                         [](const auto& info) { return info.param; });

TEST(Conv, ThreadCountDoesNotChangeResults) {
  tbb::task_arena arena(4);
  std::mt19937 rng(5);
  ConvCfg shapes[3];
  shapes[0].cin = 32, shapes[0].cout = 64, shapes[0].in = {30, 30}, shapes[0].k = {3, 3};
  shapes[1].cin = 256, shapes[1].cout = 128, shapes[1].in = {7, 7}, shapes[1].k = {1, 1};
  shapes[2].cin = shapes[2].cout = shapes[2].group = 48, shapes[2].in = {40, 40}, shapes[2].k = {3, 3};
  for (ConvCfg& c : shapes) {
    c.stride = {1, 1};
    c.dil = {1, 1};
    c.pads = c.k[0] == 3 ? std::vector<int64_t>{1, 1, 1, 1} : std::vector<int64_t>{0, 0, 0, 0};
    c.relu = true;
    Shape xs = {1, c.cin, c.in[0], c.in[1]}, ws = {c.cout, c.cin / c.group, c.k[0], c.k[1]};
    Tensor x = random_tensor(xs, rng), w = random_tensor(ws, rng), b = random_tensor({c.cout}, rng);
    OpRunner r = make_conv_runner(c, x, w, b);
    std::vector<Tensor> results;
    for (int threads : {1, 2, 4}) {
      Result<std::vector<Tensor>> y = Status();
      arena.execute([&] { y = r.run(threads); });
      ASSERT_TRUE(y.ok()) << y.status().to_string();
      results.push_back((*y)[0]);
    }
    for (size_t i = 1; i < results.size(); ++i)
      ASSERT_EQ(0, std::memcmp(results[0].raw_data(), results[i].raw_data(), results[0].byte_size())) << c.describe();
  }
}

// Adaptive mode: a one-thread convolution on the row kernels (narrow-input, Winograd) goes
// in pieces of rows that lent cores take; the bits must not change, the lender must have
// been asked and every borrowed core repaid.
void check_elastic_pieces(int64_t cin, int64_t cout, int64_t hw, uint32_t seed) {
  ConvCfg c;
  c.cin = cin;
  c.cout = cout;
  c.in = {hw, hw};
  c.k = {3, 3};
  c.stride = {1, 1};
  c.dil = {1, 1};
  c.pads = {1, 1, 1, 1};
  c.relu = true;
  std::mt19937 rng(seed);
  Tensor x = random_tensor({1, cin, hw, hw}, rng), w = random_tensor({cout, cin, 3, 3}, rng), b = random_tensor({cout}, rng);
  OpRunner r = make_conv_runner(c, x, w, b);
  tbb::task_arena arena(2);
  Result<std::vector<Tensor>> whole = Status(), pieces = Status();
  arena.execute([&] { whole = r.run(1); });
  AlwaysLends fake;
  const CoreLender lender = fake.lender();
  arena.execute([&] {
    LenderScope scope(&lender);
    pieces = r.run(1);
  });
  ASSERT_TRUE(whole.ok()) << whole.status().to_string();
  ASSERT_TRUE(pieces.ok()) << pieces.status().to_string();
  ASSERT_EQ(0, std::memcmp((*whole)[0].raw_data(), (*pieces)[0].raw_data(), (*whole)[0].byte_size()));
  EXPECT_GT(fake.asks.load(), 0);
  EXPECT_EQ(fake.held.load(), 0);
  ASSERT_TRUE(check_conv(c, seed).empty());
}

TEST(Conv, NarrowKernelInElasticPiecesIsBitwiseEqualToOneThread) {
  // 3x3 72 -> 128 at 14 x 14, 33 MFLOP (72 input channels: not the Winograd path's).
  if (!cpu_features().has_avx512() || !cpu_features().fma) GTEST_SKIP() << "no narrow-input kernel here";
  check_elastic_pieces(72, 128, 14, 61);
}

TEST(Conv, WinogradInElasticPiecesIsBitwiseEqualToOneThread) {
  // 3x3 128 -> 128 at 28 x 28 (103 MFLOP of products) and 64 -> 96 at 14 x 14 (pairs of
  // tile rows), on the Winograd path, in pieces of tile rows; 160 -> 320 and 96 -> 208 at
  // 14 x 14 (10 and 7 blocks of output channels, the last 16 wide, against 4 units of tile
  // rows) in pieces of output channels sharing one transformed input.
  if (!cpu_features().has_avx512() || !cpu_features().fma) GTEST_SKIP() << "no Winograd kernel here";
  check_elastic_pieces(128, 128, 28, 62);
  check_elastic_pieces(256, 96, 14, 63);
  check_elastic_pieces(160, 320, 14, 64);
  check_elastic_pieces(96, 208, 14, 65);
}

TEST(Conv, RejectsBadInput) {
  std::mt19937 rng(3);
  Tensor x = random_tensor({1, 4, 5, 5}, rng), w = random_tensor({6, 3, 3, 3}, rng);
  {
    OpRunner r("Conv", 11);
    r.input(x).input(w);
    auto y = r.run();
    ASSERT_FALSE(y.ok());
    EXPECT_EQ(y.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(y.status().message().find("Conv"), std::string::npos);
  }
  {
    OpRunner r("Conv", 11);
    r.input(x).input(random_tensor({6, 2, 3, 3}, rng)).attr_int("group", 2).input(random_tensor({5}, rng));
    auto y = r.run();
    ASSERT_FALSE(y.ok());  // bias has 5 entries for 6 channels
    EXPECT_EQ(y.status().code(), StatusCode::kInvalidArgument);
  }
  {
    OpRunner r("Conv", 11);
    r.input(x).input(random_tensor({6, 4, 3, 3}, rng)).attr_string("auto_pad", "SOMETIMES");
    EXPECT_EQ(r.create().code(), StatusCode::kInvalidArgument);
  }
  {
    OpRunner r("Conv", 11);
    r.input(x).input(random_tensor({6, 4, 3, 3}, rng)).attr_ints("strides", {0, 1});
    EXPECT_EQ(r.create().code(), StatusCode::kInvalidArgument);
  }
  {
    OpRunner r("Conv", 11);
    r.input(x).input(random_tensor({6, 4, 7, 7}, rng));  // kernel larger than the input
    auto y = r.run();
    ASSERT_FALSE(y.ok());
    EXPECT_EQ(y.status().code(), StatusCode::kInvalidArgument);
  }
  {
    OpRunner r("Conv", 11);
    r.input(x).input(random_tensor({6, 4, 3, 3}, rng)).attr_ints("pads", {1, 1});
    auto y = r.run();
    ASSERT_FALSE(y.ok());
    EXPECT_EQ(y.status().code(), StatusCode::kInvalidArgument);
  }
  {
    Tensor xd = Tensor::zeros(DataType::kFloat64, {1, 1, 3, 3}).value();
    OpRunner r("Conv", 11);
    r.input(xd).input(Tensor::zeros(DataType::kFloat64, {1, 1, 1, 1}).value());
    EXPECT_EQ(r.create().code(), StatusCode::kUnsupportedOp);
  }
  {
    OpRunner r("Conv", 11);
    r.input(x).input(random_tensor({6, 4, 3, 3}, rng)).attr_string("braid_fused_activation", "Gelu");
    EXPECT_EQ(r.create().code(), StatusCode::kUnsupportedOp);
  }
}

TEST(Conv, EmptyBatchGivesEmptyOutput) {
  std::mt19937 rng(4);
  OpRunner r("Conv", 11);
  r.input(Tensor::empty(DataType::kFloat32, {0, 2, 5, 5}).value()).constant(random_tensor({3, 2, 3, 3}, rng));
  auto y = r.run();
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ((*y)[0].shape(), (Shape{0, 3, 3, 3}));
}

// ---------------------------------------------------------------- ConvTranspose

struct DeconvCfg {
  int64_t n = 1, cin = 1, cout = 1, group = 1;
  std::vector<int64_t> in, k, stride, dil, pads, out_pad, out_shape;
  bool bias = true;
};

// Naive scatter in double with explicit leading pads and output size.
std::vector<double> deconv_reference(const DeconvCfg& c, const Tensor& x, const Tensor& w, const Tensor* b,
                                     const std::vector<int64_t>& pb, const std::vector<int64_t>& out) {
  const size_t r = c.in.size();
  auto d3 = [&](const std::vector<int64_t>& v, int64_t fill) {
    std::vector<int64_t> o(3 - r, fill);
    o.insert(o.end(), v.begin(), v.begin() + static_cast<long>(r));
    return o;
  };
  const auto in = d3(c.in, 1), k = d3(c.k, 1), s = d3(c.stride, 1), d = d3(c.dil, 1), p = d3(pb, 0), o = d3(out, 1);
  const int64_t cin_g = c.cin / c.group, cout_g = c.cout / c.group;
  const int64_t in_sz = in[0] * in[1] * in[2], out_sz = o[0] * o[1] * o[2], k_sz = k[0] * k[1] * k[2];
  std::vector<double> y(static_cast<size_t>(c.n * c.cout * out_sz), 0.0);
  for (int64_t n = 0; n < c.n; ++n)
    for (int64_t co = 0; co < c.cout; ++co)
      for (int64_t i = 0; i < out_sz; ++i) y[static_cast<size_t>((n * c.cout + co) * out_sz + i)] = b ? b->data<float>()[co] : 0.0;
  for (int64_t n = 0; n < c.n; ++n)
    for (int64_t ci = 0; ci < c.cin; ++ci) {
      const int64_t g = ci / cin_g;
      for (int64_t col = 0; col < cout_g; ++col)
        for (int64_t iz = 0; iz < in[0]; ++iz)
          for (int64_t iy = 0; iy < in[1]; ++iy)
            for (int64_t ix = 0; ix < in[2]; ++ix)
              for (int64_t kz = 0; kz < k[0]; ++kz)
                for (int64_t ky = 0; ky < k[1]; ++ky)
                  for (int64_t kx = 0; kx < k[2]; ++kx) {
                    const int64_t oz = iz * s[0] - p[0] + kz * d[0], oy = iy * s[1] - p[1] + ky * d[1],
                                  ox = ix * s[2] - p[2] + kx * d[2];
                    if (oz < 0 || oz >= o[0] || oy < 0 || oy >= o[1] || ox < 0 || ox >= o[2]) continue;
                    const double xv = x.data<float>()[(n * c.cin + ci) * in_sz + (iz * in[1] + iy) * in[2] + ix];
                    const double wv = w.data<float>()[(ci * cout_g + col) * k_sz + (kz * k[1] + ky) * k[2] + kx];
                    y[static_cast<size_t>((n * c.cout + g * cout_g + col) * out_sz + (oz * o[1] + oy) * o[2] + ox)] += xv * wv;
                  }
    }
  return y;
}

TEST(ConvTranspose, RandomGeometriesMatchReference) {
  std::mt19937 rng(2024);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int iter = 0; iter < 120; ++iter) {
    DeconvCfg c;
    const size_t r = static_cast<size_t>(pick(1, 3));
    c.n = pick(1, 2);
    c.group = pick(1, 2);
    c.cin = c.group * pick(1, 3);
    c.cout = c.group * pick(1, 3);
    for (size_t i = 0; i < r; ++i) {
      c.in.push_back(pick(1, r == 3 ? 4 : 7));
      c.k.push_back(pick(1, 3));
      c.stride.push_back(pick(1, 3));
      c.dil.push_back(pick(1, 2));
      c.out_pad.push_back(pick(0, c.stride.back() - 1));
    }
    const bool use_shape = pick(0, 2) == 0;
    std::vector<int64_t> pb(r), out(r);
    if (use_shape) {
      // output_shape: pads split total = natural - requested, extra at the end.
      for (size_t i = 0; i < r; ++i) {
        const int64_t natural = c.stride[i] * (c.in[i] - 1) + c.out_pad[i] + (c.k[i] - 1) * c.dil[i] + 1;
        out[i] = std::max<int64_t>(1, natural - pick(0, 2));
        c.out_shape.push_back(out[i]);
        pb[i] = (natural - out[i]) / 2;
      }
    } else {
      for (size_t i = 0; i < 2 * r; ++i) c.pads.push_back(pick(0, c.k[i % r] - 1));
      for (size_t i = 0; i < r; ++i) {
        pb[i] = c.pads[i];
        out[i] = c.stride[i] * (c.in[i] - 1) + c.out_pad[i] + (c.k[i] - 1) * c.dil[i] + 1 - c.pads[i] - c.pads[r + i];
      }
    }
    bool ok = true;
    for (int64_t o : out) ok = ok && o > 0;
    if (!ok) continue;
    c.bias = pick(0, 1) == 1;
    Shape xs = {c.n, c.cin}, ws = {c.cin, c.cout / c.group};
    xs.insert(xs.end(), c.in.begin(), c.in.end());
    ws.insert(ws.end(), c.k.begin(), c.k.end());
    Tensor x = random_tensor(xs, rng), w = random_tensor(ws, rng), b = random_tensor({c.cout}, rng);
    const std::vector<double> ref = deconv_reference(c, x, w, c.bias ? &b : nullptr, pb, out);
    OpRunner run("ConvTranspose", 11);
    run.input(x);
    if (pick(0, 1)) run.constant(w);
    else run.input(w);
    if (c.bias) run.input(b);
    run.attr_int("group", c.group).attr_ints("strides", c.stride).attr_ints("dilations", c.dil);
    run.attr_ints("output_padding", c.out_pad);
    if (use_shape) run.attr_ints("output_shape", c.out_shape);
    else run.attr_ints("pads", c.pads);
    auto y = run.run();
    ASSERT_TRUE(y.ok()) << y.status().to_string();
    Shape want = {c.n, c.cout};
    want.insert(want.end(), out.begin(), out.end());
    ASSERT_EQ((*y)[0].shape(), want) << iter;
    for (size_t i = 0; i < ref.size(); ++i)
      ASSERT_NEAR((*y)[0].data<float>()[i], ref[i], 1e-4 * (1 + std::fabs(ref[i]))) << "iter " << iter << " at " << i;
  }
}

TEST(ConvTranspose, RejectsBadInput) {
  std::mt19937 rng(8);
  OpRunner r("ConvTranspose", 11);
  r.input(random_tensor({1, 3, 4, 4}, rng)).input(random_tensor({2, 2, 3, 3}, rng));
  auto y = r.run();
  ASSERT_FALSE(y.ok());
  EXPECT_EQ(y.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace braid::detail
