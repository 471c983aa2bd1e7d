// LayerNormalization (opset 17): normalizes X over dims [axis, rank) — each "row" of the
// flattened [outer, inner] view is contiguous, so f32 runs the vector mean/variance and
// affine loops of misc_pool_norm_loops row by row. Scale and B broadcast to X.shape[axis:];
// the optional Mean and InvStdDev outputs have X's shape with those dims set to 1.
#include <cmath>
#include <memory>
#include <optional>
#include <span>
#include <algorithm>
#include <vector>

#include "kernels/attributes.h"
#include "kernels/ops/misc_kernels.h"
#include "kernels/ops/misc_pool_norm_loops.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

// Elements worth a task of their own: keeps batch-1 small tensors on one thread.
constexpr int64_t kElementsPerTask = 1 << 15;

bool is_f32_or_f64(DataType d) { return d == DataType::kFloat32 || d == DataType::kFloat64; }

// A Scale or B parameter expanded to the normalized shape, in both precisions.
struct RowParam {
  std::vector<float> f;
  std::vector<double> d;
};

// Expands `p` (unidirectionally broadcastable to `norm`) to norm's element count.
Result<RowParam> expand_param(const Node& node, const Tensor& p, const Shape& norm, const char* name) {
  if (!is_f32_or_f64(p.dtype())) return unsupported_dtype(node, p.dtype(), name);
  if (p.rank() > static_cast<int64_t>(norm.size()))
    return bad_node(node, std::string(name) + " of shape " + shape_to_string(p.shape()) +
                              " does not broadcast to the normalized shape " + shape_to_string(norm));
  const size_t offset = norm.size() - static_cast<size_t>(p.rank());
  for (size_t i = 0; i < static_cast<size_t>(p.rank()); ++i)
    if (p.dim(i) != 1 && p.dim(i) != norm[offset + i])
      return bad_node(node, std::string(name) + " of shape " + shape_to_string(p.shape()) +
                                " does not broadcast to the normalized shape " + shape_to_string(norm));
  int64_t n = 1;
  for (int64_t d : norm) n *= d;
  RowParam r;
  r.f.resize(static_cast<size_t>(n));
  r.d.resize(static_cast<size_t>(n));
  std::vector<int64_t> idx(norm.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t src = 0;  // row-major offset in p with broadcast dims pinned to 0
    for (size_t k = offset; k < norm.size(); ++k) {
      const int64_t dim = p.dim(k - offset);
      src = src * dim + (dim == 1 ? 0 : idx[k]);
    }
    const double v = p.dtype() == DataType::kFloat32 ? p.data<float>()[src] : p.data<double>()[src];
    r.d[i] = v;
    r.f[i] = static_cast<float>(v);
    for (size_t k = norm.size(); k-- > 0;) {
      if (++idx[k] < norm[k]) break;
      idx[k] = 0;
    }
  }
  return r;
}

class LayerNormKernel final : public OpKernel {
 public:
  LayerNormKernel(int64_t axis, double epsilon, DataType stash, std::optional<Shape> packed_norm,
                  std::optional<RowParam> scale, std::optional<RowParam> bias, const misc::PoolNormLoops* loops)
      : axis_(axis), epsilon_(epsilon), stash_(stash), packed_norm_(std::move(packed_norm)),
        scale_(std::move(scale)), bias_(std::move(bias)), loops_(loops) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr || ctx.input(1) == nullptr) return bad_node(node, "needs inputs X and Scale");
    if (!is_f32_or_f64(x->dtype())) return unsupported_dtype(node, x->dtype());
    const int64_t rank = x->rank();
    const int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    if (axis < 0 || axis >= rank)
      return bad_node(node, "axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(rank));
    // The normalized dims, x's shape from `axis` on, as a view: the steady state (constant
    // parameters prepacked for this shape) allocates nothing here.
    const std::span<const int64_t> norm_dims(x->shape().begin() + axis, x->shape().end());
    int64_t row = 1;
    for (int64_t d : norm_dims) row *= d;
    const bool packed_fits = packed_norm_ && std::ranges::equal(*packed_norm_, norm_dims);

    // Parameters: prepacked at load when constant (and the normalized shape matches).
    RowParam scale_rt, bias_rt;
    const RowParam* scale = nullptr;
    const RowParam* bias = nullptr;
    if (scale_ && packed_fits) {
      scale = &*scale_;
    } else {
      BRAID_ASSIGN_OR_RETURN(scale_rt, expand_param(node, *ctx.input(1), Shape(norm_dims.begin(), norm_dims.end()), "Scale"));
      scale = &scale_rt;
    }
    if (const Tensor* b = ctx.input(2)) {
      if (bias_ && packed_fits) {
        bias = &*bias_;
      } else {
        BRAID_ASSIGN_OR_RETURN(bias_rt, expand_param(node, *b, Shape(norm_dims.begin(), norm_dims.end()), "B"));
        bias = &bias_rt;
      }
    }

    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, x->dtype(), x->shape()));
    Tensor* mean_out = nullptr;
    Tensor* inv_out = nullptr;
    const bool want_mean = ctx.outputs.size() > 1 && node.outputs[1] != kNoValue;
    const bool want_inv = ctx.outputs.size() > 2 && node.outputs[2] != kNoValue;
    if (want_mean || want_inv) {
      Shape stat_shape = x->shape();
      for (int64_t d = axis; d < rank; ++d) stat_shape[d] = 1;
      if (want_mean) {
        BRAID_ASSIGN_OR_RETURN(mean_out, ctx.allocate_output(1, stash_, stat_shape));
      }
      if (want_inv) {
        BRAID_ASSIGN_OR_RETURN(inv_out, ctx.allocate_output(2, stash_, stat_shape));
      }
    }
    const int64_t rows = row == 0 ? 0 : x->numel() / row;
    if (rows == 0 || row == 0) return {};
    auto put_stat = [&](Tensor* t, int64_t i, double v) {
      if (t == nullptr) return;
      if (stash_ == DataType::kFloat32) t->data<float>()[i] = static_cast<float>(v);
      else t->data<double>()[i] = v;
    };
    const int64_t grain = std::max<int64_t>(1, kElementsPerTask / row);

    if (x->dtype() == DataType::kFloat32) {
      const float* xd = x->data<float>();
      float* yd = y->data<float>();
      const float* beta = bias ? bias->f.data() : nullptr;
      parallel_for_range(rows, grain, ctx.max_threads, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          float mean, var;
          loops_->mean_variance(xd + r * row, row, &mean, &var);
          const float inv_std = 1.0f / std::sqrt(var + static_cast<float>(epsilon_));
          loops_->normalize_affine(xd + r * row, yd + r * row, row, mean, inv_std, scale->f.data(), beta);
          put_stat(mean_out, r, mean);
          put_stat(inv_out, r, inv_std);
        }
      });
      return {};
    }
    const double* xd = x->data<double>();
    double* yd = y->data<double>();
    parallel_for_range(rows, grain, ctx.max_threads, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const double* p = xd + r * row;
        double mean = 0, var = 0;
        for (int64_t j = 0; j < row; ++j) mean += p[j];
        mean /= static_cast<double>(row);
        for (int64_t j = 0; j < row; ++j) var += (p[j] - mean) * (p[j] - mean);
        var /= static_cast<double>(row);
        const double inv_std = 1.0 / std::sqrt(var + epsilon_);
        for (int64_t j = 0; j < row; ++j)
          yd[r * row + j] = (p[j] - mean) * inv_std * scale->d[j] + (bias ? bias->d[j] : 0.0);
        put_stat(mean_out, r, mean);
        put_stat(inv_out, r, inv_std);
      }
    });
    return {};
  }

 private:
  int64_t axis_;
  double epsilon_;
  DataType stash_;
  std::optional<Shape> packed_norm_;  // the normalized shape the prepacked params were expanded to
  std::optional<RowParam> scale_, bias_;
  const misc::PoolNormLoops* loops_;
};

Result<std::unique_ptr<OpKernel>> make_layer_norm(const KernelInit& init) {
  const Node& node = *init.node;
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(node, "needs inputs X and Scale");
  for (size_t i = 0; i < 3; ++i) {
    const DataType d = init.input_dtype(i);
    if (d != DataType::kUndefined && !is_f32_or_f64(d)) return unsupported_dtype(node, d);
  }
  const int64_t axis = attr_int(node, "axis", -1);
  const double epsilon = attr_float(node, "epsilon", 1e-5f);
  if (!(epsilon >= 0)) return bad_node(node, "epsilon must not be negative");
  const int64_t stash_type = attr_int(node, "stash_type", 1);
  DataType stash;
  if (stash_type == 1) stash = DataType::kFloat32;
  else if (stash_type == 11) stash = DataType::kFloat64;
  else return unsupported_op(node.describe() + ": stash_type " + std::to_string(stash_type) + " is not supported");

  // Prepack constant Scale / B when X's shape is known at load.
  std::optional<Shape> norm;
  std::optional<RowParam> scale, bias;
  const std::optional<Shape> xs = init.static_input_shape(0);
  const Tensor* s = init.constant_input(1);
  const Tensor* b = init.constant_input(2);
  if (xs && s && (!init.has_input(2) || b)) {
    const int64_t rank = static_cast<int64_t>(xs->size());
    const int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank)
      return bad_node(node, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
    norm = Shape(xs->begin() + a, xs->end());
    BRAID_ASSIGN_OR_RETURN(RowParam sp, expand_param(node, *s, *norm, "Scale"));
    scale = std::move(sp);
    if (b) {
      BRAID_ASSIGN_OR_RETURN(RowParam bp, expand_param(node, *b, *norm, "B"));
      bias = std::move(bp);
    }
  }
  return std::unique_ptr<OpKernel>(new LayerNormKernel(axis, epsilon, stash, std::move(norm), std::move(scale),
                                                       std::move(bias), &misc::pool_norm_loops()));
}

}  // namespace

void register_misc_layer_norm_kernel(OpRegistry& r) {
  r.add({"", "LayerNormalization", 17, 1 << 30, make_layer_norm});
}

}  // namespace braid::detail
