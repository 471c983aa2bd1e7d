// Conv (opset 1, 11), f32, 1-D/2-D/3-D with group, dilations, strides, pads and auto_pad.
// Five paths, chosen per call from the geometry:
//  - depthwise (group == C_in == C_out, 1-D/2-D): nn_depthwise*, vectorised over columns;
//  - output channels in the vector lanes, no GEMM (nn_conv_narrow*; 2-D, group 1, no
//    dilation, constant weights, AVX-512): the RGB stems (1-4 input channels) and layers
//    whose output rows are whole 14-position tiles (narrow_conv_applies: resnet's stride-2,
//    56 x 56 and 14 x 14 3x3 layers, inception's 14 x 14 ones and its 28 x 28 ones but the
//    1x1); with a fused MaxPool
//    (braid_fused_max_pool, set by graph fusion) rows of any whole number of tiles
//    (inception's 3x3 64 -> 192 at 56), whose rows it pools in groups in a per-thread
//    scratch (elsewhere the pool runs on the whole convolution in a scratch);
//  - stride 1 with output rows as wide as the input's ("same" pads along x, 1x1 included;
//    1-D/2-D, AVX-512): a GEMM whose B is read in place from the input (GemmDirectB):
//    no padded copy, no patch or panel packing; stride 2 the same way from a copy of the
//    input split into its parity planes (x[2y + py, 2x + px] -> plane (py, px)), whose
//    rows are as wide as the output's;
//  - otherwise 1x1 / stride 1 / no pads: a GEMM straight on the input (no im2col at all);
//  - everything else: GEMM with an implicit im2col B source (nn_im2col); with stride 1
//    along x (2-D, AVX-512) it packs from a zero-padded copy of the input made per call.
// Constant weights are packed for the GEMM once, at load. The bias and an optional fused
// ReLU (attribute braid_fused_activation = "Relu", set by graph fusion) are the GEMM's
// epilogue, so Conv+Bias+Relu is one pass over the output. A fourth input R (a Braid
// extension set by graph fusion for Conv + Add(residual), never in ONNX files) of the
// output's shape is added before the activation: Y = act(conv(X) + B + R): in the GEMM's
// epilogue on the direct and im2col paths (GemmArgs::residual), right after the
// transposed GEMM's transpose or one task's depthwise / low-precision work on the others
// (the activation then moves after the add). Fusion also
// matches unknown dims, so an R whose shape turns out to differ at run time takes the
// unfused route: the convolution into a scratch tensor, then a broadcasting add (the output
// then has the broadcast shape, exactly what Conv + Add gives).
// Non-depthwise 1-D/2-D convolutions with constant weights also run in bf16 or int8 when
// the run asks for it (nn_lowp.h): on the input directly for 1x1, else on blocks of
// materialised patches (positions x C*k, per task), with the same bias / residual / ReLU
// epilogue.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/env_switch.h"
#include "kernels/broadcast.h"
#include "kernels/gemm/gemm.h"
#include "kernels/ops/nn_conv_attrs.h"
#include "kernels/ops/nn_conv_narrow.h"
#include "kernels/ops/nn_conv_winograd.h"
#include "kernels/ops/misc_pool_norm_loops.h"
#include "kernels/ops/nn_depthwise.h"
#include "kernels/ops/nn_im2col.h"
#include "kernels/ops/nn_kernels.h"
#include "kernels/ops/nn_lowp.h"
#include "kernels/ops/tensor_transpose.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

// (image, group) GEMMs smaller than this run one per task instead of splitting each.
constexpr double kSmallTaskFlops = 8.0e6;
// The K block of the GEMMs whose A is the weights (every path but the transposed one):
// over twice the variant's default, so a 3x3 layer of 64-128 input channels makes one or
// two passes over Y instead of three to five. Per node in resnet (thread CPU time): those
// layers 2-7% faster at 512, the transposed ones (W^T as B) 1-5% slower, hence only here.
// 576 (= 64 channels x 9 taps, one block for a 3x3 layer of 64 channels; 128 channels
// take two of 576 instead of three of 384) made BM_Conv's 64-channel 3x3 layers another
// 1.5-3% faster; 768 was no better (docs/kernels.md, "Session 12").
constexpr int64_t kConvKc = 576;
// Depthwise channels are grouped so a task does at least this much work.
constexpr double kDepthwiseTaskFlops = 1.0e6;

// Narrow-input convolutions: output rows per task at least this much work (bands of
// narrow_conv_band_rows rows: the padded input rows are copied per band, so that the band stays
// in L1 / L2 while its rows are read kh / sh times).
constexpr double kNarrowTaskFlops = 1.0e6;
// On several threads, a narrow-input convolution's rows go in pieces of this many that each
// thread claims as it finishes the last, so that a thread whose core is slower (another
// tenant on its core, an interrupt, a late start) takes fewer rather than holding the node
// up. Where the weights pass kNarrowWeightsInL2 the pieces are the threads' equal shares:
// every piece reads all the weights from L3 again.
constexpr int64_t kNarrowPieceRows = 4;
// A narrow-input convolution on one thread in adaptive mode goes in pieces of rows that
// idle cores may take (run_elastic) from this many flops, like a GEMM (gemm.cpp).
constexpr double kNarrowElasticFlops = 25.0e6;
// ... one piece per this many flops (4 to 32, at most one per row), as the GEMM's
// (kElasticPieceFlops in gemm.cpp): a core freed meanwhile waits at most one piece.
constexpr double kNarrowElasticPieceFlops = 12.5e6;
// The Winograd path's pieces of output channels share one transformed input of at most
// this many floats (2 MiB; run_winograd).
constexpr int64_t kWinogradSharedVFloats = int64_t{1} << 19;

// Output positions per block of materialised patches on the bf16 / int8 path.
constexpr int64_t kLowpPatchBlock = 256;

thread_local AlignedFloats t_transposed;
thread_local AlignedFloats t_padded;
thread_local AlignedFloats t_parity;
thread_local AlignedFloats t_patches;
thread_local AlignedFloats t_band;
thread_local AlignedFloats t_winograd;  // the Winograd path's band, V and M
thread_local AlignedFloats t_winograd_v;  // a V that pieces of output channels share
thread_local AlignedFloats t_pool_rows;  // the fused MaxPool's convolution rows
thread_local AlignedFloats t_conv_full;  // the fused MaxPool's convolution, off the narrow path

// y = y + r, then max(0, .) when relu (NaN stays NaN), over n elements.
void add_residual(float* __restrict y, const float* __restrict r, int64_t n, bool relu) {
  if (relu) {
    for (int64_t i = 0; i < n; ++i) {
      const float v = y[i] + r[i];
      y[i] = v < 0.0f ? 0.0f : v;
    }
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] += r[i];
  }
}

bool is_pointwise(const ConvGeometry& g) {
  for (int64_t i = 0; i < g.rank(); ++i)
    if (g.kernel[i] != 1 || g.stride[i] != 1 || g.pad_begin[i] != 0 || g.pad_end[i] != 0) return false;
  return true;
}

// Few output positions (7x7 maps: 49 of 64 vector lanes busy) compute Y^T instead, whose
// row dimension is the channels. Its patch packing costs more per element than the usual
// one, so besides 1x1 convolutions (no patches at all) it needs enough output channels to
// amortise it; and offsets that fit the packer's int32 lanes.
bool use_transposed(const ConvGeometry& g) {
  const int64_t n = g.out_size(), cout_g = g.out_channels / g.group;
  if (n > 1024 || cout_g < 16 || g.in_size() >= (int64_t{1} << 30)) return false;
  if (!is_pointwise(g) && cout_g < 256) return false;
  const double lanes_n = static_cast<double>((n + 15) / 16 * 16);
  const double lanes_c = static_cast<double>((cout_g + 15) / 16 * 16);
  return static_cast<double>(cout_g) / lanes_c > static_cast<double>(n) / lanes_n + 0.08;
}


// BRAID_CONV_DIRECT=0 turns the direct path off (read once): a switch for A/B measurements
// with one binary, not a tuning knob.
bool direct_conv_enabled() {
  static const bool on = env_switch_on("BRAID_CONV_DIRECT");
  return on;
}

// BRAID_CONV_PARITY=0 keeps stride-2 convolutions off the direct path (read once), for A/B
// measurements with one binary.
bool parity_planes_enabled() {
  static const bool on = env_switch_on("BRAID_CONV_PARITY");
  return on;
}

// BRAID_CONV_NARROW=0 keeps the narrow-input convolutions on the GEMM paths (read once), for
// A/B measurements with one binary.
bool narrow_conv_enabled() {
  static const bool on = env_switch_on("BRAID_CONV_NARROW");
  return on;
}

// BRAID_NARROW_PIECES=0 splits a narrow-input convolution's rows into one fixed range per
// thread, as before session 16 (read once), for A/B measurements with one binary.
bool narrow_pieces_enabled() {
  static const bool on = env_switch_on("BRAID_NARROW_PIECES");
  return on;
}

// BRAID_GEMM_ELASTIC=0 keeps one-thread narrow convolutions whole too (read once).
bool narrow_elastic_allowed() {
  static const bool on = env_switch_on("BRAID_GEMM_ELASTIC");
  return on;
}

// Spatial dims of rank <= 3 as (d, h, w) with unit leading dims.
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

// a / b rounded down (b > 0; a may be negative: a tap before the output position).
int64_t floor_div(int64_t a, int64_t b) { return (a - ((a % b) + b) % b) / b; }

// The GEMM's B read in place for this (1-D/2-D) geometry: stride 1 (or 2, through the
// input's parity planes, `split`), output rows as wide as the input rows (or the parity
// planes' rows), at most GemmDirectB::kMaxTaps taps and int32 lane indices. False otherwise
// (the im2col paths). With stride 2 a tap at input offset o = k * dilation - pad along an
// axis reads parity o mod 2 at plane offset floor(o / 2).
bool direct_b_for(const ConvGeometry& g, const Dims3& in, const Dims3& out, const Dims3& k, const Dims3& s,
                  const Dims3& d, const Dims3& p, GemmDirectB* direct, ParityPlanes* split) {
  if (g.rank() > 2 || s.d != 1) return false;
  if (s.h < 1 || s.h > 2 || s.w < 1 || s.w > 2) return false;
  // Stride 2 only for up to 64 output channels per group: measured in the models, the
  // parity planes beat the packed path by 11-15% there (the 7x7 stems at 64, a 5x5 at 48),
  // while at 128 the packing is shared by enough rows that they lose 3% (docs/kernels.md).
  if (s.h * s.w > 1 && (!parity_planes_enabled() || g.out_channels / g.group > 64)) return false;
  const int64_t hs = (in.h + s.h - 1) / s.h, ws = (in.w + s.w - 1) / s.w;
  if (out.w != ws || k.h * k.w > GemmDirectB::kMaxTaps) return false;
  if (out.h * out.w + 64 >= (int64_t{1} << 31) || in.h >= (int64_t{1} << 30)) return false;
  int slot_of[4] = {-1, -1, -1, -1};
  split->kept_count = 0;
  for (int64_t ky = 0; ky < k.h; ++ky)
    for (int64_t kx = 0; kx < k.w; ++kx) {
      const int64_t oy = ky * d.h - p.h, ox = kx * d.w - p.w;
      const int64_t qy = floor_div(oy, s.h), qx = floor_div(ox, s.w);
      const int py = static_cast<int>(oy - qy * s.h), px = static_cast<int>(ox - qx * s.w);
      int& slot = slot_of[py * 2 + px];
      if (slot < 0) {
        slot = split->kept_count++;
        split->kept_py[slot] = py;
        split->kept_px[slot] = px;
      }
      const int64_t t = ky * k.w + kx;
      direct->dy[t] = static_cast<int32_t>(qy);
      direct->dx[t] = static_cast<int32_t>(qx);
      direct->dp[t] = slot;
    }
  direct->plane = hs * ws;
  direct->planes = s.h * s.w == 1 ? 1 : split->kept_count;
  direct->h = hs;
  direct->w = ws;
  direct->taps = static_cast<int>(k.h * k.w);
  split->channels = 0;  // no copy: stride 1 reads the input itself
  if (s.h * s.w > 1) {
    split->channels = g.in_channels / g.group;
    split->ih = in.h;
    split->iw = in.w;
    split->sy = static_cast<int>(s.h);
    split->sx = static_cast<int>(s.w);
    split->hs = hs;
    split->ws = ws;
  }
  return true;
}

class ConvKernel final : public OpKernel {
 public:
  ConvKernel(ConvAttrs attrs, Gemm gemm, std::vector<PackedA> packed_w, std::vector<PackedB> packed_wt,
             std::vector<std::unique_ptr<LowpWeights>> lowp_w, AlignedFloats narrow_w, AlignedFloats winograd_u,
             int winograd_tile, Shape packed_w_shape)
      : attrs_(std::move(attrs)),
        gemm_(gemm),
        depthwise_(depthwise_for(cpu_features())),
        im2col_(im2col_pack_for(cpu_features())),
        im2col_t_(im2col_t_pack_for(cpu_features())),
        im2col_padded_(im2col_padded_pack_for(cpu_features())),
        packed_w_(std::move(packed_w)),
        packed_wt_(std::move(packed_wt)),
        lowp_w_(std::move(lowp_w)),
        narrow_(narrow_w.size() > 0 ? narrow_conv_for(cpu_features()) : nullptr),
        narrow_pool_(narrow_w.size() > 0 ? narrow_conv_pool_for(cpu_features()) : nullptr),
        narrow_w_(std::move(narrow_w)),
        winograd_(winograd_u.size() > 0 ? winograd_conv_for(cpu_features()) : nullptr),
        winograd_u_(std::move(winograd_u)),
        winograd_tile_(winograd_tile),
        packed_w_shape_(std::move(packed_w_shape)) {}

  uint32_t precisions() const override {
    uint32_t bits = precision_bit(Precision::kF32);
    if (!lowp_w_.empty()) bits |= precision_bit(Precision::kBF16) | precision_bit(Precision::kInt8);
    return bits;
  }

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    const Tensor* w = ctx.input(1);
    const Tensor* b = ctx.input(2);
    if (!x || !w) return bad_node(node, "needs inputs X and W");
    if (x->dtype() != DataType::kFloat32) return unsupported_dtype(node, x->dtype());
    if (w->dtype() != DataType::kFloat32 || (b && b->dtype() != DataType::kFloat32))
      return bad_node(node, "W and B must have X's dtype float32");
    BRAID_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(node, attrs_, x->shape(), w->shape()));
    if (g.rank() > 3) return unsupported_op(node.describe() + ": convolutions of spatial rank > 3 are not supported");
    if (b && b->numel() != g.out_channels)
      return bad_node(node, "B " + shape_to_string(b->shape()) + " must have " + std::to_string(g.out_channels) +
                                " elements");
    // The output shape inline; allocate_output copies it into the output's own shape.
    Dims out_shape = {g.batch, g.out_channels};
    out_shape.append(g.out.begin(), g.out.end());
    const Tensor* r = ctx.input(3);
    if (attrs_.pool_k > 0) return run_pooled(ctx, g, *x, *w, b, r);
    if (r && r->dtype() != DataType::kFloat32) return bad_node(node, "fused residual must be float32");
    if (r && !std::ranges::equal(r->shape(), out_shape))
      return run_broadcast_residual(ctx, g, *x, *w, b, *r, out_shape.to_shape());
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, DataType::kFloat32, std::span<const int64_t>(out_shape)));
    if (y->numel() == 0) return {};
    run_conv(ctx, g, *x, *w, b, r ? r->data<float>() : nullptr, attrs_.fused_relu, y->data<float>());
    return {};
  }

 private:
  // Y = act(conv(X) + B + R) into y (out_shape); R, when given, has out_shape.
  void run_conv(const KernelContext& ctx, const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* b,
                const float* res, bool relu, float* y) const {
    const float* bias = b ? b->data<float>() : nullptr;
    if (g.group == g.in_channels && g.group == g.out_channels && g.rank() <= 2) {
      run_depthwise(ctx, g, x.data<float>(), w.data<float>(), bias, res, relu, y);
    } else {
      run_gemm(ctx, g, x.data<float>(), &w, bias, res, relu, y);
    }
  }

  // The fused residual's shape differs from the convolution's (the model's symbolic dims
  // hid a broadcast): what Conv then Add would do, in one kernel. Allocates a scratch
  // tensor, so it is the slow path.
  Status run_broadcast_residual(KernelContext& ctx, const ConvGeometry& g, const Tensor& x, const Tensor& w,
                                const Tensor* b, const Tensor& r, const Shape& conv_shape) const {
    const Node& node = *ctx.node;
    Shape out_shape;
    const Shape* shapes[] = {&conv_shape, &r.shape()};
    if (!broadcast_shapes(shapes, &out_shape))
      return bad_node(node, "fused residual " + shape_to_string(r.shape()) + " does not broadcast with the output " +
                                shape_to_string(conv_shape));
    BRAID_ASSIGN_OR_RETURN(Tensor conv, Tensor::empty(DataType::kFloat32, conv_shape));
    if (conv.numel() > 0) run_conv(ctx, g, x, w, b, nullptr, false, conv.data<float>());
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DataType::kFloat32, out_shape));
    if (y->numel() == 0) return {};
    BroadcastPlan plan;
    BRAID_RETURN_IF_ERROR(make_broadcast_plan(out_shape, shapes, &plan));
    const float *cp = conv.data<float>(), *rp = r.data<float>();
    float* out = y->data<float>();
    const int64_t cs = plan.inner_stride(0), rs = plan.inner_stride(1);
    const bool act = attrs_.fused_relu;
    for_each_broadcast_segment(plan, 0, plan.numel, [&](int64_t o, const int64_t* off, int64_t len) {
      for (int64_t j = 0; j < len; ++j) {
        const float v = cp[off[0] + j * cs] + rp[off[1] + j * rs];
        out[o + j] = act && v < 0.0f ? 0.0f : v;
      }
    });
    return {};
  }

  void run_depthwise(const KernelContext& ctx, const ConvGeometry& g, const float* x, const float* w,
                     const float* bias, const float* res, bool relu, float* y) const {
    const Dims3 in = dims3(g.in, 1), out = dims3(g.out, 1), k = dims3(g.kernel, 1);
    const Dims3 s = dims3(g.stride, 1), d = dims3(g.dilation, 1), p = dims3(g.pad_begin, 0);
    DepthwiseArgs a;
    a.w = w;
    a.bias = bias;
    a.ih = in.h;
    a.iw = in.w;
    a.oh = out.h;
    a.ow = out.w;
    a.kh = k.h;
    a.kw = k.w;
    a.sh = s.h;
    a.sw = s.w;
    a.dh = d.h;
    a.dw = d.w;
    a.ph = p.h;
    a.pw = p.w;
    a.relu = relu && res == nullptr;  // with a residual: after the add
    const int64_t channels = g.in_channels;
    const int64_t plane = a.oh * a.ow;
    const double flops_per_channel = 2.0 * static_cast<double>(a.oh * a.ow * a.kh * a.kw);
    const int64_t grain = std::max<int64_t>(1, static_cast<int64_t>(kDepthwiseTaskFlops / flops_per_channel));
    parallel_for_range(g.batch * channels, grain, ctx.max_threads, [&](int64_t begin, int64_t end) {
      // Split [begin, end) at image boundaries.
      while (begin < end) {
        const int64_t n = begin / channels, c0 = begin % channels;
        const int64_t c1 = std::min(channels, c0 + (end - begin));
        DepthwiseArgs ai = a;
        ai.x = x + n * channels * a.ih * a.iw;
        ai.y = y + n * channels * a.oh * a.ow;
        depthwise_(ai, c0, c1);
        if (res)
          add_residual(ai.y + c0 * plane, res + (n * channels + c0) * plane, (c1 - c0) * plane, relu);
        begin += c1 - c0;
      }
    });
  }

  void run_gemm(const KernelContext& ctx, const ConvGeometry& g, const float* x, const Tensor* w, const float* bias,
                const float* res, bool relu, float* y) const {
    const int64_t cin_g = g.in_channels / g.group, cout_g = g.out_channels / g.group;
    const int64_t kdim = cin_g * g.kernel_size();
    const int64_t in_size = g.in_size(), out_size = g.out_size();
    const bool weights_match = packed_w_shape_ == w->shape();
    if (ctx.precision != Precision::kF32 && !lowp_w_.empty() && weights_match && g.rank() <= 2) {
      run_lowp(ctx, g, x, bias, res, relu, y);
      return;
    }
    if (winograd_ && weights_match && winograd_tile(g) == winograd_tile_) {
      run_winograd(ctx, g, x, bias, res, relu, y);
      return;
    }
    if (narrow_ && weights_match && narrow_for(g, false)) {
      run_narrow(ctx, g, x, bias, res, relu, y);
      return;
    }
    const bool prepacked = !packed_w_.empty() && weights_match;
    const bool transposed = !packed_wt_.empty() && weights_match && use_transposed(g);
    const bool pointwise = is_pointwise(g);
    const Dims3 in = dims3(g.in, 1), out = dims3(g.out, 1), k = dims3(g.kernel, 1);
    const Dims3 s = dims3(g.stride, 1), d = dims3(g.dilation, 1), p = dims3(g.pad_begin, 0);
    GemmDirectB direct;
    ParityPlanes split;
    const bool use_direct = !transposed && gemm_.direct_b(cout_g) && direct_conv_enabled() &&
                            direct_b_for(g, in, out, k, s, d, p, &direct, &split);

    auto one = [&](int64_t task, int threads) {
      const int64_t n = task / g.group, grp = task % g.group;
      const float* xg = x + (n * g.in_channels + grp * cin_g) * in_size;
      float* yg = y + (n * g.out_channels + grp * cout_g) * out_size;
      const float* rg = res ? res + (n * g.out_channels + grp * cout_g) * out_size : nullptr;
      Im2colSource im2col;
      im2col.x = xg;
      im2col.channels = cin_g;
      im2col.id = in.d;
      im2col.ih = in.h;
      im2col.iw = in.w;
      im2col.kd = k.d;
      im2col.kh = k.h;
      im2col.kw = k.w;
      im2col.sd = s.d;
      im2col.sh = s.h;
      im2col.sw = s.w;
      im2col.dd = d.d;
      im2col.dh = d.h;
      im2col.dw = d.w;
      im2col.pd = p.d;
      im2col.ph = p.h;
      im2col.pw = p.w;
      im2col.od = out.d;
      im2col.oh = out.h;
      im2col.ow = out.w;
      im2col.pack = im2col_;
      im2col.pack_t = im2col_t_;
      GemmArgs a;
      if (transposed) {
        // Y_g^T (positions x cout_g) = patches^T * W_g^T into scratch, then transposed.
        const GemmASource src = im2col.transposed_source();
        BorrowedScratch transposed_out(t_transposed, out_size * cout_g);
        float* yt = transposed_out.data();
        a.m = out_size;
        a.n = cout_g;
        a.k = kdim;
        if (pointwise) {
          a.a = xg;  // X_g is K x M: packed as op(A) = X_g^T without any im2col
          a.lda = in_size;
          a.trans_a = true;
        } else {
          a.a_source = &src;
        }
        a.packed_b = &packed_wt_[static_cast<size_t>(grp)];
        a.c = yt;
        a.ldc = cout_g;
        if (bias) {
          a.bias = bias + grp * cout_g;
          a.bias_kind = GemmBias::kPerCol;
        }
        a.relu = relu && rg == nullptr;  // with a residual: after the add
        gemm_.run(a, threads);
        // Y_g = (Y_g^T)^T in cache-sized tiles, on the GEMM's threads (a scalar loop here
        // read Y^T at a stride of cout_g floats: ~10% of a 7 x 7 layer, on one thread).
        const int64_t yt_shape[2] = {out_size, cout_g}, swap[2] = {1, 0};
        tensor_ops::transpose_bytes(yt, yt_shape, swap, sizeof(float), yg, threads);
        if (rg) add_residual(yg, rg, cout_g * out_size, relu);
        return;
      }
      a.m = cout_g;
      a.n = out_size;
      a.k = kdim;
      a.kc = kConvKc;
      if (prepacked) {
        a.packed_a = &packed_w_[static_cast<size_t>(grp)];
      } else {
        a.a = w->data<float>() + grp * cout_g * kdim;
        a.lda = kdim;
      }
      a.c = yg;
      a.ldc = out_size;
      if (bias) {
        a.bias = bias + grp * cout_g;
        a.bias_kind = GemmBias::kPerRow;
      }
      // The residual joins the GEMM's epilogue (bias, R, then ReLU), while C is in registers.
      a.residual = rg;
      a.ldr = out_size;
      a.relu = relu;
      if (use_direct) {
        GemmDirectB dg = direct;
        dg.x = xg;
        std::optional<BorrowedScratch> planes;
        if (split.channels > 0) {  // stride 2: the GEMM reads X_g's parity planes
          planes.emplace(t_parity, split.channels * split.kept_count * split.hs * split.ws);
          split_parity_planes_avx512(split, xg, planes->data());
          dg.x = planes->data();
        }
        a.b_direct = &dg;
        gemm_.run(a, threads);
        return;
      }
      // Stride 1 along x (2-D): pack from a zero-padded copy of X_g, no bounds checks.
      std::optional<BorrowedScratch> padded;
      if (!pointwise && im2col_padded_) {
        if (const int64_t size = im2col_padded_size(im2col); size > 0) {
          padded.emplace(t_padded, size);
          im2col_pad_input_avx512(im2col, padded->data());
          im2col.pack = im2col_padded_;
        }
      }
      const GemmBSource src = im2col.source();
      if (pointwise) {
        a.b = xg;
        a.ldb = in_size;
      } else {
        a.b_source = &src;
      }
      gemm_.run(a, threads);
    };

    const int64_t tasks = g.batch * g.group;
    const double flops = 2.0 * static_cast<double>(cout_g) * static_cast<double>(out_size) * static_cast<double>(kdim);
    if (tasks > 1 && flops < kSmallTaskFlops) {
      const int64_t grain = std::max<int64_t>(1, static_cast<int64_t>(kSmallTaskFlops / std::max(flops, 1.0)));
      parallel_for_range(tasks, grain, ctx.max_threads, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) one(t, 1);
      });
    } else {
      for (int64_t t = 0; t < tasks; ++t) one(t, ctx.max_threads);
    }
  }

  // Whether this call's geometry takes the narrow-input kernel (the caller checks that its
  // weights are packed: narrow_ set and the shape they were packed for).
  static bool narrow_for(const ConvGeometry& g, bool pooled) {
    return narrow_geometry(g, pooled) && narrow_conv_enabled();
  }

  NarrowConvArgs narrow_args(const ConvGeometry& g, const float* bias, bool relu) const {
    NarrowConvArgs a;
    a.w = narrow_w_.data();
    a.bias = bias;
    a.c = g.in_channels;
    a.ih = g.in[0];
    a.iw = g.in[1];
    a.cout = g.out_channels;
    a.oh = g.out[0];
    a.ow = g.out[1];
    a.kh = g.kernel[0];
    a.kw = g.kernel[1];
    a.sh = g.stride[0];
    a.sw = g.stride[1];
    a.ph = g.pad_begin[0];
    a.pw = g.pad_begin[1];
    a.relu = relu;
    return a;
  }

  // Output rows of all images split over the threads (at image boundaries), each task's
  // rows in bands of narrow_conv_band_rows.
  void run_narrow(const KernelContext& ctx, const ConvGeometry& g, const float* x, const float* bias,
                  const float* res, bool relu, float* y) const {
    const NarrowConvArgs a = narrow_args(g, bias, relu);
    const double row_flops = 2.0 * static_cast<double>(a.cout * a.ow * a.c * a.kh * a.kw);
    const int64_t rows = g.batch * a.oh;
    const int64_t band_rows = narrow_conv_band_rows(a);
    auto task = [&](int64_t begin, int64_t end) {
      BorrowedScratch band(t_band, narrow_conv_band_floats(a, std::min(band_rows, end - begin)));
      while (begin < end) {
        const int64_t n = begin / a.oh, oy0 = begin % a.oh;
        const int64_t oy1 = std::min({a.oh, oy0 + (end - begin), oy0 + band_rows});
        NarrowConvArgs ai = a;
        ai.x = x + n * a.c * a.ih * a.iw;
        ai.y = y + n * a.cout * a.oh * a.ow;
        ai.residual = res ? res + n * a.cout * a.oh * a.ow : nullptr;
        narrow_(ai, oy0, oy1, band.data());
        begin += oy1 - oy0;
      }
    };
    split_narrow_rows(ctx, rows, row_flops, task, band_rows > kNarrowConvRows);
  }

  // Tile rows (T output rows each) of all images split over the threads as the narrow
  // kernel's rows are (split_narrow_rows), in units of one tile row, or two where a
  // micro-tile takes two (winograd_paired), each task's in bands of winograd_band_tile_rows. On
  // several threads, layers whose transformed weights pass kNarrowWeightsInL2 or whose map
  // has few units (the 14 x 14 ones: 4) split their blocks of 32 output channels instead,
  // each thread transforming the whole input for its own blocks (a few percent of the
  // work): in rows every thread would read all the weights from L3, and 4 units do not
  // share out over 2-3 threads evenly.
  void run_winograd(const KernelContext& ctx, const ConvGeometry& g, const float* x, const float* bias,
                    const float* res, bool relu, float* y) const {
    WinogradConvArgs a;
    a.u = winograd_u_.data();
    a.bias = bias;
    a.relu = relu;
    a.c = g.in_channels;
    a.cout = g.out_channels;
    a.h = g.out[0];
    a.w = g.out[1];
    a.tile = winograd_tile_;
    a.kernel = static_cast<int>(g.kernel[0]);
    const int64_t tile_rows = winograd_tile_rows(a), unit = winograd_paired(a) ? 2 : 1;
    const int64_t units = (tile_rows + unit - 1) / unit;  // per image
    const int64_t band_rows = winograd_band_tile_rows(a);
    const int64_t map = a.h * a.w;
    // The products' flops, counted as the time they take against the thresholds (set in
    // direct-convolution flops): a product flop costs about 1.75 direct ones with the
    // transforms (F(2x2) runs these layers 1.5-2x faster with 2.25x fewer products). So
    // the ensemble's 64 -> 128 at 16 and 128 -> 256 at 8 (17 MFLOP of products, ~170 us)
    // go in elastic pieces like a direct layer of that time.
    const double unit_flops =
        1.75 * 2.0 * winograd_xis(a) * static_cast<double>(winograd_tiles_wide(a) * unit * a.c * a.cout);
    auto task = [&](int64_t begin, int64_t end) {
      BorrowedScratch scratch(t_winograd, winograd_scratch_floats(a, std::min(band_rows, (end - begin) * unit)));
      while (begin < end) {
        const int64_t n = begin / units, u0 = begin % units;
        const int64_t u1 = std::min(units, u0 + (end - begin));
        WinogradConvArgs ai = a;
        ai.x = x + n * a.c * map;
        ai.y = y + n * a.cout * map;
        ai.residual = res ? res + n * a.cout * map : nullptr;
        winograd_(ai, u0 * unit, std::min(tile_rows, u1 * unit), scratch.data());
        begin += u1 - u0;
      }
    };
    const int64_t blocks = (a.cout + kWinogradBlock - 1) / kWinogradBlock;
    const int64_t u_bytes = static_cast<int64_t>(winograd_u_.size()) * 4;
    if (ctx.max_threads > 1 && blocks >= 2 * ctx.max_threads &&
        (u_bytes > kNarrowWeightsInL2 || units < 2 * ctx.max_threads)) {
      const int64_t band_all = std::min(band_rows, tile_rows);
      parallel_for_range(blocks, 1, ctx.max_threads, [&](int64_t b0, int64_t b1) {
        BorrowedScratch scratch(t_winograd, winograd_scratch_floats(a, band_all));
        for (int64_t n = 0; n < g.batch; ++n) {
          WinogradConvArgs ai = a;
          ai.x = x + n * a.c * map;
          ai.y = y + n * a.cout * map;
          ai.residual = res ? res + n * a.cout * map : nullptr;
          ai.co_begin = b0 * kWinogradBlock;
          ai.co_end = b1 * kWinogradBlock;
          winograd_(ai, 0, tile_rows, scratch.data());
        }
      });
      return;
    }
    // One thread in adaptive mode, with more blocks of output channels than units of tile
    // rows (the 14 x 14 layers: 4 units, 6-10 blocks) and a V of the whole map within
    // 2 MiB (0.6 MiB for inception's 160 -> 320): the input is transformed once, as one
    // band, then the blocks go as pieces that a core freed meanwhile can take
    // (run_elastic). In units the layer went in 4 pieces of ~100-400 us, and a core freed
    // after the second never joined it (docs/performance.md, "Session 20").
    const CoreLender* lender = ctx.max_threads == 1 && g.batch == 1 && blocks > units &&
                                       winograd_v_floats(a, tile_rows) <= kWinogradSharedVFloats &&
                                       blocks >= 3 && unit_flops * static_cast<double>(units) >= kNarrowElasticFlops &&
                                       narrow_elastic_allowed()
                                   ? current_core_lender()
                                   : nullptr;
    if (lender != nullptr && lender->spare(lender->ctx) > 0) {
      WinogradConvArgs shared = a;
      shared.x = x;
      shared.y = y;
      shared.residual = res;
      BorrowedScratch v(t_winograd_v, winograd_v_floats(a, tile_rows));
      {
        BorrowedScratch scratch(t_winograd, winograd_scratch_floats(a, tile_rows));
        WinogradConvArgs t = shared;
        t.v_out = v.data();
        winograd_(t, 0, tile_rows, scratch.data());
      }
      const float* vin = v.data();
      run_elastic(blocks, *lender, static_cast<int>(blocks - 1), [&](int64_t b) {
        BorrowedScratch scratch(t_winograd, winograd_scratch_floats(a, tile_rows));
        WinogradConvArgs p = shared;
        p.v_in = vin;
        p.co_begin = b * kWinogradBlock;
        p.co_end = (b + 1) * kWinogradBlock;
        winograd_(p, 0, tile_rows, scratch.data());
      });
      return;
    }
    // Fewer units than a piece per thread (F(4x4) on 16-wide maps: 2 pairs of tile rows)
    // go in one equal share per thread: in pieces of kNarrowPieceRows one thread took all
    // (the ensemble's 96 -> 96 at 16 at two threads: 132 us, one thread 135).
    split_narrow_rows(ctx, g.batch * units, unit_flops, task, g.batch * units < kNarrowPieceRows * ctx.max_threads);
  }

  // Runs task(begin, end) over [0, rows) of `row_flops` each: over the threads in pieces
  // each claims as it goes (kNarrowPieceRows; with `equal_shares`, one share per thread),
  // or in adaptive mode on one thread in pieces of rows that cores freed meanwhile can take
  // (as the GEMM does, Gemm::run); the bits do not depend on who computes a row.
  template <typename Task>
  static void split_narrow_rows(const KernelContext& ctx, int64_t rows, double row_flops, const Task& task,
                                bool equal_shares) {
    const double flops = row_flops * static_cast<double>(rows);
    const CoreLender* lender = ctx.max_threads == 1 && flops >= kNarrowElasticFlops && narrow_elastic_allowed()
                                   ? current_core_lender()
                                   : nullptr;
    if (lender != nullptr && lender->spare(lender->ctx) > 0) {
      const int64_t pieces =
          std::min<int64_t>(rows, std::clamp<int64_t>(static_cast<int64_t>(flops / kNarrowElasticPieceFlops), 4, 32));
      if (pieces >= 3) {
        run_elastic(pieces, *lender, static_cast<int>(pieces - 1),
                    [&](int64_t i) { task(rows * i / pieces, rows * (i + 1) / pieces); });
        return;
      }
    }
    const int64_t grain = std::max<int64_t>(1, static_cast<int64_t>(kNarrowTaskFlops / row_flops));
    if (!narrow_pieces_enabled()) {
      parallel_for_range(rows, grain, ctx.max_threads, task);
      return;
    }
    const int64_t threads = std::clamp<int64_t>(rows / grain, 1, ctx.max_threads);
    const int64_t piece = equal_shares ? (rows + threads - 1) / threads : std::max(grain, kNarrowPieceRows);
    parallel_for_pieces(rows, piece, static_cast<int>(threads), task);
  }

  // Conv with a fused MaxPool (braid_fused_max_pool): on the narrow path the pool runs on
  // groups of the convolution's rows in a per-thread scratch; otherwise the convolution goes
  // into a per-thread scratch whole and the pooling loops run on it.
  Status run_pooled(KernelContext& ctx, const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* b,
                    const Tensor* r) const {
    const Node& node = *ctx.node;
    if (g.rank() != 2) return bad_node(node, "a fused max pool needs a 2-D convolution");
    if (r) return bad_node(node, "a fused max pool takes no residual input");
    NarrowPool pool;
    pool.k = attrs_.pool_k;
    pool.s = attrs_.pool_stride;
    pool.pad = attrs_.pool_pad;
    const int64_t oh = g.out[0], ow = g.out[1];
    if (oh + 2 * pool.pad < pool.k || ow + 2 * pool.pad < pool.k)
      return bad_node(node, "the fused max pool's window is larger than the convolution's padded output " +
                                shape_to_string(Shape{oh, ow}));
    pool.ph = (oh + 2 * pool.pad - pool.k) / pool.s + 1;
    pool.pw = (ow + 2 * pool.pad - pool.k) / pool.s + 1;
    const Dims out_shape = {g.batch, g.out_channels, pool.ph, pool.pw};
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, DataType::kFloat32, std::span<const int64_t>(out_shape)));
    if (y->numel() == 0) return {};
    const float* bias = b ? b->data<float>() : nullptr;
    const bool weights_match = packed_w_shape_ == w.shape();
    const bool lowp = ctx.precision != Precision::kF32 && !lowp_w_.empty() && weights_match;
    if (narrow_pool_ && weights_match && !lowp && narrow_for(g, true)) {
      run_narrow_pooled(ctx, g, pool, x.data<float>(), bias, y->data<float>());
      return {};
    }
    const int64_t planes = g.batch * g.out_channels;
    BorrowedScratch full(t_conv_full, planes * oh * ow);
    run_conv(ctx, g, x, w, b, nullptr, attrs_.fused_relu, full.data());
    misc::Pool2dPlane p;
    p.in_h = oh;
    p.in_w = ow;
    p.out_h = pool.ph;
    p.out_w = pool.pw;
    p.kernel_h = p.kernel_w = pool.k;
    p.stride_h = p.stride_w = pool.s;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pool.pad;
    const misc::PoolNormLoops& loops = misc::pool_norm_loops();
    const float* src = full.data();
    float* dst = y->data<float>();
    parallel_for_range(planes, 1, ctx.max_threads, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) loops.max_pool_2d(src + i * oh * ow, dst + i * pool.ph * pool.pw, p);
    });
    return {};
  }

  // Pooled rows of all images split over the threads (at image boundaries), one equal share
  // each.
  void run_narrow_pooled(const KernelContext& ctx, const ConvGeometry& g, NarrowPool pool, const float* x,
                         const float* bias, float* y) const {
    const NarrowConvArgs a = narrow_args(g, bias, attrs_.fused_relu);
    pool.group = narrow_conv_pool_group(a, pool);
    const double row_flops = 2.0 * static_cast<double>(a.cout * a.ow * a.c * a.kh * a.kw * pool.s);
    // In equal shares: every piece would recompute the convolution rows its pool shares with
    // the previous one.
    split_narrow_rows(ctx, g.batch * pool.ph, row_flops, [&](int64_t begin, int64_t end) {
      BorrowedScratch band(t_band, narrow_conv_band_floats(a, kNarrowConvRows));
      BorrowedScratch rows(t_pool_rows, narrow_conv_pool_rows_floats(a, pool));
      while (begin < end) {
        const int64_t n = begin / pool.ph, p0 = begin % pool.ph;
        const int64_t p1 = std::min(pool.ph, p0 + (end - begin));
        NarrowConvArgs ai = a;
        ai.x = x + n * a.c * a.ih * a.iw;
        ai.y = y + n * a.cout * pool.ph * pool.pw;
        narrow_pool_(ai, pool, p0, p1, band.data(), rows.data());
        begin += p1 - p0;
      }
    }, /*equal_shares=*/true);
  }

  // bf16 / int8 (1-D and 2-D): per (image, group), a 1x1 convolution is one GEMM on the
  // input (positions x channels, read transposed); any other shape materialises patches
  // for blocks of kLowpPatchBlock positions, one task per block, each block's GEMM on one
  // thread.
  void run_lowp(const KernelContext& ctx, const ConvGeometry& g, const float* x, const float* bias,
                const float* res, bool relu, float* y) const {
    const int64_t cin_g = g.in_channels / g.group, cout_g = g.out_channels / g.group;
    const int64_t kdim = cin_g * g.kernel_size();
    const int64_t in_size = g.in_size(), out_size = g.out_size();
    const bool pointwise = is_pointwise(g);
    const Dims3 in = dims3(g.in, 1), out = dims3(g.out, 1), k = dims3(g.kernel, 1);
    const Dims3 s = dims3(g.stride, 1), d = dims3(g.dilation, 1), p = dims3(g.pad_begin, 0);
    for (int64_t task = 0; task < g.batch * g.group; ++task) {
      const int64_t n = task / g.group, grp = task % g.group;
      const float* xg = x + (n * g.in_channels + grp * cin_g) * in_size;
      float* yg = y + (n * g.out_channels + grp * cout_g) * out_size;
      const float* rg = res ? res + (n * g.out_channels + grp * cout_g) * out_size : nullptr;
      const LowpWeights& wg = *lowp_w_[static_cast<size_t>(grp)];
      LowpGemmArgs a;
      a.n = cout_g;
      a.k = kdim;
      a.x_is_mk = false;
      a.c_is_mn = false;
      a.ldc = out_size;
      a.bias = bias ? bias + grp * cout_g : nullptr;
      a.relu = relu && rg == nullptr;  // with a residual: after the add
      if (pointwise) {
        a.m = out_size;
        a.x = xg;
        a.ldx = in_size;
        a.c = yg;
        lowp_gemm(ctx.precision, a, wg, ctx.max_threads);
        if (rg) add_residual(yg, rg, cout_g * out_size, relu);
        continue;
      }
      // Patches from a zero-padded copy of this (image, group), shared by the blocks,
      // each block's rows copied as contiguous runs.
      LowpPatchGeometry pg;
      pg.channels = cin_g;
      pg.ih = in.h;
      pg.iw = in.w;
      pg.kh = k.h;
      pg.kw = k.w;
      pg.sh = s.h;
      pg.sw = s.w;
      pg.dh = d.h;
      pg.dw = d.w;
      pg.ph = p.h;
      pg.pw = p.w;
      pg.oh = out.h;
      pg.ow = out.w;
      BorrowedScratch padded(t_padded, cin_g * pg.hp() * pg.wp());
      lowp_pad_input(pg, xg, padded.data());
      const float* xp = padded.data();
      const int64_t blocks = (out_size + kLowpPatchBlock - 1) / kLowpPatchBlock;
      parallel_for_range(blocks, 1, ctx.max_threads, [&](int64_t b0, int64_t b1) {
        for (int64_t blk = b0; blk < b1; ++blk) {
          const int64_t m0 = blk * kLowpPatchBlock, mc = std::min(kLowpPatchBlock, out_size - m0);
          BorrowedScratch buf(t_patches, mc * kdim);
          lowp_patches(pg, xp, m0, mc, buf.data());
          LowpGemmArgs ab = a;
          ab.m = mc;
          ab.x = buf.data();
          ab.ldx = mc;
          ab.c = yg + m0;
          lowp_gemm(ctx.precision, ab, wg, 1);
          if (rg)
            for (int64_t co = 0; co < cout_g; ++co)
              add_residual(yg + co * out_size + m0, rg + co * out_size + m0, mc, relu);
        }
      });
    }
  }

  ConvAttrs attrs_;
  Gemm gemm_;
  DepthwiseFn depthwise_;
  Im2colPackFn im2col_;
  Im2colTPackFn im2col_t_;
  Im2colPackFn im2col_padded_;  // nullptr where the CPU has no padded-input variant
  std::vector<PackedA> packed_w_;   // per group, when W is a constant
  std::vector<PackedB> packed_wt_;  // per group W^T, when W is a constant and outputs are few
  std::vector<std::unique_ptr<LowpWeights>> lowp_w_;  // per group, when W is a constant (not depthwise)
  NarrowConvFn narrow_;      // nullptr where W is not packed for it or the CPU has no variant
  NarrowConvPoolFn narrow_pool_;  // likewise, with a fused MaxPool
  AlignedFloats narrow_w_;   // W packed for narrow_, when W is a constant of few input channels
  WinogradConvFn winograd_;  // nullptr where W is not transformed for it or the CPU has no variant
  AlignedFloats winograd_u_;  // U = G W G^T, when W is a constant 3x3 layer the Winograd path takes
  int winograd_tile_;         // ... for F(T x T, 3x3): winograd_tile at load, 0 without U
  Shape packed_w_shape_;
};

Result<std::unique_ptr<OpKernel>> make_conv(const KernelInit& init) {
  const Node& node = *init.node;
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(node, "needs inputs X and W");
  for (size_t i = 0; i < 3; ++i) {
    const DataType t = init.input_dtype(i);
    if (t != DataType::kUndefined && t != DataType::kFloat32) return unsupported_dtype(node, t);
  }
  BRAID_ASSIGN_OR_RETURN(ConvAttrs attrs, parse_conv_attrs(node, false));
  Gemm gemm;
  std::vector<PackedA> packed;
  std::vector<PackedB> packed_t;
  std::vector<std::unique_ptr<LowpWeights>> lowp;
  AlignedFloats narrow;
  AlignedFloats winograd;
  int winograd_tile_size = 0;  // winograd_tile of the known shape, where U is packed
  Shape packed_shape;
  const Tensor* w = init.constant_input(1);
  if (w && w->dtype() == DataType::kFloat32 && w->rank() >= 3 && w->numel() > 0 && w->dim(0) % attrs.group == 0) {
    const int64_t cout_g = w->dim(0) / attrs.group;
    const int64_t kdim = w->numel() / w->dim(0);
    // With a known input shape, pack W for the layout this layer will use; else for the
    // usual one (the other falls back to packing per call). The narrow-input kernel's
    // layout: for a known shape it takes (then without the GEMM's), and for the stems (1-4
    // input channels) whatever the shape. The Winograd path's U: for a known shape it
    // takes, instead of both.
    bool transposed = false, narrow_layout = false, winograd_layout = false, shape_known = false;
    const bool narrow_cpu = narrow_conv_for(cpu_features()) != nullptr && attrs.group == 1 && w->rank() == 4;
    if (auto xs = init.static_input_shape(0)) {
      auto g = conv_geometry(node, attrs, *xs, w->shape());
      if (!g.ok()) return g.status();
      shape_known = true;
      transposed = use_transposed(*g) && g->rank() <= 3 &&
                   !(g->group == g->in_channels && g->group == g->out_channels && g->rank() <= 2);
      narrow_layout = narrow_cpu && narrow_geometry(*g, attrs.pool_k > 0);
      // With a fused MaxPool too (inception's 3x3 64 -> 192 at 56): the convolution into a
      // scratch, then the pool (run_pooled), beats the narrow kernel's pooling from L2.
      if (winograd_conv_for(cpu_features()) != nullptr && winograd_enabled()) winograd_tile_size = winograd_tile(*g);
      winograd_layout = winograd_tile_size > 0;
      if (winograd_layout) narrow_layout = false;
    } else if (narrow_cpu) {
      const int64_t sw = attrs.strides.size() == 2 ? attrs.strides[1] : 1;
      narrow_layout = narrow_conv_applies(w->dim(1), w->dim(0), w->dim(2), w->dim(3), sw, 0, true);
    }
    const bool depthwise = w->dim(1) == 1 && cout_g == 1;  // the depthwise path reads W directly
    for (int64_t grp = 0; grp < attrs.group && !depthwise; ++grp) {
      const float* wg = w->data<float>() + grp * cout_g * kdim;
      if (transposed) packed_t.push_back(gemm.pack_b(true, kdim, cout_g, wg, kdim));
      else if (!((narrow_layout || winograd_layout) && shape_known)) packed.push_back(gemm.pack_a(false, cout_g, kdim, wg, kdim, kConvKc));
      if (w->rank() <= 4)  // 1-D and 2-D convolutions have the low-precision path
        lowp.push_back(std::make_unique<LowpWeights>(wg, cout_g, kdim, kdim, true));
    }
    if (narrow_layout) {
      narrow = AlignedFloats(narrow_conv_packed_floats(w->dim(0), w->dim(1), w->dim(2), w->dim(3)));
      pack_narrow_conv_weights(w->data<float>(), w->dim(0), w->dim(1), w->dim(2), w->dim(3), narrow.data());
    }
    if (winograd_layout) {
      const int k = static_cast<int>(w->dim(2));
      winograd = AlignedFloats(winograd_packed_floats(w->dim(0), w->dim(1), winograd_tile_size, k));
      pack_winograd_weights(w->data<float>(), w->dim(0), w->dim(1), winograd_tile_size, k, winograd.data());
    }
    packed_shape = w->shape();
  }
  return std::unique_ptr<OpKernel>(
      new ConvKernel(std::move(attrs), gemm, std::move(packed), std::move(packed_t), std::move(lowp),
                     std::move(narrow), std::move(winograd), winograd_tile_size, std::move(packed_shape)));
}

}  // namespace

void register_nn_conv(OpRegistry& r) { r.add({"", "Conv", 1, 1 << 30, make_conv}); }

}  // namespace braid::detail
