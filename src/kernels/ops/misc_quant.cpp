// QuantizeLinear, DequantizeLinear (per-tensor, and per-axis since opset 13; int8 / uint8,
// plus int32 for DequantizeLinear) and DynamicQuantizeLinear (uint8). Rounding is
// round-half-to-even on the float quotient, as the ONNX reference and ONNX Runtime do.
#include <algorithm>
#include <cmath>
#include <memory>

#include "kernels/attributes.h"
#include "kernels/dispatch.h"
#include "kernels/ops/misc_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

constexpr int64_t kElementsPerTask = 1 << 16;

template <class Q>
Q saturate(float v) {
  constexpr float lo = static_cast<float>(std::numeric_limits<Q>::min());
  constexpr float hi = static_cast<float>(std::numeric_limits<Q>::max());
  if (std::isnan(v)) return Q(0);
  return static_cast<Q>(v < lo ? lo : v > hi ? hi : v);
}

template <class Q>
Q quantize_one(float x, float scale, float zero_point) {
  return saturate<Q>(std::nearbyint(x / scale) + zero_point);
}

// How a scale / zero point vector maps onto x: [outer, channels, inner] with the scale
// indexed by channel (channels = 1 for per-tensor).
struct AxisLayout {
  int64_t outer = 1, channels = 1, inner = 1;
};

Result<AxisLayout> axis_layout(const Node& node, const Tensor& x, const Tensor& scale, const Tensor* zero_point,
                               int64_t axis_attr) {
  AxisLayout l;
  if (zero_point != nullptr && zero_point->numel() != scale.numel())
    return bad_node(node, "zero point of shape " + shape_to_string(zero_point->shape()) +
                              " does not match scale of shape " + shape_to_string(scale.shape()));
  if (scale.numel() == 1 && scale.rank() <= 1) {
    l.inner = x.numel();
    return l;
  }
  if (scale.rank() != 1)
    return bad_node(node, "scale must be a scalar or a 1-D tensor, got " + shape_to_string(scale.shape()));
  const int64_t axis = axis_attr < 0 ? axis_attr + x.rank() : axis_attr;
  if (axis < 0 || axis >= x.rank())
    return bad_node(node, "axis " + std::to_string(axis_attr) + " is out of range for rank " + std::to_string(x.rank()));
  if (x.dim(axis) != scale.numel())
    return bad_node(node, "scale has " + std::to_string(scale.numel()) + " values for axis " + std::to_string(axis) +
                              " of size " + std::to_string(x.dim(axis)));
  l.channels = x.dim(axis);
  for (int64_t d = 0; d < axis; ++d) l.outer *= x.dim(d);
  for (int64_t d = axis + 1; d < x.rank(); ++d) l.inner *= x.dim(d);
  return l;
}

// Runs fn(channel, begin, end) over every [outer, channel] row, in parallel.
template <class Fn>
void for_each_row(const AxisLayout& l, int max_threads, Fn&& fn) {
  const int64_t rows = l.outer * l.channels;
  const int64_t grain = std::max<int64_t>(1, kElementsPerTask / std::max<int64_t>(1, l.inner));
  parallel_for_range(rows, grain, max_threads, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) fn(r % l.channels, r * l.inner, (r + 1) * l.inner);
  });
}

// ---------------------------------------------------------------- QuantizeLinear

class QuantizeKernel final : public OpKernel {
 public:
  QuantizeKernel(int64_t axis, DataType out) : axis_(axis), out_(out) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor *x = ctx.input(0), *scale = ctx.input(1), *zp = ctx.input(2);
    if (x == nullptr || scale == nullptr) return bad_node(node, "needs inputs x and y_scale");
    if (scale->dtype() != DataType::kFloat32) return unsupported_dtype(node, scale->dtype(), "scale");
    if (zp != nullptr && zp->dtype() != out_) return bad_node(node, "y_zero_point dtype changed since load");
    BRAID_ASSIGN_OR_RETURN(AxisLayout l, axis_layout(node, *x, *scale, zp, axis_));
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, out_, x->shape()));
    if (x->numel() == 0) return {};
    const float* s = scale->data<float>();
    for (int64_t c = 0; c < scale->numel(); ++c)
      if (!(s[c] != 0)) return bad_node(node, "y_scale must be non-zero");
    auto run = [&](auto out_tag) -> Status {
      using Q = decltype(out_tag);
      const Q* z = zp ? zp->data<Q>() : nullptr;
      Q* yd = y->data<Q>();
      return dispatch_dtype_or<float, int32_t>(
          x->dtype(),
          [&](auto in_tag) -> Status {
            using X = decltype(in_tag);
            const X* xd = x->data<X>();
            for_each_row(l, ctx.max_threads, [&](int64_t c, int64_t b, int64_t e) {
              const float sc = s[c], zc = z ? static_cast<float>(z[c]) : 0.0f;
              for (int64_t i = b; i < e; ++i) yd[i] = quantize_one<Q>(static_cast<float>(xd[i]), sc, zc);
            });
            return {};
          },
          [&] { return unsupported_dtype(node, x->dtype()); });
    };
    return dispatch_dtype_or<uint8_t, int8_t>(out_, run, [&] { return unsupported_dtype(node, out_, "output"); });
  }

 private:
  int64_t axis_;
  DataType out_;
};

Result<std::unique_ptr<OpKernel>> make_quantize(const KernelInit& init) {
  const Node& node = *init.node;
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(node, "needs inputs x and y_scale");
  const DataType in = init.input_dtype(0);
  if (in != DataType::kUndefined && in != DataType::kFloat32 && in != DataType::kInt32) return unsupported_dtype(node, in);
  const DataType sd = init.input_dtype(1);
  if (sd != DataType::kUndefined && sd != DataType::kFloat32) return unsupported_dtype(node, sd, "scale");
  DataType out = init.has_input(2) ? init.input_dtype(2) : DataType::kUInt8;
  if (out == DataType::kUndefined) out = init.output_dtype(0);
  if (out != DataType::kUInt8 && out != DataType::kInt8) return unsupported_dtype(node, out, "output");
  if (has_attr(node, "block_size") && attr_int(node, "block_size", 0) != 0)
    return unsupported_op(node.describe() + ": blocked quantization is not supported");
  return std::unique_ptr<OpKernel>(new QuantizeKernel(attr_int(node, "axis", 1), out));
}

// ---------------------------------------------------------------- DequantizeLinear

class DequantizeKernel final : public OpKernel {
 public:
  explicit DequantizeKernel(int64_t axis) : axis_(axis) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor *x = ctx.input(0), *scale = ctx.input(1), *zp = ctx.input(2);
    if (x == nullptr || scale == nullptr) return bad_node(node, "needs inputs x and x_scale");
    if (scale->dtype() != DataType::kFloat32) return unsupported_dtype(node, scale->dtype(), "scale");
    if (zp != nullptr && zp->dtype() != x->dtype())
      return bad_node(node, "x_zero_point must have the dtype of x");
    BRAID_ASSIGN_OR_RETURN(AxisLayout l, axis_layout(node, *x, *scale, zp, axis_));
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, DataType::kFloat32, x->shape()));
    if (x->numel() == 0) return {};
    const float* s = scale->data<float>();
    float* yd = y->data<float>();
    return dispatch_dtype_or<uint8_t, int8_t, int32_t>(
        x->dtype(),
        [&](auto tag) -> Status {
          using Q = decltype(tag);
          const Q* xd = x->data<Q>();
          const Q* z = zp ? zp->data<Q>() : nullptr;
          if constexpr (std::is_same_v<Q, int32_t>) {
            for (int64_t c = 0; z && c < zp->numel(); ++c)
              if (z[c] != 0) return bad_node(node, "int32 x_zero_point must be 0");
          }
          for_each_row(l, ctx.max_threads, [&](int64_t c, int64_t b, int64_t e) {
            const float sc = s[c];
            const int32_t zc = z ? static_cast<int32_t>(z[c]) : 0;
            for (int64_t i = b; i < e; ++i)
              yd[i] = static_cast<float>(static_cast<int32_t>(xd[i]) - zc) * sc;
          });
          return {};
        },
        [&] { return unsupported_dtype(node, x->dtype()); });
  }

 private:
  int64_t axis_;
};

Result<std::unique_ptr<OpKernel>> make_dequantize(const KernelInit& init) {
  const Node& node = *init.node;
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(node, "needs inputs x and x_scale");
  const DataType in = init.input_dtype(0);
  if (in != DataType::kUndefined && in != DataType::kUInt8 && in != DataType::kInt8 && in != DataType::kInt32)
    return unsupported_dtype(node, in);
  const DataType sd = init.input_dtype(1);
  if (sd != DataType::kUndefined && sd != DataType::kFloat32) return unsupported_dtype(node, sd, "scale");
  if (has_attr(node, "block_size") && attr_int(node, "block_size", 0) != 0)
    return unsupported_op(node.describe() + ": blocked quantization is not supported");
  return std::unique_ptr<OpKernel>(new DequantizeKernel(attr_int(node, "axis", 1)));
}

// ---------------------------------------------------------------- DynamicQuantizeLinear

class DynamicQuantizeKernel final : public OpKernel {
 public:
  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(node, "missing input x");
    if (x->dtype() != DataType::kFloat32) return unsupported_dtype(node, x->dtype());
    const float* xd = x->data<float>();
    // The range always includes 0 so that 0 is exactly representable.
    float lo = 0, hi = 0;
    for (int64_t i = 0; i < x->numel(); ++i) {
      lo = std::min(lo, xd[i]);
      hi = std::max(hi, xd[i]);
    }
    const float scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
    const float zero_point = std::nearbyint(std::clamp(0.0f - lo / scale, 0.0f, 255.0f));
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, DataType::kUInt8, x->shape()));
    BRAID_ASSIGN_OR_RETURN(Tensor * ys, ctx.allocate_output(1, DataType::kFloat32, {}));
    BRAID_ASSIGN_OR_RETURN(Tensor * yz, ctx.allocate_output(2, DataType::kUInt8, {}));
    *ys->data<float>() = scale;
    *yz->data<uint8_t>() = static_cast<uint8_t>(zero_point);
    uint8_t* yd = y->data<uint8_t>();
    parallel_for_range(x->numel(), kElementsPerTask, ctx.max_threads, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) yd[i] = quantize_one<uint8_t>(xd[i], scale, zero_point);
    });
    return {};
  }
};

Result<std::unique_ptr<OpKernel>> make_dynamic_quantize(const KernelInit& init) {
  const Node& node = *init.node;
  if (!init.has_input(0)) return bad_node(node, "needs input x");
  if (init.num_outputs() < 3) return bad_node(node, "needs outputs y, y_scale and y_zero_point");
  const DataType in = init.input_dtype(0);
  if (in != DataType::kUndefined && in != DataType::kFloat32) return unsupported_dtype(node, in);
  return std::unique_ptr<OpKernel>(new DynamicQuantizeKernel());
}

}  // namespace

void register_misc_quant_kernels(OpRegistry& r) {
  r.add({"", "QuantizeLinear", 10, 20, make_quantize});
  r.add({"", "DequantizeLinear", 10, 20, make_dequantize});
  r.add({"", "DynamicQuantizeLinear", 11, 1 << 30, make_dynamic_quantize});
}

}  // namespace braid::detail
