// ConvInteger (int32 out) and QLinearConv (requantized int8 / uint8 out) over N-D inputs
// with groups, pads / auto_pad, strides and dilations. Each (image, group) is an im2col of
// x minus its zero point (padding contributes 0) followed by an int32 Eigen GEMM with the
// zero-point-adjusted weights, which are prepared once at load when constant.
#include <Eigen/Core>

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "kernels/attributes.h"
#include "kernels/ops/misc_kernels.h"
#include "kernels/ops/misc_quant_util.h"
#include "kernels/ops/misc_window.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

using MatI = Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Input slots of the two ops.
struct ConvSlots {
  size_t x, x_zp, w, w_zp;
};
constexpr ConvSlots kConvIntegerSlots{0, 2, 1, 3};
constexpr ConvSlots kQLinearConvSlots{0, 2, 3, 5};

// W minus its per-output-channel zero point, widened to int32: [M, C/group * kernel].
Result<std::vector<int32_t>> adjust_weights(const Node& node, const Tensor& w, const Tensor* zp) {
  const int64_t m = w.dim(0), per = m == 0 ? 0 : w.numel() / m;
  BRAID_ASSIGN_OR_RETURN(std::vector<int32_t> z, misc::expand_per_element<int32_t>(node, zp, 1, m, "w_zero_point"));
  std::vector<int32_t> out(static_cast<size_t>(w.numel()));
  for (int64_t o = 0; o < m; ++o)
    for (int64_t i = 0; i < per; ++i) out[o * per + i] = misc::int_element(w, o * per + i) - z[o];
  return out;
}

// col[(c * kernel + tap), out] = x[c, window tap of out] - x_zp (0 in the padding).
void im2col(const Tensor& x, int64_t x_offset, int64_t channels, const misc::WindowPlan& p, int32_t x_zp,
            int32_t* col) {
  const size_t rank = p.rank();
  int64_t in_plane = 1, out_plane = 1, taps = 1;
  for (size_t d = 0; d < rank; ++d) {
    in_plane *= p.in[d];
    out_plane *= p.out[d];
    taps *= p.kernel[d];
  }
  std::vector<int64_t> k(rank), o(rank);
  for (int64_t c = 0; c < channels; ++c) {
    const int64_t base = x_offset + c * in_plane;
    for (int64_t t = 0; t < taps; ++t) {
      for (int64_t rest = t, d = static_cast<int64_t>(rank); d-- > 0;) {
        k[d] = rest % p.kernel[d];
        rest /= p.kernel[d];
      }
      int32_t* row = col + (c * taps + t) * out_plane;
      std::fill(o.begin(), o.end(), 0);
      for (int64_t j = 0; j < out_plane; ++j) {
        int64_t at = 0;
        bool inside = true;
        for (size_t d = 0; d < rank; ++d) {
          const int64_t i = o[d] * p.strides[d] - p.pad_begin[d] + k[d] * p.dilations[d];
          inside &= i >= 0 && i < p.in[d];
          at = at * p.in[d] + i;
        }
        row[j] = inside ? misc::int_element(x, base + at) - x_zp : 0;
        for (size_t d = rank; d-- > 0;) {
          if (++o[d] < p.out[d]) break;
          o[d] = 0;
        }
      }
    }
  }
}

struct ConvRequant {
  std::vector<float> multiplier;  // per output channel: x_scale * w_scale[m] / y_scale
  std::vector<int32_t> bias;      // per output channel (zeros when absent)
  int32_t zero_point = 0;
  DataType out = DataType::kUInt8;
};

class IntegerConvKernel final : public OpKernel {
 public:
  IntegerConvKernel(bool qlinear, misc::WindowGeometry g, int64_t group, std::optional<std::vector<int32_t>> packed_w,
                    Shape packed_w_shape)
      : qlinear_(qlinear), slots_(qlinear ? kQLinearConvSlots : kConvIntegerSlots), geometry_(std::move(g)),
        group_(group), packed_w_(std::move(packed_w)), packed_w_shape_(std::move(packed_w_shape)) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor *x = ctx.input(slots_.x), *w = ctx.input(slots_.w);
    const Tensor *xz = ctx.input(slots_.x_zp), *wz = ctx.input(slots_.w_zp);
    if (x == nullptr || w == nullptr) return bad_node(node, "needs inputs x and w");
    if (!misc::is_int8_or_uint8(x->dtype())) return unsupported_dtype(node, x->dtype());
    if (!misc::is_int8_or_uint8(w->dtype())) return unsupported_dtype(node, w->dtype(), "weight");
    if ((xz && xz->dtype() != x->dtype()) || (wz && wz->dtype() != w->dtype()))
      return bad_node(node, "zero points must have the dtype of their input");
    if (xz && xz->numel() != 1) return unsupported_op(node.describe() + ": x_zero_point must be per-tensor");
    if (x->rank() < 3 || w->rank() != x->rank())
      return bad_node(node, "x " + shape_to_string(x->shape()) + " and w " + shape_to_string(w->shape()) +
                                " must both have rank >= 3 and the same rank");
    const int64_t n = x->dim(0), c = x->dim(1), m = w->dim(0);
    if (c % group_ != 0 || m % group_ != 0 || w->dim(1) * group_ != c)
      return bad_node(node, "channels do not match: x " + shape_to_string(x->shape()) + ", w " +
                                shape_to_string(w->shape()) + ", group " + std::to_string(group_));
    const size_t spatial = static_cast<size_t>(x->rank() - 2);
    const std::span<const int64_t> kernel(w->shape().data() + 2, spatial);
    if (!geometry_.kernel.empty() && !std::equal(kernel.begin(), kernel.end(), geometry_.kernel.begin(), geometry_.kernel.end()))
      return bad_node(node, "kernel_shape does not match the weights " + shape_to_string(w->shape()));
    BRAID_ASSIGN_OR_RETURN(misc::WindowPlan plan,
                           misc::plan_window(node, geometry_, kernel, std::span<const int64_t>(x->shape().data() + 2, spatial)));

    std::vector<int32_t> w_adjusted;
    const int32_t* wi = nullptr;
    if (packed_w_ && packed_w_shape_ == w->shape()) {
      wi = packed_w_->data();
    } else {
      BRAID_ASSIGN_OR_RETURN(w_adjusted, adjust_weights(node, *w, wz));
      wi = w_adjusted.data();
    }
    ConvRequant rq;
    if (qlinear_) BRAID_RETURN_IF_ERROR(read_requant(ctx, m, rq));

    Shape ys{n, m};
    ys.insert(ys.end(), plan.out.begin(), plan.out.end());
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, qlinear_ ? rq.out : DataType::kInt32, ys));
    if (y->numel() == 0) return {};
    int64_t in_plane = 1, out_plane = 1, taps = 1;
    for (size_t d = 0; d < spatial; ++d) {
      in_plane *= plan.in[d];
      out_plane *= plan.out[d];
      taps *= plan.kernel[d];
    }
    const int64_t cg = c / group_, mg = m / group_, depth = cg * taps;
    const int32_t x_zero = xz ? misc::int_element(*xz, 0) : 0;
    parallel_for_range(n * group_, 1, ctx.max_threads, [&](int64_t begin, int64_t end) {
      std::vector<int32_t> col(static_cast<size_t>(depth * out_plane)), acc;
      for (int64_t task = begin; task < end; ++task) {
        const int64_t img = task / group_, g = task % group_;
        im2col(*x, (img * c + g * cg) * in_plane, cg, plan, x_zero, col.data());
        const int64_t out_at = (img * m + g * mg) * out_plane;
        int32_t* out = qlinear_ ? (acc.resize(static_cast<size_t>(mg * out_plane)), acc.data())
                                : y->data<int32_t>() + out_at;
        Eigen::Map<MatI>(out, mg, out_plane).noalias() =
            Eigen::Map<const MatI>(wi + g * mg * depth, mg, depth) * Eigen::Map<const MatI>(col.data(), depth, out_plane);
        if (!qlinear_) continue;
        for (int64_t oc = 0; oc < mg; ++oc) {
          const int64_t ch = g * mg + oc;
          for (int64_t j = 0; j < out_plane; ++j) {
            const int32_t v = out[oc * out_plane + j] + rq.bias[ch];
            const int64_t at = out_at + oc * out_plane + j;
            if (rq.out == DataType::kUInt8) y->data<uint8_t>()[at] = misc::requantize<uint8_t>(v, rq.multiplier[ch], rq.zero_point);
            else y->data<int8_t>()[at] = misc::requantize<int8_t>(v, rq.multiplier[ch], rq.zero_point);
          }
        }
      }
    });
    return {};
  }

 private:
  Status read_requant(KernelContext& ctx, int64_t m, ConvRequant& rq) const {
    const Node& node = *ctx.node;
    const Tensor *xs = ctx.input(1), *ws = ctx.input(4), *ys = ctx.input(6), *yz = ctx.input(7), *b = ctx.input(8);
    if (xs == nullptr || ws == nullptr || ys == nullptr) return bad_node(node, "needs x_scale, w_scale and y_scale");
    for (const Tensor* s : {xs, ws, ys})
      if (s->dtype() != DataType::kFloat32) return unsupported_dtype(node, s->dtype(), "scale");
    if (xs->numel() != 1 || ys->numel() != 1) return bad_node(node, "x_scale and y_scale must be scalars");
    if (yz != nullptr && yz->numel() != 1) return bad_node(node, "y_zero_point must be a scalar");
    rq.out = yz ? yz->dtype() : DataType::kUInt8;
    if (!misc::is_int8_or_uint8(rq.out)) return unsupported_dtype(node, rq.out, "output");
    rq.zero_point = yz ? misc::int_element(*yz, 0) : 0;
    BRAID_ASSIGN_OR_RETURN(std::vector<float> w_scale, misc::expand_per_element<float>(node, ws, 1, m, "w_scale"));
    const float y_scale = *ys->data<float>();
    if (!(y_scale != 0)) return bad_node(node, "y_scale must be non-zero");
    rq.multiplier.resize(static_cast<size_t>(m));
    for (int64_t o = 0; o < m; ++o) rq.multiplier[o] = *xs->data<float>() * w_scale[o] / y_scale;
    rq.bias.assign(static_cast<size_t>(m), 0);
    if (b != nullptr) {
      if (b->dtype() != DataType::kInt32) return unsupported_dtype(node, b->dtype(), "bias");
      if (b->numel() != m) return bad_node(node, "B needs " + std::to_string(m) + " values");
      std::copy(b->data<int32_t>(), b->data<int32_t>() + m, rq.bias.begin());
    }
    return {};
  }

  bool qlinear_;
  ConvSlots slots_;
  misc::WindowGeometry geometry_;
  int64_t group_;
  std::optional<std::vector<int32_t>> packed_w_;
  Shape packed_w_shape_;
};

Result<std::unique_ptr<OpKernel>> make_integer_conv(const KernelInit& init, bool qlinear) {
  const Node& node = *init.node;
  const ConvSlots slots = qlinear ? kQLinearConvSlots : kConvIntegerSlots;
  if (!init.has_input(slots.x) || !init.has_input(slots.w)) return bad_node(node, "needs inputs x and w");
  for (size_t i : {slots.x, slots.w}) {
    const DataType d = init.input_dtype(i);
    if (d != DataType::kUndefined && !misc::is_int8_or_uint8(d)) return unsupported_dtype(node, d);
  }
  misc::WindowOptions wo;
  wo.kernel_required = false;
  wo.allow_ceil_mode = false;
  BRAID_ASSIGN_OR_RETURN(misc::WindowGeometry g, misc::parse_window_geometry(node, wo));
  const int64_t group = attr_int(node, "group", 1);
  if (group <= 0) return bad_node(node, "group must be positive");

  std::optional<std::vector<int32_t>> packed;
  Shape packed_shape;
  const Tensor* w = init.constant_input(slots.w);
  const Tensor* wz = init.constant_input(slots.w_zp);
  if (w && (!init.has_input(slots.w_zp) || wz) && misc::is_int8_or_uint8(w->dtype()) && w->rank() >= 3) {
    BRAID_ASSIGN_OR_RETURN(std::vector<int32_t> adjusted, adjust_weights(node, *w, wz));
    packed = std::move(adjusted);
    packed_shape = w->shape();
  }
  return std::unique_ptr<OpKernel>(new IntegerConvKernel(qlinear, std::move(g), group, std::move(packed), std::move(packed_shape)));
}

Result<std::unique_ptr<OpKernel>> make_conv_integer(const KernelInit& init) { return make_integer_conv(init, false); }
Result<std::unique_ptr<OpKernel>> make_qlinear_conv(const KernelInit& init) { return make_integer_conv(init, true); }

}  // namespace

void register_misc_quant_conv_kernels(OpRegistry& r) {
  r.add({"", "ConvInteger", 10, 1 << 30, make_conv_integer});
  r.add({"", "QLinearConv", 10, 1 << 30, make_qlinear_conv});
}

}  // namespace braid::detail
