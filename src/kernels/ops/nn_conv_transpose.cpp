// ConvTranspose (opset 1, 11), f32, 1-D/2-D/3-D with group, dilations, strides, pads,
// output_padding, output_shape and auto_pad. Per (image, group): a GEMM
// col = W_g^T * X_g (W_g^T packed once at load when W is constant), then col2im scatters
// col into the output, which starts as the bias.
#include <algorithm>
#include <vector>

#include "kernels/gemm/gemm.h"
#include "kernels/ops/nn_conv_attrs.h"
#include "kernels/ops/nn_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

constexpr double kSmallTaskFlops = 8.0e6;

thread_local AlignedFloats t_col;

float* col_buffer(int64_t n) {
  if (t_col.size() < n) t_col = AlignedFloats(n);
  return t_col.data();
}

struct Dims3 {
  int64_t d = 1, h = 1, w = 1;
};
Dims3 dims3(std::span<const int64_t> v, int64_t fill) {
  Dims3 r{fill, fill, fill};
  const size_t n = v.size();
  if (n >= 1) r.w = v[n - 1];
  if (n >= 2) r.h = v[n - 2];
  if (n >= 3) r.d = v[n - 3];
  return r;
}

// y[co, out] += col[(co, kz, ky, kx), in] for every input position whose target is inside y.
void col2im(const float* col, const ConvGeometry& g, int64_t channels, float* y) {
  const Dims3 in = dims3(g.in, 1), out = dims3(g.out, 1), k = dims3(g.kernel, 1);
  const Dims3 s = dims3(g.stride, 1), d = dims3(g.dilation, 1), p = dims3(g.pad_begin, 0);
  const int64_t in_size = in.d * in.h * in.w, out_size = out.d * out.h * out.w;
  for (int64_t co = 0; co < channels; ++co) {
    float* yc = y + co * out_size;
    for (int64_t kz = 0; kz < k.d; ++kz) {
      for (int64_t ky = 0; ky < k.h; ++ky) {
        for (int64_t kx = 0; kx < k.w; ++kx) {
          const float* row = col + (((co * k.d + kz) * k.h + ky) * k.w + kx) * in_size;
          for (int64_t iz = 0; iz < in.d; ++iz) {
            const int64_t oz = iz * s.d - p.d + kz * d.d;
            if (oz < 0 || oz >= out.d) continue;
            for (int64_t iy = 0; iy < in.h; ++iy) {
              const int64_t oy = iy * s.h - p.h + ky * d.h;
              if (oy < 0 || oy >= out.h) continue;
              const float* src = row + (iz * in.h + iy) * in.w;
              float* dst = yc + (oz * out.h + oy) * out.w;
              for (int64_t ix = 0; ix < in.w; ++ix) {
                const int64_t ox = ix * s.w - p.w + kx * d.w;
                if (ox >= 0 && ox < out.w) dst[ox] += src[ix];
              }
            }
          }
        }
      }
    }
  }
}

class ConvTransposeKernel final : public OpKernel {
 public:
  ConvTransposeKernel(ConvAttrs attrs, Gemm gemm, std::vector<PackedA> packed_w, Shape packed_w_shape)
      : attrs_(std::move(attrs)), gemm_(gemm), packed_w_(std::move(packed_w)), packed_w_shape_(std::move(packed_w_shape)) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    const Tensor* w = ctx.input(1);
    const Tensor* b = ctx.input(2);
    if (!x || !w) return bad_node(node, "needs inputs X and W");
    if (x->dtype() != DataType::kFloat32) return unsupported_dtype(node, x->dtype());
    if (w->dtype() != DataType::kFloat32 || (b && b->dtype() != DataType::kFloat32))
      return bad_node(node, "W and B must have X's dtype float32");
    BRAID_ASSIGN_OR_RETURN(ConvGeometry g, conv_transpose_geometry(node, attrs_, x->shape(), w->shape()));
    if (g.rank() > 3) return unsupported_op(node.describe() + ": convolutions of spatial rank > 3 are not supported");
    if (b && b->numel() != g.out_channels)
      return bad_node(node, "B " + shape_to_string(b->shape()) + " must have " + std::to_string(g.out_channels) +
                                " elements");
    Shape out_shape = {g.batch, g.out_channels};
    out_shape.insert(out_shape.end(), g.out.begin(), g.out.end());
    BRAID_ASSIGN_OR_RETURN(Tensor * yt, ctx.allocate_output(0, DataType::kFloat32, out_shape));
    if (yt->numel() == 0) return {};
    float* y = yt->data<float>();
    const float* bias = b ? b->data<float>() : nullptr;
    const int64_t out_size = g.out_size(), in_size = g.in_size();
    const int64_t cin_g = g.in_channels / g.group, cout_g = g.out_channels / g.group;
    const int64_t rows = cout_g * g.kernel_size();  // GEMM M: one row per (co, kernel offset)
    const bool prepacked = !packed_w_.empty() && packed_w_shape_ == w->shape();
    const float* xp = x->data<float>();

    auto one = [&](int64_t task, int threads) {
      const int64_t n = task / g.group, grp = task % g.group;
      float* yg = y + (n * g.out_channels + grp * cout_g) * out_size;
      for (int64_t co = 0; co < cout_g; ++co)
        std::fill(yg + co * out_size, yg + (co + 1) * out_size, bias ? bias[grp * cout_g + co] : 0.0f);
      if (in_size == 0 || cin_g == 0) return;
      float* col = col_buffer(rows * in_size);
      GemmArgs a;
      a.m = rows;
      a.n = in_size;
      a.k = cin_g;
      if (prepacked) {
        a.packed_a = &packed_w_[static_cast<size_t>(grp)];
      } else {
        a.a = w->data<float>() + grp * cin_g * rows;
        a.lda = rows;
        a.trans_a = true;
      }
      a.b = xp + (n * g.in_channels + grp * cin_g) * in_size;
      a.ldb = in_size;
      a.c = col;
      a.ldc = in_size;
      gemm_.run(a, threads);
      col2im(col, g, cout_g, yg);
      if (attrs_.fused_relu)
        for (int64_t i = 0; i < cout_g * out_size; ++i) yg[i] = yg[i] < 0.0f ? 0.0f : yg[i];
    };
    const int64_t tasks = g.batch * g.group;
    const double flops = 2.0 * static_cast<double>(rows) * static_cast<double>(in_size) * static_cast<double>(cin_g);
    if (tasks > 1 && flops < kSmallTaskFlops) {
      parallel_for_range(tasks, 1, ctx.max_threads, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) one(t, 1);
      });
    } else {
      for (int64_t t = 0; t < tasks; ++t) one(t, ctx.max_threads);
    }
    return {};
  }

 private:
  ConvAttrs attrs_;
  Gemm gemm_;
  std::vector<PackedA> packed_w_;  // per group: W_g^T, when W is a constant
  Shape packed_w_shape_;
};

Result<std::unique_ptr<OpKernel>> make_conv_transpose(const KernelInit& init) {
  const Node& node = *init.node;
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(node, "needs inputs X and W");
  for (size_t i = 0; i < 3; ++i) {
    const DataType t = init.input_dtype(i);
    if (t != DataType::kUndefined && t != DataType::kFloat32) return unsupported_dtype(node, t);
  }
  BRAID_ASSIGN_OR_RETURN(ConvAttrs attrs, parse_conv_attrs(node, true));
  Gemm gemm;
  std::vector<PackedA> packed;
  Shape packed_shape;
  const Tensor* w = init.constant_input(1);
  if (w && w->dtype() == DataType::kFloat32 && w->rank() >= 3 && w->numel() > 0 && w->dim(0) % attrs.group == 0) {
    const int64_t cin_g = w->dim(0) / attrs.group;
    const int64_t rows = w->numel() / w->dim(0);
    for (int64_t grp = 0; grp < attrs.group; ++grp)
      packed.push_back(gemm.pack_a(true, rows, cin_g, w->data<float>() + grp * cin_g * rows, rows));
    packed_shape = w->shape();
  }
  return std::unique_ptr<OpKernel>(new ConvTransposeKernel(std::move(attrs), gemm, std::move(packed), std::move(packed_shape)));
}

}  // namespace

void register_nn_conv_transpose(OpRegistry& r) { r.add({"", "ConvTranspose", 1, 1 << 30, make_conv_transpose}); }

}  // namespace braid::detail
