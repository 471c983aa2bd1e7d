// BatchNormalization, InstanceNormalization, LayerNormalization, LRN and
// MeanVarianceNormalization against double-precision references written here.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "kernels/cpu_features.h"
#include "misc_test_util.h"

namespace braid::misc_test {
namespace {

std::vector<double> doubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[i] = at(t, i);
  return v;
}

Tensor to_f64(const Tensor& t) { return make_tensor<double>(t.shape(), doubles(t)); }

// ---------------------------------------------------------------- BatchNormalization

std::vector<double> ref_batch_norm(const Tensor& x, const Tensor& s, const Tensor& b, const Tensor& m, const Tensor& v,
                                   double eps, int64_t channels, int64_t inner) {
  std::vector<double> y(static_cast<size_t>(x.numel()));
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = (i / inner) % channels;
    y[i] = (at(x, i) - at(m, c)) / std::sqrt(at(v, c) + eps) * at(s, c) + at(b, c);
  }
  return y;
}

TEST(MiscNorm, BatchNormMatchesReferenceForRanksDtypesAndConstness) {
  for (const Shape& xs : {Shape{3, 5}, Shape{2, 4, 7}, Shape{2, 3, 5, 17}, Shape{1, 2, 3, 4, 5}}) {
    for (bool constant : {false, true}) {
      for (bool f64 : {false, true}) {
        const int64_t c = xs[1];
        const int64_t inner = numel_of(xs) / xs[0] / c;
        Tensor x = random_tensor(xs, 1), s = random_tensor({c}, 2), b = random_tensor({c}, 3);
        Tensor m = random_tensor({c}, 4), v = random_tensor({c}, 5, 0.1f, 2.0f);
        if (f64) {
          x = to_f64(x), s = to_f64(s), b = to_f64(b), m = to_f64(m), v = to_f64(v);
        }
        OpRunner op("BatchNormalization", 15);
        op.attr(attr_float("epsilon", 1e-3f)).input(x);
        for (const Tensor* p : {&s, &b, &m, &v}) op.input(*p, constant);
        auto out = op.run(3);
        ASSERT_TRUE(out.ok()) << out.status().to_string();
        expect_close((*out)[0], ref_batch_norm(x, s, b, m, v, static_cast<double>(1e-3f), c, inner), xs, 1e-5, 1e-5,
                     shape_to_string(xs));
      }
    }
  }
}

TEST(MiscNorm, BatchNormSpatialZeroUsesPerElementStatistics) {
  const Shape xs{2, 3, 4};
  Tensor x = random_tensor(xs, 1), s = random_tensor({3, 4}, 2), b = random_tensor({3, 4}, 3);
  Tensor m = random_tensor({3, 4}, 4), v = random_tensor({3, 4}, 5, 0.5f, 1.5f);
  OpRunner op("BatchNormalization", 7);
  op.attr(attr_int("spatial", 0)).input(x).input(s).input(b).input(m).input(v);
  auto out = op.run();
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  expect_close((*out)[0], ref_batch_norm(x, s, b, m, v, static_cast<double>(1e-5f), 12, 1), xs);
}

TEST(MiscNorm, BatchNormRejectsTrainingAndMismatchedParameters) {
  const Tensor x = random_tensor({2, 3, 4}, 1), p = random_tensor({3}, 2);
  {
    OpRunner op("BatchNormalization", 15);
    op.attr(attr_int("training_mode", 1)).input(x).input(p).input(p).input(p).input(p);
    expect_error(op.load(), StatusCode::kUnsupportedOp, "training");
  }
  {
    OpRunner op("BatchNormalization", 9, 3);
    op.input(x).input(p).input(p).input(p).input(p);
    expect_error(op.load(), StatusCode::kUnsupportedOp, "training");
  }
  {
    const Tensor q = random_tensor({4}, 2);
    OpRunner op("BatchNormalization", 9);
    op.input(x).input(q).input(q).input(q).input(q);
    expect_error(op.run(), StatusCode::kInvalidArgument, "need 3 values");
  }
  {
    OpRunner op("BatchNormalization", 15);
    op.input(make_tensor<int32_t>({1, 3}, {1, 2, 3})).input(p).input(p).input(p).input(p);
    expect_error(op.load(), StatusCode::kUnsupportedOp, "int32");
  }
}

// ---------------------------------------------------------------- InstanceNormalization

TEST(MiscNorm, InstanceNormMatchesReference) {
  for (const Shape& xs : {Shape{2, 3, 5}, Shape{1, 4, 7, 9}, Shape{2, 2, 33}}) {
    for (bool f64 : {false, true}) {
      const int64_t c = xs[1], inner = numel_of(xs) / xs[0] / xs[1];
      Tensor x = random_tensor(xs, 7, -3, 5), s = random_tensor({c}, 8), b = random_tensor({c}, 9);
      if (f64) x = to_f64(x), s = to_f64(s), b = to_f64(b);
      OpRunner op("InstanceNormalization", 6);
      op.attr(attr_float("epsilon", 1e-2f)).input(x).input(s).input(b);
      auto out = op.run(2);
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      std::vector<double> y(static_cast<size_t>(x.numel()));
      for (int64_t p = 0; p < numel_of(xs) / inner; ++p) {
        double mean = 0, var = 0;
        for (int64_t i = 0; i < inner; ++i) mean += at(x, p * inner + i);
        mean /= inner;
        for (int64_t i = 0; i < inner; ++i) var += std::pow(at(x, p * inner + i) - mean, 2);
        var /= inner;
        for (int64_t i = 0; i < inner; ++i)
          y[p * inner + i] = (at(x, p * inner + i) - mean) / std::sqrt(var + static_cast<double>(1e-2f)) * at(s, p % c) +
                             at(b, p % c);
      }
      expect_close((*out)[0], y, xs, 1e-4, 1e-5, shape_to_string(xs));
    }
  }
}

// ---------------------------------------------------------------- LayerNormalization

struct LayerNormRef {
  std::vector<double> y, mean, inv_std;
};

// scale / bias broadcast to x.shape[axis:] (numpy rules, right-aligned).
LayerNormRef ref_layer_norm(const Tensor& x, int64_t axis, const Tensor& scale, const Tensor* bias, double eps) {
  const int64_t rank = x.rank();
  if (axis < 0) axis += rank;
  int64_t row = 1;
  for (int64_t d = axis; d < rank; ++d) row *= x.dim(d);
  auto param = [&](const Tensor& p, int64_t j) {
    // Right-aligned broadcast index of normalized element j into p.
    int64_t src = 0, rest = j, mul = 1;
    for (int64_t d = rank - 1, pd = p.rank() - 1; d >= axis; --d, --pd) {
      const int64_t coord = rest % x.dim(d);
      rest /= x.dim(d);
      if (pd >= 0) {
        if (p.dim(pd) != 1) src += coord * mul;
        mul *= p.dim(pd);
      }
    }
    return at(p, src);
  };
  LayerNormRef r;
  const int64_t rows = x.numel() / row;
  for (int64_t i = 0; i < rows; ++i) {
    double mean = 0, var = 0;
    for (int64_t j = 0; j < row; ++j) mean += at(x, i * row + j);
    mean /= row;
    for (int64_t j = 0; j < row; ++j) var += std::pow(at(x, i * row + j) - mean, 2);
    var /= row;
    const double inv = 1 / std::sqrt(var + eps);
    for (int64_t j = 0; j < row; ++j)
      r.y.push_back((at(x, i * row + j) - mean) * inv * param(scale, j) + (bias ? param(*bias, j) : 0.0));
    r.mean.push_back(mean);
    r.inv_std.push_back(inv);
  }
  return r;
}

class LayerNormIsa : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { detail::set_isa_cap_for_testing(GetParam()); }
  void TearDown() override { detail::set_isa_cap_for_testing(""); }
};

TEST_P(LayerNormIsa, MatchesReferenceOnEveryAxisRowSizeAndBroadcast) {
  struct Case {
    Shape x;
    int64_t axis;
    Shape scale, bias;  // bias empty rank-0 marker: {-1} means no bias
  };
  const Case cases[] = {
      {{3, 1}, -1, {1}, {1}},           {{2, 15}, -1, {15}, {15}},      {{2, 3, 17}, -1, {17}, {-1}},
      {{4, 33}, 1, {33}, {33}},         {{2, 3, 100}, 2, {100}, {100}}, {{2, 3, 4, 5}, 1, {3, 4, 5}, {3, 4, 5}},
      {{2, 3, 4, 5}, -2, {4, 5}, {5}},  {{2, 3, 4, 5}, 0, {1}, {-1}},   {{3, 4, 6}, -2, {4, 1}, {1, 6}},
      {{1, 1, 768}, -1, {768}, {768}},
  };
  int seed = 0;
  for (const Case& c : cases) {
    for (bool constant : {false, true}) {
      for (bool f64 : {false, true}) {
        Tensor x = random_tensor(c.x, ++seed, -2, 4), s = random_tensor(c.scale, ++seed);
        const bool has_bias = c.bias != Shape{-1};
        Tensor b = has_bias ? random_tensor(c.bias, ++seed) : Tensor();
        if (f64) {
          x = to_f64(x), s = to_f64(s);
          if (has_bias) b = to_f64(b);
        }
        OpRunner op("LayerNormalization", 17, 3);
        op.attr(attr_int("axis", c.axis)).attr(attr_float("epsilon", 1e-3f)).input(x).input(s, constant);
        if (has_bias) op.input(b, constant);
        auto out = op.run(2);
        ASSERT_TRUE(out.ok()) << out.status().to_string();
        const LayerNormRef r = ref_layer_norm(x, c.axis, s, has_bias ? &b : nullptr, static_cast<double>(1e-3f));
        const std::string what = shape_to_string(c.x) + " axis " + std::to_string(c.axis);
        expect_close((*out)[0], r.y, c.x, 1e-4, 1e-4, what);
        Shape stat = c.x;
        for (int64_t d = c.axis < 0 ? c.axis + x.rank() : c.axis; d < x.rank(); ++d) stat[d] = 1;
        EXPECT_EQ((*out)[1].dtype(), DataType::kFloat32);
        expect_close((*out)[1], r.mean, stat, 1e-5, 1e-5, what + " mean");
        expect_close((*out)[2], r.inv_std, stat, 1e-4, 1e-4, what + " inv_std");
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, LayerNormIsa, ::testing::Values("scalar", "avx2", "avx512"));

TEST(MiscNorm, LayerNormOptionalOutputsStashTypeAndErrors) {
  const Tensor x = random_tensor({2, 8}, 1), s = random_tensor({8}, 2);
  {
    OpRunner op("LayerNormalization", 17, 3);
    op.omit_output(1).attr(attr_int("stash_type", 11)).input(x).input(s);
    auto out = op.run();
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    EXPECT_FALSE((*out)[1].defined());
    EXPECT_EQ((*out)[2].dtype(), DataType::kFloat64);
  }
  {
    OpRunner op("LayerNormalization", 17);
    op.attr(attr_int("axis", 2)).input(x).input(s);
    expect_error(op.run(), StatusCode::kInvalidArgument, "axis");
  }
  {
    OpRunner op("LayerNormalization", 17);
    op.input(x).input(random_tensor({3}, 2));
    expect_error(op.run(), StatusCode::kInvalidArgument, "broadcast");
  }
  {
    OpRunner op("LayerNormalization", 17);
    op.attr(attr_int("stash_type", 10)).input(x).input(s);
    expect_error(op.load(), StatusCode::kUnsupportedOp, "stash_type");
  }
}

// ---------------------------------------------------------------- LRN and MVN

TEST(MiscNorm, LrnMatchesReference) {
  for (int64_t size : {1, 2, 3, 5}) {
    const Shape xs{2, 6, 3, 4};
    const Tensor x = random_tensor(xs, static_cast<uint32_t>(size));
    OpRunner op("LRN", 13);
    op.attr(attr_int("size", size)).attr(attr_float("alpha", 0.5f)).attr(attr_float("beta", 0.6f));
    op.attr(attr_float("bias", 1.5f)).input(x);
    auto out = op.run();
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    std::vector<double> y(static_cast<size_t>(x.numel()));
    const int64_t inner = 12;
    for (int64_t i = 0; i < x.numel(); ++i) {
      const int64_t n = i / (6 * inner), c = (i / inner) % 6, p = i % inner;
      double sq = 0;
      for (int64_t k = c - (size - 1) / 2; k <= c + size / 2; ++k)
        if (k >= 0 && k < 6) sq += std::pow(at(x, (n * 6 + k) * inner + p), 2);
      y[i] = at(x, i) / std::pow(1.5 + static_cast<double>(0.5f) / size * sq, static_cast<double>(0.6f));
    }
    expect_close((*out)[0], y, xs, 1e-5, 1e-6, "size " + std::to_string(size));
  }
  OpRunner op("LRN", 13);
  op.input(random_tensor({1, 2, 2}, 1));
  expect_error(op.load(), StatusCode::kInvalidArgument, "size");
}

std::vector<double> ref_mvn(const Tensor& x, const std::vector<bool>& reduced, bool normalize_variance) {
  const int64_t rank = x.rank();
  std::vector<int64_t> group(static_cast<size_t>(x.numel()));
  int64_t groups = 0;
  std::map<std::vector<int64_t>, int64_t> ids;
  for (int64_t i = 0; i < x.numel(); ++i) {
    std::vector<int64_t> key;
    for (int64_t rest = i, d = rank; d-- > 0;) {
      if (!reduced[d]) key.push_back(rest % x.dim(d));
      rest /= x.dim(d);
    }
    auto [it, added] = ids.emplace(key, groups);
    groups += added;
    group[i] = it->second;
  }
  std::vector<double> sum(groups, 0), sq(groups, 0), cnt(groups, 0), y(static_cast<size_t>(x.numel()));
  for (int64_t i = 0; i < x.numel(); ++i) {
    sum[group[i]] += at(x, i);
    sq[group[i]] += at(x, i) * at(x, i);
    cnt[group[i]] += 1;
  }
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double mean = sum[group[i]] / cnt[group[i]];
    const double var = sq[group[i]] / cnt[group[i]] - mean * mean;
    y[i] = normalize_variance ? (at(x, i) - mean) / (std::sqrt(var) + 1e-9) : at(x, i) - mean;
  }
  return y;
}

TEST(MiscNorm, MeanVarianceNormalizationOverAxes) {
  const Tensor x = random_tensor({2, 3, 4, 5}, 3, -1, 3);
  struct Case {
    std::vector<int64_t> axes;
    std::vector<bool> reduced;
  };
  for (const Case& c : {Case{{}, {true, false, true, true}}, Case{{1, -1}, {false, true, false, true}},
                        Case{{0}, {true, false, false, false}}, Case{{0, 1, 2, 3}, {true, true, true, true}}}) {
    OpRunner op("MeanVarianceNormalization", 13);
    if (!c.axes.empty()) op.attr(attr_ints("axes", c.axes));
    op.input(x);
    auto out = op.run();
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    expect_close((*out)[0], ref_mvn(x, c.reduced, true), x.shape(), 1e-4, 1e-5);
  }
  {
    OpRunner op("MeanVarianceNormalization", 1);
    op.attr(attr_int("across_channels", 1)).attr(attr_int("normalize_variance", 0)).input(x);
    auto out = op.run();
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    expect_close((*out)[0], ref_mvn(x, {false, true, true, true}, false), x.shape(), 1e-5, 1e-5);
  }
  OpRunner op("MeanVarianceNormalization", 13);
  op.attr(attr_ints("axes", {0, 4})).input(x);
  expect_error(op.run(), StatusCode::kInvalidArgument, "axis");
}

}  // namespace
}  // namespace braid::misc_test
