// Resize and Upsample against a transcription of the ONNX reference implementation
// (onnx/reference/ops/op_resize.py): per-dim 1-D interpolation applied recursively, with
// neighbours picked from an edge-padded copy as the reference does. Covers every mode,
// nearest_mode and coordinate_transformation_mode, N-D linear, cubic options, crop and
// extrapolation, scales vs sizes, old opsets, threads and bad arguments.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/test_util.h"
#include "tensor_test_util.h"

namespace braid::testing {
namespace {

struct RefConfig {
  std::string mode = "nearest";
  std::string coord = "half_pixel";
  std::string nearest = "round_prefer_floor";
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0.0;
  std::vector<double> roi;  // 2 * rank for tf_crop_and_resize
};

std::vector<double> coeffs_for(const RefConfig& c, double ratio) {
  if (c.mode == "nearest") {
    if (ratio == std::floor(ratio)) return {0, 1};
    if (c.nearest == "round_prefer_floor") return {ratio <= 0.5 ? 1.0 : 0.0, ratio > 0.5 ? 1.0 : 0.0};
    if (c.nearest == "round_prefer_ceil") return {ratio < 0.5 ? 1.0 : 0.0, ratio >= 0.5 ? 1.0 : 0.0};
    if (c.nearest == "floor") return {1, 0};
    return {0, 1};
  }
  if (c.mode == "linear") return {1 - ratio, ratio};
  const double a = c.cubic_a, r = ratio;
  return {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a, ((a + 2) * r - (a + 3)) * r * r + 1,
          ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1,
          ((a * ((1 - r) + 1) - 5 * a) * ((1 - r) + 1) + 8 * a) * ((1 - r) + 1) - 4 * a};
}

double interp_1d(const RefConfig& c, const std::vector<double>& data, double scale, double x, size_t dim, size_t rank) {
  const auto in = static_cast<int64_t>(data.size());
  const double out_w = scale * static_cast<double>(in);
  double xo = 0;
  if (c.coord == "align_corners") xo = out_w == 1 ? 0 : x * (in - 1) / (out_w - 1);
  else if (c.coord == "asymmetric") xo = x / scale;
  else if (c.coord == "tf_half_pixel_for_nn") xo = (x + 0.5) / scale;
  else if (c.coord == "pytorch_half_pixel") xo = out_w == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
  else if (c.coord == "half_pixel") xo = (x + 0.5) / scale - 0.5;
  else {  // tf_crop_and_resize
    const double s = c.roi[dim], e = c.roi[dim + rank];
    xo = out_w == 1 ? (e - s) * (in - 1) / 2 : x * (e - s) * (in - 1) / (out_w - 1);
    xo += s * (in - 1);
    if (xo < 0 || xo > in - 1) return c.extrapolation;
  }
  const double xi = std::floor(xo);
  const double ratio = xo == xi ? 1.0 : xo - xi;
  std::vector<double> co = coeffs_for(c, ratio);
  const auto n = static_cast<int64_t>(co.size());
  const int64_t pad = (n + 1) / 2;
  std::vector<double> padded;
  for (int64_t i = -pad; i < in + pad; ++i) padded.push_back(data[std::clamp<int64_t>(i, 0, in - 1)]);
  const double xp = xo + static_cast<double>(pad);
  std::vector<int64_t> idx(padded.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) {
    const double da = std::fabs(xp - static_cast<double>(a)), db = std::fabs(xp - static_cast<double>(b));
    return da != db ? da < db : a < b;
  });
  idx.resize(static_cast<size_t>(n));
  std::sort(idx.begin(), idx.end());
  if (c.exclude_outside) {
    double sum = 0;
    for (int64_t k = 0; k < n; ++k) {
      const int64_t orig = idx[k] - pad;
      if (orig < 0 || orig >= in) co[k] = 0;
      sum += co[k];
    }
    for (double& v : co) v /= sum;
  }
  double r = 0;
  for (int64_t k = 0; k < n; ++k) r += co[k] * padded[idx[k]];
  return r;
}

// The reference's recursion (interpolate dim 0 over values already interpolated along the
// later dims) is separable, so it runs here as one 1-D pass per dim, last dim first.
RefTensor ref_resize(const RefConfig& c, const RefTensor& x, const std::vector<double>& scales, const Shape& out) {
  const size_t rank = scales.size();
  RefTensor cur = x;
  for (size_t d = rank; d-- > 0;) {
    Shape next_shape = cur.shape;
    next_shape[d] = out[d];
    RefTensor next(next_shape);
    for (int64_t i = 0; i < next.numel(); ++i) {
      std::vector<int64_t> o = next.unflat(i);
      std::vector<double> line(static_cast<size_t>(cur.shape[d]));
      std::vector<int64_t> src = o;
      for (int64_t k = 0; k < cur.shape[d]; ++k) {
        src[d] = k;
        line[k] = cur.at(src);
      }
      next.v[i] = interp_1d(c, line, scales[d], static_cast<double>(o[d]), d, rank);
    }
    cur = std::move(next);
  }
  return cur;
}

RefTensor wavy(Shape s) {
  RefTensor r(std::move(s));
  for (size_t i = 0; i < r.v.size(); ++i) r.v[i] = std::sin(0.37 * static_cast<double>(i)) * 10 + static_cast<double>(i % 7);
  return r;
}

OpTester resize_op(const RefConfig& c, const Tensor& x, const std::vector<float>* scales, const std::vector<int64_t>* sizes) {
  OpTester op("Resize", 13);
  op.input(x);
  const auto r = static_cast<int64_t>(x.rank());
  if (c.coord == "tf_crop_and_resize") {
    std::vector<float> roi(c.roi.begin(), c.roi.end());
    op.const_input(make_f32({2 * r}, roi));
  } else {
    op.omitted_input();
  }
  if (scales) op.const_input(make_f32({r}, *scales));
  else op.omitted_input();
  if (sizes) op.input(make_i64({r}, *sizes));
  op.attr_string("mode", c.mode).attr_string("coordinate_transformation_mode", c.coord).attr_string("nearest_mode", c.nearest)
      .attr_float("cubic_coeff_a", static_cast<float>(c.cubic_a)).attr_int("exclude_outside", c.exclude_outside)
      .attr_float("extrapolation_value", static_cast<float>(c.extrapolation));
  return op;
}

void check_scales(const RefConfig& c, const RefTensor& x, const std::vector<float>& scales, double tol = 1e-4) {
  Shape out;
  std::vector<double> sd;
  for (size_t d = 0; d < scales.size(); ++d) {
    out.push_back(static_cast<int64_t>(std::floor(static_cast<double>(scales[d]) * static_cast<double>(x.shape[d]))));
    sd.push_back(scales[d]);
  }
  auto y = resize_op(c, x.to(DataType::kFloat32), &scales, nullptr).run1();
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ(compare_tensors(ref_resize(c, x, sd, out).to(DataType::kFloat32), *y, tol, tol), "")
      << c.mode << " " << c.coord << " " << c.nearest << " scales " << scales[scales.size() - 1];
}

void check_sizes(const RefConfig& c, const RefTensor& x, const std::vector<int64_t>& sizes, double tol = 1e-4) {
  std::vector<double> sd;
  for (size_t d = 0; d < sizes.size(); ++d) sd.push_back(static_cast<double>(sizes[d]) / static_cast<double>(x.shape[d]));
  auto y = resize_op(c, x.to(DataType::kFloat32), nullptr, &sizes).run1();
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ(compare_tensors(ref_resize(c, x, sd, sizes).to(DataType::kFloat32), *y, tol, tol), "")
      << c.mode << " " << c.coord << " " << c.nearest << " sizes " << shape_to_string(sizes);
}

const char* kCoords[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"};

TEST(TensorResize, NearestEveryModeAndCoordinate) {
  RefTensor x = wavy({1, 2, 4, 5});
  for (const char* coord : kCoords) {
    for (const char* nm : {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}) {
      RefConfig c;
      c.coord = coord;
      c.nearest = nm;
      check_scales(c, x, {1, 1, 2, 3});
      check_scales(c, x, {1, 1, 0.5f, 0.6f});
      check_scales(c, x, {1, 1, 1.7f, 0.8f});
      check_sizes(c, x, {1, 2, 7, 3});
    }
  }
}

TEST(TensorResize, LinearAndTrilinear) {
  for (const char* coord : kCoords) {
    RefConfig c;
    c.mode = "linear";
    c.coord = coord;
    check_scales(c, wavy({1, 2, 4, 4}), {1, 1, 2, 2});
    check_scales(c, wavy({1, 1, 4, 5}), {1, 1, 0.6f, 0.5f});
    check_sizes(c, wavy({2, 3, 5}), {2, 7, 3});
    check_sizes(c, wavy({3, 4, 5}), {5, 2, 9});  // every dim resized: trilinear
    check_sizes(c, wavy({6}), {10});
    check_sizes(c, wavy({3, 4, 5}), {5, 2, 5});  // last dim kept: one tap per element
  }
}

TEST(TensorResize, CubicOptions) {
  for (const char* coord : {"half_pixel", "align_corners", "asymmetric"}) {
    for (bool exclude : {false, true}) {
      for (double a : {-0.75, -0.5}) {
        RefConfig c;
        c.mode = "cubic";
        c.coord = coord;
        c.exclude_outside = exclude;
        c.cubic_a = a;
        check_scales(c, wavy({1, 1, 4, 4}), {1, 1, 2, 2});
        check_scales(c, wavy({1, 1, 5, 6}), {1, 1, 0.8f, 0.5f});
        check_sizes(c, wavy({1, 1, 3, 4}), {1, 1, 8, 9});
      }
    }
  }
}

TEST(TensorResize, CropAndResizeExtrapolates) {
  for (const char* mode : {"nearest", "linear", "cubic"}) {
    RefConfig c;
    c.mode = mode;
    c.coord = "tf_crop_and_resize";
    c.extrapolation = 10;
    // The kernel reads roi as float32; the reference gets the same rounded values.
    auto as_float = [](std::vector<double> v) {
      for (double& e : v) e = static_cast<float>(e);
      return v;
    };
    c.roi = as_float({0, 0, 0.4, -0.2, 1, 1, 0.6, 1.3});
    check_sizes(c, wavy({1, 1, 4, 4}), {1, 1, 3, 5});
    c.roi = as_float({0, 0, 0.2, 0.1, 1, 1, 0.9, 0.7});
    check_sizes(c, wavy({1, 1, 6, 5}), {1, 1, 1, 4});
  }
}

TEST(TensorResize, LargeBilinearOverThreads) {
  RefTensor x = wavy({1, 64, 32, 32});
  RefConfig c;
  c.mode = "linear";
  const std::vector<float> scales = {1, 1, 2, 2};
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, resize_op(c, x.to(DataType::kFloat32), &scales, nullptr).threads(4).run1());
  EXPECT_EQ(compare_tensors(ref_resize(c, x, {1, 1, 2, 2}, {1, 64, 64, 64}).to(DataType::kFloat32), y, 1e-4, 1e-4), "");
}

TEST(TensorResize, NearestMovesAnyDtypeLinearNeedsFloat) {
  RefTensor x = RefTensor::iota({1, 1, 3, 3}, 100);
  RefConfig c;
  c.coord = "asymmetric";
  c.nearest = "floor";
  const std::vector<float> scales = {1, 1, 2, 1.5f};
  for (DataType dt : {DataType::kUInt8, DataType::kInt64, DataType::kFloat16, DataType::kBool}) {
    BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, resize_op(c, x.to(dt), &scales, nullptr).run1());
    EXPECT_EQ(compare_tensors(ref_resize(c, x, {1, 1, 2, 1.5}, {1, 1, 6, 4}).to(dt), y, 0, 0), "") << dtype_name(dt);
  }
  RefConfig lin;
  lin.mode = "linear";
  EXPECT_EQ(resize_op(lin, x.to(DataType::kInt32), &scales, nullptr).create().code(), StatusCode::kUnsupportedOp);
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor d, resize_op(lin, x.to(DataType::kFloat64), &scales, nullptr).run1());
  EXPECT_EQ(compare_tensors(ref_resize(lin, x, {1, 1, 2, 1.5}, {1, 1, 6, 4}).to(DataType::kFloat64), d, 1e-9, 1e-9), "");
}

TEST(TensorResize, UpsampleAndResize10UseAsymmetricFloor) {
  RefTensor x = wavy({1, 2, 2, 3});
  RefConfig floor_cfg;
  floor_cfg.coord = "asymmetric";
  floor_cfg.nearest = "floor";
  RefTensor want = ref_resize(floor_cfg, x, {1, 1, 2, 3}, {1, 2, 4, 9});
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor a, OpTester("Upsample", 7).input(x.to(DataType::kFloat32)).attr_floats("scales", {1, 1, 2, 3}).run1());
  EXPECT_EQ(compare_tensors(want.to(DataType::kFloat32), a, 1e-6, 1e-6), "");
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor b, OpTester("Upsample", 9).input(x.to(DataType::kFloat32)).const_input(make_f32({4}, {1, 1, 2, 3})).run1());
  EXPECT_EQ(compare_tensors(want.to(DataType::kFloat32), b, 1e-6, 1e-6), "");
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor c, OpTester("Resize", 10).input(x.to(DataType::kFloat32)).input(make_f32({4}, {1, 1, 2, 3})).run1());
  EXPECT_EQ(compare_tensors(want.to(DataType::kFloat32), c, 1e-6, 1e-6), "");
  RefConfig lin;
  lin.mode = "linear";
  lin.coord = "asymmetric";
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor d, OpTester("Upsample", 9).input(x.to(DataType::kFloat32)).input(make_f32({4}, {1, 1, 2, 2}))
                                           .attr_string("mode", "linear").run1());
  EXPECT_EQ(compare_tensors(ref_resize(lin, x, {1, 1, 2, 2}, {1, 2, 4, 6}).to(DataType::kFloat32), d, 1e-5, 1e-5), "");
}

TEST(TensorResize, ScalesSizesAndEmptyErrors) {
  Tensor x = wavy({1, 1, 2, 2}).to(DataType::kFloat32);
  RefConfig c;
  const std::vector<float> negative = {1, 1, -2, 2};
  const std::vector<int64_t> sizes = {1, 1, 4, 4};
  BRAID_EXPECT_BAD(OpTester("Resize", 13).input(x).omitted_input().input(make_f32({3}, {1, 2, 2})).run());
  BRAID_EXPECT_BAD(resize_op(c, x, &negative, nullptr).run());
  BRAID_EXPECT_BAD(OpTester("Resize", 13).input(x).omitted_input().run());  // neither scales nor sizes
  BRAID_EXPECT_BAD(OpTester("Resize", 13).input(x).omitted_input().input(make_f32({4}, {1, 1, 2, 2}))
                       .input(make_i64({4}, sizes)).run());  // both
  BRAID_EXPECT_BAD(OpTester("Resize", 13).input(x).omitted_input().omitted_input().input(make_i64({4}, {1, 1, -4, 4})).run());
  BRAID_EXPECT_BAD(OpTester("Resize", 13).input(x).attr_string("mode", "bicubic").create());
  EXPECT_EQ(OpTester("Resize", 13).input(x).attr_string("coordinate_transformation_mode", "half_pixel_symmetric").create().code(),
            StatusCode::kUnsupportedOp);
  // Scales that resize to an empty output give an empty output.
  const std::vector<float> tiny = {1, 1, 0.25f, 1};
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor e, resize_op(c, x, &tiny, nullptr).run1());
  EXPECT_EQ(e.shape(), (Shape{1, 1, 0, 2}));
}

}  // namespace
}  // namespace braid::testing
