// BatchNormalization (inference) and InstanceNormalization. Both reduce to one
// y = x * scale + shift pass per (n, c) plane: BatchNormalization folds its running
// statistics into (scale, shift) once (at load when they are constants), and
// InstanceNormalization computes them from each plane's mean and variance.
#include <cmath>
#include <memory>
#include <vector>

#include "kernels/attributes.h"
#include "kernels/ops/misc_kernels.h"
#include "kernels/ops/misc_pool_norm_loops.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

// Elements worth a task of their own: keeps batch-1 small tensors on one thread.
constexpr int64_t kElementsPerTask = 1 << 16;

bool is_f32_or_f64(DataType d) { return d == DataType::kFloat32 || d == DataType::kFloat64; }

// Reads a float32/float64 parameter vector as doubles.
std::vector<double> as_doubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i)
    v[i] = t.dtype() == DataType::kFloat32 ? t.data<float>()[i] : t.data<double>()[i];
  return v;
}

// Per-channel y = x * scale + shift, in both precisions.
struct ChannelAffine {
  std::vector<float> scale_f, shift_f;
  std::vector<double> scale_d, shift_d;
};

ChannelAffine fold_batch_norm(const Tensor& s, const Tensor& b, const Tensor& mean, const Tensor& var, double eps) {
  const std::vector<double> sv = as_doubles(s), bv = as_doubles(b), mv = as_doubles(mean), vv = as_doubles(var);
  ChannelAffine a;
  const size_t c = sv.size();
  a.scale_d.resize(c);
  a.shift_d.resize(c);
  a.scale_f.resize(c);
  a.shift_f.resize(c);
  for (size_t i = 0; i < c; ++i) {
    a.scale_d[i] = sv[i] / std::sqrt(vv[i] + eps);
    a.shift_d[i] = bv[i] - mv[i] * a.scale_d[i];
    a.scale_f[i] = static_cast<float>(a.scale_d[i]);
    a.shift_f[i] = static_cast<float>(a.shift_d[i]);
  }
  return a;
}

// y[n, c, i] = x[n, c, i] * scale[c] + shift[c] for planes of `inner` elements.
Status apply_channel_affine(KernelContext& ctx, const misc::PoolNormLoops& loops, const Tensor& x, Tensor& y,
                            int64_t channels, int64_t inner, const ChannelAffine& a) {
  const int64_t batches = channels * inner == 0 ? 0 : x.numel() / (channels * inner);
  if (x.dtype() == DataType::kFloat32) {
    const float* xd = x.data<float>();
    float* yd = y.data<float>();
    if (inner == 1) {  // [N, C]: one vector pass per row with per-element scale and shift
      const int64_t grain = std::max<int64_t>(1, kElementsPerTask / std::max<int64_t>(1, channels));
      parallel_for_range(batches, grain, ctx.max_threads, [&](int64_t b, int64_t e) {
        for (int64_t n = b; n < e; ++n)
          loops.normalize_affine(xd + n * channels, yd + n * channels, channels, 0.0f, 1.0f, a.scale_f.data(),
                                 a.shift_f.data());
      });
      return {};
    }
    const int64_t grain = std::max<int64_t>(1, kElementsPerTask / std::max<int64_t>(1, inner));
    parallel_for_range(batches * channels, grain, ctx.max_threads, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t c = i % channels;
        loops.scale_shift(xd + i * inner, yd + i * inner, inner, a.scale_f[c], a.shift_f[c]);
      }
    });
    return {};
  }
  const double* xd = x.data<double>();
  double* yd = y.data<double>();
  const int64_t grain = std::max<int64_t>(1, kElementsPerTask / std::max<int64_t>(1, inner));
  parallel_for_range(batches * channels, grain, ctx.max_threads, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const double s = a.scale_d[i % channels], t = a.shift_d[i % channels];
      for (int64_t j = 0; j < inner; ++j) yd[i * inner + j] = xd[i * inner + j] * s + t;
    }
  });
  return {};
}

// ---------------------------------------------------------------- BatchNormalization

class BatchNormKernel final : public OpKernel {
 public:
  BatchNormKernel(double epsilon, bool spatial, std::optional<ChannelAffine> folded, const misc::PoolNormLoops* loops)
      : epsilon_(epsilon), spatial_(spatial), folded_(std::move(folded)), loops_(loops) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(node, "missing input X");
    if (!is_f32_or_f64(x->dtype())) return unsupported_dtype(node, x->dtype());
    if (x->rank() < 2) return bad_node(node, "input must have rank >= 2 (N, C, ...), got " + shape_to_string(x->shape()));
    int64_t channels = x->dim(1), inner = 1;
    for (int64_t d = 2; d < x->rank(); ++d) inner *= x->dim(d);
    if (!spatial_) {  // opset < 9 spatial=0: statistics per element of [C, D1, ...]
      channels *= inner;
      inner = 1;
    }
    ChannelAffine computed;
    const ChannelAffine* affine = folded_ ? &*folded_ : nullptr;
    if (affine == nullptr) {
      for (size_t i = 1; i <= 4; ++i) {
        const Tensor* p = ctx.input(i);
        if (p == nullptr) return bad_node(node, "missing input " + std::to_string(i));
        if (!is_f32_or_f64(p->dtype())) return unsupported_dtype(node, p->dtype(), "parameter");
      }
      // As at load (constant parameters): fold_batch_norm reads all four at scale's length.
      const int64_t n = ctx.input(1)->numel();
      if (ctx.input(2)->numel() != n || ctx.input(3)->numel() != n || ctx.input(4)->numel() != n)
        return bad_node(node, "scale, B, mean and var must have the same number of values");
      computed = fold_batch_norm(*ctx.input(1), *ctx.input(2), *ctx.input(3), *ctx.input(4), epsilon_);
      affine = &computed;
    }
    if (static_cast<int64_t>(affine->scale_d.size()) != channels)
      return bad_node(node, "scale, B, mean and var need " + std::to_string(channels) + " values for input " +
                                shape_to_string(x->shape()) + ", got " + std::to_string(affine->scale_d.size()));
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, x->dtype(), x->shape()));
    return apply_channel_affine(ctx, *loops_, *x, *y, channels, inner, *affine);
  }

 private:
  double epsilon_;
  bool spatial_;
  std::optional<ChannelAffine> folded_;
  const misc::PoolNormLoops* loops_;
};

Result<std::unique_ptr<OpKernel>> make_batch_norm(const KernelInit& init) {
  const Node& node = *init.node;
  for (size_t i = 0; i < 5; ++i)
    if (!init.has_input(i)) return bad_node(node, "needs inputs X, scale, B, mean and var");
  // Braid runs inference only: training_mode (opset 14+) and the running/saved statistics
  // outputs of every opset are training features.
  if (init.opset() >= 14 && attr_int(node, "training_mode", 0) != 0)
    return unsupported_op(node.describe() + ": training_mode is not supported (inference only)");
  for (size_t i = 1; i < init.num_outputs(); ++i)
    if (node.outputs[i] != kNoValue)
      return unsupported_op(node.describe() + ": training outputs (mean/var statistics) are not supported (inference only)");
  for (size_t i = 0; i < 5; ++i) {
    const DataType d = init.input_dtype(i);
    if (d != DataType::kUndefined && !is_f32_or_f64(d)) return unsupported_dtype(node, d, i == 0 ? "input" : "parameter");
  }
  const double epsilon = attr_float(node, "epsilon", 1e-5f);
  if (!(epsilon >= 0)) return bad_node(node, "epsilon must not be negative");
  const bool spatial = init.opset() >= 9 || attr_int(node, "spatial", 1) != 0;

  std::optional<ChannelAffine> folded;
  const Tensor *s = init.constant_input(1), *b = init.constant_input(2), *m = init.constant_input(3),
               *v = init.constant_input(4);
  if (s && b && m && v) {
    for (const Tensor* p : {s, b, m, v})
      if (!is_f32_or_f64(p->dtype())) return unsupported_dtype(node, p->dtype(), "parameter");
    if (b->numel() != s->numel() || m->numel() != s->numel() || v->numel() != s->numel())
      return bad_node(node, "scale, B, mean and var must have the same number of values");
    folded = fold_batch_norm(*s, *b, *m, *v, epsilon);
  }
  return std::unique_ptr<OpKernel>(new BatchNormKernel(epsilon, spatial, std::move(folded), &misc::pool_norm_loops()));
}

// ---------------------------------------------------------------- InstanceNormalization

class InstanceNormKernel final : public OpKernel {
 public:
  InstanceNormKernel(double epsilon, const misc::PoolNormLoops* loops) : epsilon_(epsilon), loops_(loops) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor *x = ctx.input(0), *scale = ctx.input(1), *bias = ctx.input(2);
    if (x == nullptr || scale == nullptr || bias == nullptr) return bad_node(node, "needs inputs input, scale and B");
    if (!is_f32_or_f64(x->dtype())) return unsupported_dtype(node, x->dtype());
    if (scale->dtype() != x->dtype() || bias->dtype() != x->dtype())
      return bad_node(node, "scale and B must have the dtype of the input");
    if (x->rank() < 2) return bad_node(node, "input must have rank >= 2 (N, C, ...), got " + shape_to_string(x->shape()));
    const int64_t channels = x->dim(1);
    if (scale->numel() != channels || bias->numel() != channels)
      return bad_node(node, "scale and B need " + std::to_string(channels) + " values");
    int64_t inner = 1;
    for (int64_t d = 2; d < x->rank(); ++d) inner *= x->dim(d);
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, x->dtype(), x->shape()));
    const int64_t planes = x->dim(0) * channels;
    if (inner == 0 || planes == 0) return {};
    const int64_t grain = std::max<int64_t>(1, kElementsPerTask / inner);

    if (x->dtype() == DataType::kFloat32) {
      const float *xd = x->data<float>(), *sd = scale->data<float>(), *bd = bias->data<float>();
      float* yd = y->data<float>();
      parallel_for_range(planes, grain, ctx.max_threads, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          float mean, var;
          loops_->mean_variance(xd + i * inner, inner, &mean, &var);
          const float s = sd[i % channels] / std::sqrt(var + static_cast<float>(epsilon_));
          loops_->scale_shift(xd + i * inner, yd + i * inner, inner, s, bd[i % channels] - mean * s);
        }
      });
      return {};
    }
    const double *xd = x->data<double>(), *sd = scale->data<double>(), *bd = bias->data<double>();
    double* yd = y->data<double>();
    parallel_for_range(planes, grain, ctx.max_threads, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const double* p = xd + i * inner;
        double mean = 0, var = 0;
        for (int64_t j = 0; j < inner; ++j) mean += p[j];
        mean /= static_cast<double>(inner);
        for (int64_t j = 0; j < inner; ++j) var += (p[j] - mean) * (p[j] - mean);
        var /= static_cast<double>(inner);
        const double s = sd[i % channels] / std::sqrt(var + epsilon_), t = bd[i % channels] - mean * s;
        for (int64_t j = 0; j < inner; ++j) yd[i * inner + j] = p[j] * s + t;
      }
    });
    return {};
  }

 private:
  double epsilon_;
  const misc::PoolNormLoops* loops_;
};

Result<std::unique_ptr<OpKernel>> make_instance_norm(const KernelInit& init) {
  const Node& node = *init.node;
  for (size_t i = 0; i < 3; ++i)
    if (!init.has_input(i)) return bad_node(node, "needs inputs input, scale and B");
  for (size_t i = 0; i < 3; ++i) {
    const DataType d = init.input_dtype(i);
    if (d != DataType::kUndefined && !is_f32_or_f64(d)) return unsupported_dtype(node, d);
  }
  const double epsilon = attr_float(node, "epsilon", 1e-5f);
  if (!(epsilon >= 0)) return bad_node(node, "epsilon must not be negative");
  return std::unique_ptr<OpKernel>(new InstanceNormKernel(epsilon, &misc::pool_norm_loops()));
}

}  // namespace

void register_misc_batch_norm_kernels(OpRegistry& r) {
  r.add({"", "BatchNormalization", 1, 1 << 30, make_batch_norm});
  r.add({"", "InstanceNormalization", 1, 21, make_instance_norm});
}

}  // namespace braid::detail
