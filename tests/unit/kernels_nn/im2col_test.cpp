// The implicit-im2col packers against the portable one, element for element: the
// padded-input AVX-512 packer (stride 1 along x) over random 2-D geometries and blocks,
// including output rows shorter than 16 lanes (several row breaks per half-panel), blocks
// that start mid-row and end mid-panel, dilations, vertical strides and asymmetric pads.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/ops/nn_im2col.h"

namespace braid::detail {
namespace {

TEST(Im2col, PaddedPackMatchesPortablePack) {
  if (im2col_padded_pack_for(cpu_features()) == nullptr) GTEST_SKIP() << "no padded-input packer on this CPU";
  std::mt19937 rng(20261125);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int tested = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    Im2colSource s;
    s.channels = pick(1, 5);
    s.ih = pick(1, 40);
    s.iw = pick(1, 40);
    s.kh = pick(1, 5);
    s.kw = pick(1, 5);
    s.sh = pick(1, 3);
    s.dh = pick(1, 2);
    s.dw = pick(1, 2);
    s.ph = pick(0, 3);
    s.pw = pick(0, 3);
    const int64_t pad_h_end = pick(0, 3), pad_w_end = pick(0, 3);
    const int64_t span_h = (s.kh - 1) * s.dh + 1, span_w = (s.kw - 1) * s.dw + 1;
    if (s.ih + s.ph + pad_h_end < span_h || s.iw + s.pw + pad_w_end < span_w) continue;
    s.oh = (s.ih + s.ph + pad_h_end - span_h) / s.sh + 1;
    s.ow = s.iw + s.pw + pad_w_end - span_w + 1;
    std::vector<float> x(static_cast<size_t>(s.channels * s.ih * s.iw));
    std::uniform_real_distribution<float> value(-1.0f, 1.0f);
    for (float& v : x) v = value(rng);
    s.x = x.data();
    const int64_t size = im2col_padded_size(s);
    if (size == 0) {
      EXPECT_LT(s.kh * s.kw, 3);
      continue;
    }
    std::vector<float> xp(static_cast<size_t>(size));
    im2col_pad_input_avx512(s, xp.data());
    const int64_t k = s.channels * s.kh * s.kw, n = s.oh * s.ow;
    const int64_t k0 = pick(0, static_cast<int>(k - 1)), kc = pick(1, static_cast<int>(k - k0));
    const int64_t n0 = pick(0, static_cast<int>(n - 1)), nc = pick(1, static_cast<int>(n - n0));
    const int nr = 32;
    const size_t packed = static_cast<size_t>(kc * ((nc + nr - 1) / nr) * nr);
    std::vector<float> want(packed, 7.0f), got(packed, 9.0f);
    im2col_pack_scalar(&s, k0, kc, n0, nc, nr, want.data());
    im2col_padded_pack_avx512(&s, k0, kc, n0, nc, nr, got.data());
    ++tested;
    for (size_t i = 0; i < packed; ++i) {
      if (want[i] != got[i]) {
        ADD_FAILURE() << "element " << i << ": " << got[i] << " != " << want[i] << " in=" << s.ih << "x" << s.iw
                      << " k=" << s.kh << "x" << s.kw << " sh=" << s.sh << " d=" << s.dh << "," << s.dw
                      << " pads=" << s.ph << "," << s.pw << " block k0=" << k0 << " kc=" << kc << " n0=" << n0
                      << " nc=" << nc;
        break;
      }
    }
  }
  EXPECT_GT(tested, 1000);
}

}  // namespace
}  // namespace braid::detail
