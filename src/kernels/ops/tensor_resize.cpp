// Resize (opset 10, 11, 13) and Upsample (7, 9): nearest (every nearest_mode), N-D linear
// and cubic (cubic_coeff_a, exclude_outside) under every coordinate_transformation_mode up
// to opset 17, including tf_crop_and_resize with its extrapolation_value.
//
// Interpolation is separable: each dim gets a table of taps (input offset, weight) per
// output coordinate, built once per call. An output row (all dims but the last fixed)
// multiplies out the taps of its outer dims once, then each output element sums those
// against the taps of the last dim. Nearest is the one-tap case, done by element size.
// Coordinates follow the ONNX reference (onnx/reference/ops/op_resize.py), in double.
#include <cmath>
#include <string>

#include "kernels/attributes.h"
#include "kernels/ops/tensor_common.h"
#include "kernels/ops/tensor_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace tensor_ops;
namespace {

enum class InterpMode { kNearest, kLinear, kCubic };
enum class CoordMode { kHalfPixel, kPytorchHalfPixel, kAlignCorners, kAsymmetric, kTfHalfPixelForNn, kTfCropAndResize };
// kSimple is Resize-10 / Upsample: truncate when upsampling, ceil when downsampling.
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };

struct ResizeConfig {
  InterpMode mode = InterpMode::kNearest;
  CoordMode coord = CoordMode::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0.0;
};

// One dim's taps: output coordinate o reads taps [begin[o], begin[o + 1]), or the
// extrapolation value when outside[o].
struct DimTaps {
  std::vector<int64_t> begin;
  std::vector<int64_t> offset;  // input element offset (index * stride)
  std::vector<double> weight;
  std::vector<uint8_t> outside;
};

double original_coord(CoordMode m, double x, double scale, double length_resized, int64_t in, double roi_start,
                      double roi_end) {
  const double in_m1 = static_cast<double>(in - 1);
  switch (m) {
    case CoordMode::kHalfPixel: return (x + 0.5) / scale - 0.5;
    case CoordMode::kPytorchHalfPixel: return length_resized > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case CoordMode::kAlignCorners: return length_resized == 1 ? 0.0 : x * in_m1 / (length_resized - 1);
    case CoordMode::kAsymmetric: return x / scale;
    case CoordMode::kTfHalfPixelForNn: return (x + 0.5) / scale;
    case CoordMode::kTfCropAndResize:
      return length_resized > 1 ? roi_start * in_m1 + x * (roi_end - roi_start) * in_m1 / (length_resized - 1)
                                : 0.5 * (roi_start + roi_end) * in_m1;
  }
  return 0.0;
}

double nearest_coord(NearestMode m, double x, bool downsample) {
  switch (m) {
    case NearestMode::kRoundPreferFloor: return std::ceil(x - 0.5);
    case NearestMode::kRoundPreferCeil: return std::floor(x + 0.5);
    case NearestMode::kFloor: return std::floor(x);
    case NearestMode::kCeil: return std::ceil(x);
    case NearestMode::kSimple: return downsample ? std::ceil(x) : std::trunc(x);
  }
  return x;
}

// Keys cubic convolution weight at distance d (>= 0) with parameter a.
double cubic_weight(double d, double a) {
  if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0.0;
}

DimTaps make_taps(const ResizeConfig& c, int64_t in, int64_t out, double scale, double length_resized, double roi_start,
                  double roi_end, int64_t stride) {
  DimTaps t;
  t.begin.reserve(static_cast<size_t>(out) + 1);
  t.outside.assign(static_cast<size_t>(out), 0);
  auto add = [&](int64_t idx, double w) {
    t.offset.push_back(std::clamp<int64_t>(idx, 0, in - 1) * stride);
    t.weight.push_back(w);
  };
  const double lo = -4.0, hi = static_cast<double>(in) + 4.0;  // keeps index math in range
  for (int64_t o = 0; o < out; ++o) {
    t.begin.push_back(static_cast<int64_t>(t.offset.size()));
    double x = original_coord(c.coord, static_cast<double>(o), scale, length_resized, in, roi_start, roi_end);
    if (c.coord == CoordMode::kTfCropAndResize && (x < 0 || x > static_cast<double>(in - 1))) {
      t.outside[o] = 1;
      continue;
    }
    if (!(x >= lo)) x = lo;  // also catches NaN
    if (x > hi) x = hi;
    if (c.mode == InterpMode::kNearest) {
      add(static_cast<int64_t>(nearest_coord(c.nearest, x, scale < 1.0)), 1.0);
      continue;
    }
    const double x0 = std::floor(x);
    const double f = x - x0;
    const int64_t i0 = static_cast<int64_t>(x0);
    if (c.mode == InterpMode::kLinear) {
      if (f != 1.0) add(i0, 1.0 - f);
      if (f != 0.0) add(i0 + 1, f);
      continue;
    }
    double w[4] = {cubic_weight(1 + f, c.cubic_a), cubic_weight(f, c.cubic_a), cubic_weight(1 - f, c.cubic_a),
                   cubic_weight(2 - f, c.cubic_a)};
    if (c.exclude_outside) {
      double sum = 0;
      for (int k = 0; k < 4; ++k) {
        const int64_t idx = i0 - 1 + k;
        if (idx < 0 || idx >= in) w[k] = 0;
        sum += w[k];
      }
      if (sum != 0)
        for (double& v : w) v /= sum;
    }
    for (int k = 0; k < 4; ++k)
      if (w[k] != 0) add(i0 - 1 + k, w[k]);
  }
  t.begin.push_back(static_cast<int64_t>(t.offset.size()));
  return t;
}

// One output row's inner (last-dim) pass with exactly K taps per output element: the
// row sums its outer-dim combinations (source row offset, weight) of K-tap dot products.
template <class T, int K>
void interpolate_row(const T* src, T* o, int64_t cols, const int64_t* combo_off, const T* combo_w, size_t combos,
                     const int64_t* off, const T* w) {
  for (int64_t x = 0; x < cols; ++x) {
    const int64_t* ox = off + x * K;
    const T* wx = w + x * K;
    T acc = 0;
    for (size_t c = 0; c < combos; ++c) {
      const T* s = src + combo_off[c];
      T part = 0;
      for (int k = 0; k < K; ++k) part += wx[k] * s[ox[k]];
      acc += combo_w[c] * part;
    }
    o[x] = acc;
  }
}

// Interpolated output (linear, cubic) for float32 / float64, accumulating in T.
template <class T>
void interpolate(const T* src, T* dst, const Shape& out, const std::vector<DimTaps>& taps, T extrapolation,
                 int max_threads) {
  const int r = static_cast<int>(out.size());
  const int64_t cols = out[r - 1];
  int64_t rows = 1;
  for (int d = 0; d < r - 1; ++d) rows *= out[d];
  // The last dim's taps padded to a fixed count K (1, 2 or 4) with zero weights, so the
  // inner loop has a constant trip count.
  const DimTaps& inner = taps[r - 1];
  int64_t k_max = 1;
  bool any_outside = false;
  for (int64_t x = 0; x < cols; ++x) {
    k_max = std::max(k_max, inner.begin[x + 1] - inner.begin[x]);
    any_outside |= inner.outside[x] != 0;
  }
  const int K = k_max <= 1 ? 1 : (k_max <= 2 ? 2 : 4);
  std::vector<int64_t> off(static_cast<size_t>(cols * K), 0);
  std::vector<T> w(static_cast<size_t>(cols * K), T(0));
  for (int64_t x = 0; x < cols; ++x)
    for (int64_t k = inner.begin[x]; k < inner.begin[x + 1]; ++k) {
      off[x * K + (k - inner.begin[x])] = inner.offset[k];
      w[x * K + (k - inner.begin[x])] = static_cast<T>(inner.weight[k]);
    }
  parallel_for_range(rows, copy_grain_rows(cols * K * 8), max_threads, [&](int64_t b, int64_t e) {
    std::vector<int64_t> idx(static_cast<size_t>(std::max(r - 1, 0)));
    int64_t rest = b;
    for (int d = r - 2; d >= 0; --d) {
      idx[d] = rest % out[d];
      rest /= out[d];
    }
    std::vector<int64_t> combo_off, next_off;
    std::vector<T> combo_w, next_w;
    for (int64_t row = b; row < e; ++row) {
      T* o = dst + row * cols;
      // Multiply out the taps of the outer dims: (source row offset, weight) pairs.
      combo_off.assign(1, 0);
      combo_w.assign(1, T(1));
      bool outside = false;
      for (int d = 0; d < r - 1; ++d) {
        const DimTaps& t = taps[d];
        if (t.outside[idx[d]]) {
          outside = true;
          break;
        }
        const int64_t kb = t.begin[idx[d]], ke = t.begin[idx[d] + 1];
        if (ke - kb == 1) {  // the common one-tap case (batch, channel) adds without multiplying
          for (size_t c = 0; c < combo_off.size(); ++c) {
            combo_off[c] += t.offset[kb];
            combo_w[c] *= static_cast<T>(t.weight[kb]);
          }
          continue;
        }
        next_off.clear();
        next_w.clear();
        for (size_t c = 0; c < combo_off.size(); ++c)
          for (int64_t k = kb; k < ke; ++k) {
            next_off.push_back(combo_off[c] + t.offset[k]);
            next_w.push_back(combo_w[c] * static_cast<T>(t.weight[k]));
          }
        combo_off.swap(next_off);
        combo_w.swap(next_w);
      }
      if (outside) {
        std::fill_n(o, cols, extrapolation);
      } else {
        const size_t nc = combo_off.size();
        if (K == 1) interpolate_row<T, 1>(src, o, cols, combo_off.data(), combo_w.data(), nc, off.data(), w.data());
        else if (K == 2) interpolate_row<T, 2>(src, o, cols, combo_off.data(), combo_w.data(), nc, off.data(), w.data());
        else interpolate_row<T, 4>(src, o, cols, combo_off.data(), combo_w.data(), nc, off.data(), w.data());
        if (any_outside)
          for (int64_t x = 0; x < cols; ++x)
            if (inner.outside[x]) o[x] = extrapolation;
      }
      for (int d = r - 2; d >= 0; --d) {
        if (++idx[d] < out[d]) break;
        idx[d] = 0;
      }
    }
  });
}

// Nearest: one tap per dim, elements moved by size.
template <class T>
void nearest(const T* src, T* dst, const Shape& out, const std::vector<DimTaps>& taps, T extrapolation, int max_threads) {
  const int r = static_cast<int>(out.size());
  const int64_t cols = out[r - 1];
  int64_t rows = 1;
  for (int d = 0; d < r - 1; ++d) rows *= out[d];
  const DimTaps& inner = taps[r - 1];
  parallel_for_range(rows, copy_grain_rows(cols * static_cast<int64_t>(sizeof(T))), max_threads,
                     [&](int64_t b, int64_t e) {
                       std::vector<int64_t> idx(static_cast<size_t>(std::max(r - 1, 0)));
                       int64_t rest = b;
                       for (int d = r - 2; d >= 0; --d) {
                         idx[d] = rest % out[d];
                         rest /= out[d];
                       }
                       for (int64_t row = b; row < e; ++row) {
                         T* o = dst + row * cols;
                         int64_t base = 0;
                         bool outside = false;
                         for (int d = 0; d < r - 1; ++d) {
                           outside |= taps[d].outside[idx[d]] != 0;
                           if (!outside) base += taps[d].offset[taps[d].begin[idx[d]]];
                         }
                         if (outside) {
                           std::fill_n(o, cols, extrapolation);
                         } else {
                           const T* s = src + base;
                           for (int64_t x = 0; x < cols; ++x)
                             o[x] = inner.outside[x] ? extrapolation : s[inner.offset[inner.begin[x]]];
                         }
                         for (int d = r - 2; d >= 0; --d) {
                           if (++idx[d] < out[d]) break;
                           idx[d] = 0;
                         }
                       }
                     });
}

// Where the op takes its scales / sizes / roi.
enum class Layout {
  kUpsample7,  // scales attribute
  kScales1,    // Upsample-9, Resize-10: input 1 is scales
  kResize11,   // roi 1, scales 2, sizes 3
};

Result<std::vector<double>> read_float_list(const Node& node, const Tensor& t, const char* what) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  if (t.dtype() == DataType::kFloat32) {
    for (size_t i = 0; i < v.size(); ++i) v[i] = t.data<float>()[i];
  } else if (t.dtype() == DataType::kFloat64) {
    for (size_t i = 0; i < v.size(); ++i) v[i] = t.data<double>()[i];
  } else {
    return bad_node(node, std::string(what) + " must be float32 or float64, not " + dtype_name(t.dtype()));
  }
  return v;
}

bool interpolable(DataType dt) { return dt == DataType::kFloat32 || dt == DataType::kFloat64; }

class ResizeKernel final : public OpKernel {
 public:
  ResizeKernel(ResizeConfig config, Layout layout, std::vector<double> attr_scales)
      : config_(config), layout_(layout), attr_scales_(std::move(attr_scales)) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(node, "missing input");
    if (!is_fixed_size(x->dtype())) return unsupported_dtype(node, x->dtype());
    if (config_.mode != InterpMode::kNearest && !interpolable(x->dtype())) return unsupported_dtype(node, x->dtype());
    const int64_t r = x->rank();
    if (r == 0) return bad_node(node, "input must have rank >= 1");
    std::vector<double> scales, roi;
    std::vector<int64_t> sizes;
    const Tensor* scales_t = nullptr;
    const Tensor* sizes_t = nullptr;
    if (layout_ == Layout::kUpsample7) {
      scales = attr_scales_;
    } else if (layout_ == Layout::kScales1) {
      scales_t = ctx.input(1);
      if (scales_t == nullptr) return bad_node(node, "needs a scales input");
    } else {
      scales_t = ctx.input(2);
      sizes_t = ctx.input(3);
      if (const Tensor* roi_t = ctx.input(1); roi_t != nullptr && roi_t->numel() > 0 &&
                                              config_.coord == CoordMode::kTfCropAndResize) {
        BRAID_ASSIGN_OR_RETURN(roi, read_float_list(node, *roi_t, "roi"));
      }
    }
    if (scales_t != nullptr && scales_t->numel() > 0) {
      BRAID_ASSIGN_OR_RETURN(scales, read_float_list(node, *scales_t, "scales"));
    }
    if (sizes_t != nullptr && sizes_t->numel() > 0) {
      BRAID_ASSIGN_OR_RETURN(sizes, read_int_tensor(node, *sizes_t, "sizes"));
    }
    if (!sizes.empty() && !scales.empty()) return bad_node(node, "only one of scales and sizes may be given");
    if (sizes.empty() && scales.empty()) return bad_node(node, "needs scales or sizes");
    if (static_cast<int64_t>(std::max(sizes.size(), scales.size())) != r)
      return bad_node(node, "scales/sizes must have one entry per input dim (" + std::to_string(r) + ")");
    if (config_.coord == CoordMode::kTfCropAndResize && static_cast<int64_t>(roi.size()) != 2 * r)
      return bad_node(node, "tf_crop_and_resize needs a roi of " + std::to_string(2 * r) + " values");

    Shape out(static_cast<size_t>(r));
    std::vector<double> scale(static_cast<size_t>(r)), length(static_cast<size_t>(r));
    for (int64_t d = 0; d < r; ++d) {
      const double in = static_cast<double>(x->dim(d));
      if (!sizes.empty()) {
        if (sizes[d] < 0) return bad_node(node, "sizes has a negative entry");
        out[d] = sizes[d];
        scale[d] = in > 0 ? static_cast<double>(sizes[d]) / in : 1.0;
        length[d] = static_cast<double>(sizes[d]);
      } else {
        if (!(scales[d] > 0) || !std::isfinite(scales[d]))
          return bad_node(node, "scales must be positive and finite");
        const double o = std::floor(scales[d] * in);
        if (o > static_cast<double>(int64_t{1} << 40)) return bad_node(node, "scales make the output too large");
        out[d] = static_cast<int64_t>(o);
        scale[d] = scales[d];
        length[d] = scales[d] * in;
      }
    }
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x->dtype(), out));
    if (y->numel() == 0) return {};
    if (x->numel() == 0) return bad_node(node, "cannot resize an empty input to a non-empty output");
    const std::vector<int64_t> strides = row_major_strides(x->shape());
    std::vector<DimTaps> taps;
    taps.reserve(static_cast<size_t>(r));
    for (int64_t d = 0; d < r; ++d) {
      const double rs = roi.empty() ? 0.0 : roi[d], re = roi.empty() ? 1.0 : roi[d + r];
      taps.push_back(make_taps(config_, x->dim(d), out[d], scale[d], length[d], rs, re, strides[d]));
    }
    if (config_.mode == InterpMode::kNearest) {
      BRAID_ASSIGN_OR_RETURN(uint64_t extrap, scalar_bits(node, x->dtype(), config_.extrapolation));
      dispatch_elem_size(dtype_size(x->dtype()), [&](auto tag) {
        using T = decltype(tag);
        nearest(x->data<T>(), y->data<T>(), out, taps, static_cast<T>(extrap), ctx.max_threads);
      });
    } else if (x->dtype() == DataType::kFloat32) {
      interpolate(x->data<float>(), y->data<float>(), out, taps, static_cast<float>(config_.extrapolation),
                  ctx.max_threads);
    } else {
      interpolate(x->data<double>(), y->data<double>(), out, taps, config_.extrapolation, ctx.max_threads);
    }
    return {};
  }

 private:
  ResizeConfig config_;
  Layout layout_;
  std::vector<double> attr_scales_;
};

Result<InterpMode> parse_mode(const Node& n) {
  const std::string m = attr_string(n, "mode", "nearest");
  if (m == "nearest") return InterpMode::kNearest;
  if (m == "linear" || m == "bilinear" || m == "trilinear") return InterpMode::kLinear;
  if (m == "cubic") return InterpMode::kCubic;
  return bad_node(n, "unknown mode '" + m + "'");
}

Result<std::unique_ptr<OpKernel>> make_resize_common(const KernelInit& init, bool is_upsample) {
  const Node& n = *init.node;
  if (!init.has_input(0)) return bad_node(n, "needs an input");
  const DataType dt = init.input_dtype(0);
  BRAID_RETURN_IF_ERROR(check_movable_dtype(n, dt));
  ResizeConfig c;
  BRAID_ASSIGN_OR_RETURN(c.mode, parse_mode(n));
  Layout layout = Layout::kResize11;
  std::vector<double> attr_scales;
  if (is_upsample || init.opset() < 11) {
    if (c.mode == InterpMode::kCubic) return bad_node(n, "cubic mode needs Resize-11 or later");
    c.coord = CoordMode::kAsymmetric;
    c.nearest = NearestMode::kSimple;
    layout = Layout::kScales1;
    if (is_upsample && init.opset() < 9) {
      if (!has_attr(n, "scales")) return bad_node(n, "needs a 'scales' attribute");
      for (float s : attr_floats(n, "scales")) attr_scales.push_back(s);
      layout = Layout::kUpsample7;
    }
  } else {
    const std::string coord = attr_string(n, "coordinate_transformation_mode", "half_pixel");
    if (coord == "half_pixel") c.coord = CoordMode::kHalfPixel;
    else if (coord == "pytorch_half_pixel") c.coord = CoordMode::kPytorchHalfPixel;
    else if (coord == "align_corners") c.coord = CoordMode::kAlignCorners;
    else if (coord == "asymmetric") c.coord = CoordMode::kAsymmetric;
    else if (coord == "tf_half_pixel_for_nn") c.coord = CoordMode::kTfHalfPixelForNn;
    else if (coord == "tf_crop_and_resize") c.coord = CoordMode::kTfCropAndResize;
    else return unsupported_op(n.describe() + ": coordinate_transformation_mode '" + coord + "' is not supported");
    const std::string nm = attr_string(n, "nearest_mode", "round_prefer_floor");
    if (nm == "round_prefer_floor") c.nearest = NearestMode::kRoundPreferFloor;
    else if (nm == "round_prefer_ceil") c.nearest = NearestMode::kRoundPreferCeil;
    else if (nm == "floor") c.nearest = NearestMode::kFloor;
    else if (nm == "ceil") c.nearest = NearestMode::kCeil;
    else return bad_node(n, "unknown nearest_mode '" + nm + "'");
    c.cubic_a = attr_float(n, "cubic_coeff_a", -0.75f);
    c.exclude_outside = attr_int(n, "exclude_outside", 0) != 0;
    c.extrapolation = attr_float(n, "extrapolation_value", 0.0f);
    if (has_attr(n, "antialias") && attr_int(n, "antialias", 0) != 0)
      return unsupported_op(n.describe() + ": antialias is not supported");
    if (has_attr(n, "axes")) return unsupported_op(n.describe() + ": the axes attribute is not supported");
    if (attr_string(n, "keep_aspect_ratio_policy", "stretch") != "stretch")
      return unsupported_op(n.describe() + ": keep_aspect_ratio_policy is not supported");
  }
  if (c.mode != InterpMode::kNearest && dt != DataType::kUndefined && !interpolable(dt))
    return unsupported_dtype(n, dt);
  return std::unique_ptr<OpKernel>(new ResizeKernel(c, layout, std::move(attr_scales)));
}

Result<std::unique_ptr<OpKernel>> make_resize(const KernelInit& init) { return make_resize_common(init, false); }
Result<std::unique_ptr<OpKernel>> make_upsample(const KernelInit& init) { return make_resize_common(init, true); }

}  // namespace

void register_tensor_resize_ops(OpRegistry& r) {
  r.add({"", "Resize", 10, 1 << 30, make_resize});
  r.add({"", "Upsample", 7, 1 << 30, make_upsample});
}

}  // namespace braid::detail
