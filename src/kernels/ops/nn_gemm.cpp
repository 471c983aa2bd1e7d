// Gemm (opset 1 .. 13): Y = alpha * op(A) * op(B) + beta * C with C broadcast to [M, N].
// f32 runs on the GEMM core with B packed at load when constant; a C that is a row or
// column vector becomes the GEMM's bias epilogue (the Linear layer case) instead of a
// separate pass. f64 and integers run plain loops. The attribute braid_fused_activation =
// "Relu" (set by graph fusion, never in ONNX files) applies max(0, .) in the epilogue.
// A constant B also has bf16 and int8 variants (nn_lowp.h) for runs that ask for them.
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/attributes.h"
#include "kernels/dispatch.h"
#include "kernels/gemm/gemm.h"
#include "kernels/ops/nn_kernels.h"
#include "kernels/ops/nn_loops.h"
#include "kernels/ops/nn_lowp.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

bool gemm_dtype_ok(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat64 || t == DataType::kInt32 ||
         t == DataType::kInt64 || t == DataType::kUInt32 || t == DataType::kUInt64;
}

struct GemmOpAttrs {
  bool trans_a = false, trans_b = false;
  float alpha = 1.0f, beta = 1.0f;
  bool relu = false;  // braid_fused_activation = "Relu"
};

template <class T>
void relu_in_place(T* y, int64_t count) {
  if constexpr (std::is_signed_v<T> || std::is_floating_point_v<T>)
    for (int64_t i = 0; i < count; ++i) y[i] = y[i] < T(0) ? T(0) : y[i];
}

// How C meets [M, N]: dims after right-aligning (1 where broadcast).
struct CBroadcast {
  int64_t rows = 1, cols = 1;
};

Result<CBroadcast> c_broadcast(const Node& node, const Shape& c, int64_t m, int64_t n) {
  if (c.size() > 2) return bad_node(node, "C must have rank <= 2, got " + shape_to_string(c));
  CBroadcast b;
  if (c.size() >= 1) b.cols = c.back();
  if (c.size() == 2) b.rows = c[0];
  if ((b.rows != 1 && b.rows != m) || (b.cols != 1 && b.cols != n))
    return bad_node(node, "C " + shape_to_string(c) + " does not broadcast to [" + std::to_string(m) + "," +
                              std::to_string(n) + "]");
  return b;
}

template <class T>
void fill_broadcast(const T* c, const CBroadcast& cb, int64_t m, int64_t n, T* y) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) y[i * n + j] = c[(cb.rows == 1 ? 0 : i) * cb.cols + (cb.cols == 1 ? 0 : j)];
}

class GemmKernel final : public OpKernel {
 public:
  GemmKernel(GemmOpAttrs attrs, Gemm gemm, std::optional<PackedB> packed_b, std::unique_ptr<LowpWeights> lowp,
             std::vector<float> scaled_c)
      : attrs_(attrs),
        gemm_(gemm),
        packed_b_(std::move(packed_b)),
        lowp_(std::move(lowp)),
        scaled_c_(std::move(scaled_c)) {}

  uint32_t precisions() const override {
    uint32_t bits = precision_bit(Precision::kF32);
    if (lowp_) bits |= precision_bit(Precision::kBF16) | precision_bit(Precision::kInt8);
    return bits;
  }

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    const Tensor* c = ctx.input(2);
    if (!a || !b) return bad_node(node, "needs inputs A and B");
    if (a->rank() != 2 || b->rank() != 2)
      return bad_node(node, "A " + shape_to_string(a->shape()) + " and B " + shape_to_string(b->shape()) +
                                " must be 2-D");
    if (a->dtype() != b->dtype() || (c && c->dtype() != a->dtype()))
      return bad_node(node, "A, B and C must have the same dtype");
    const int64_t m = attrs_.trans_a ? a->dim(1) : a->dim(0);
    const int64_t k = attrs_.trans_a ? a->dim(0) : a->dim(1);
    const int64_t kb = attrs_.trans_b ? b->dim(1) : b->dim(0);
    const int64_t n = attrs_.trans_b ? b->dim(0) : b->dim(1);
    if (k != kb)
      return bad_node(node, "inner dimensions differ: op(A) is " + std::to_string(m) + "x" + std::to_string(k) +
                                ", op(B) is " + std::to_string(kb) + "x" + std::to_string(n));
    CBroadcast cb;
    if (c) {
      BRAID_ASSIGN_OR_RETURN(cb, c_broadcast(node, c->shape(), m, n));
    }
    const int64_t y_dims[] = {m, n};  // inline: no Shape built per call
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, a->dtype(), std::span<const int64_t>(y_dims)));
    if (y->numel() == 0) return {};
    const bool use_c = c != nullptr && attrs_.beta != 0.0f;
    return dispatch_dtype_or<float, double, int32_t, int64_t, uint32_t, uint64_t>(
        a->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          if constexpr (std::is_same_v<T, float>) {
            run_f32(ctx, a, b, use_c ? c : nullptr, cb, m, n, k, y->data<float>());
          } else {
            if (use_c) fill_broadcast(c->data<T>(), cb, m, n, y->data<T>());
            gemm_loop<T>(attrs_.trans_a, attrs_.trans_b, m, n, k, static_cast<T>(attrs_.alpha), a->data<T>(),
                         a->dim(1), b->data<T>(), b->dim(1), use_c ? static_cast<T>(attrs_.beta) : T(0),
                         y->data<T>(), n);
            if (attrs_.relu) relu_in_place(y->data<T>(), y->numel());
          }
          return {};
        },
        [&] { return unsupported_dtype(node, a->dtype()); });
  }

 private:
  void run_f32(const KernelContext& ctx, const Tensor* a, const Tensor* b, const Tensor* c, const CBroadcast& cb,
               int64_t m, int64_t n, int64_t k, float* y) const {
    if (ctx.precision != Precision::kF32 && lowp_ && lowp_->rows() == n && lowp_->depth() == k) {
      run_lowp(ctx, a, c, cb, m, n, k, y);
      return;
    }
    GemmArgs g;
    g.m = m;
    g.n = n;
    g.k = k;
    g.a = a->data<float>();
    g.lda = a->dim(1);
    g.trans_a = attrs_.trans_a;
    if (packed_b_ && packed_b_->depth() == k && packed_b_->cols() == n) {
      g.packed_b = &*packed_b_;
    } else {
      g.b = b->data<float>();
      g.ldb = b->dim(1);
      g.trans_b = attrs_.trans_b;
    }
    g.c = y;
    g.ldc = n;
    g.alpha = attrs_.alpha;
    g.relu = attrs_.relu;
    if (c) {
      const bool per_col = cb.rows == 1 && cb.cols == n && n > 1;
      const bool per_row = cb.cols == 1 && cb.rows == m && m > 1;
      if ((per_col || per_row) && (attrs_.beta == 1.0f || !scaled_c_.empty())) {
        // A vector C is the bias epilogue (scaled by beta at load when constant).
        g.bias = scaled_c_.empty() ? c->data<float>() : scaled_c_.data();
        g.bias_kind = per_col ? GemmBias::kPerCol : GemmBias::kPerRow;
      } else {
        fill_broadcast(c->data<float>(), cb, m, n, y);
        g.beta = attrs_.beta;
      }
    }
    gemm_.run(g, ctx.max_threads);
  }

  // The bf16 / int8 variant: a vector C of n values is the bias epilogue, any other C is
  // written to Y first and accumulated with beta.
  void run_lowp(const KernelContext& ctx, const Tensor* a, const Tensor* c, const CBroadcast& cb, int64_t m, int64_t n,
                int64_t k, float* y) const {
    LowpGemmArgs l;
    l.m = m;
    l.n = n;
    l.k = k;
    l.x = a->data<float>();
    l.ldx = a->dim(1);
    l.x_is_mk = !attrs_.trans_a;
    l.c = y;
    l.ldc = n;
    l.alpha = attrs_.alpha;
    l.relu = attrs_.relu;
    if (c) {
      if (cb.rows == 1 && cb.cols == n && n > 1 && (attrs_.beta == 1.0f || !scaled_c_.empty())) {
        l.bias = scaled_c_.empty() ? c->data<float>() : scaled_c_.data();
      } else {
        fill_broadcast(c->data<float>(), cb, m, n, y);
        l.beta = attrs_.beta;
      }
    }
    lowp_gemm(ctx.precision, l, *lowp_, ctx.max_threads);
  }

  GemmOpAttrs attrs_;
  Gemm gemm_;
  std::optional<PackedB> packed_b_;
  std::unique_ptr<LowpWeights> lowp_;  // constant op(B) as N x K rows: bf16 / int8 variants
  std::vector<float> scaled_c_;  // beta * C for a constant vector C, when beta != 1
};

Result<std::unique_ptr<OpKernel>> make_gemm(const KernelInit& init) {
  const Node& node = *init.node;
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(node, "needs inputs A and B");
  if (init.opset() < 11 && !init.has_input(2)) return bad_node(node, "input C is required before opset 11");
  for (size_t i = 0; i < 3; ++i) {
    const DataType t = init.input_dtype(i);
    if (t != DataType::kUndefined && !gemm_dtype_ok(t)) return unsupported_dtype(node, t);
  }
  GemmOpAttrs attrs;
  attrs.trans_a = attr_int(node, "transA", 0) != 0;
  attrs.trans_b = attr_int(node, "transB", 0) != 0;
  attrs.alpha = attr_float(node, "alpha", 1.0f);
  attrs.beta = attr_float(node, "beta", 1.0f);
  const std::string act = attr_string(node, "braid_fused_activation", "");
  if (act == "Relu") attrs.relu = true;
  else if (!act.empty()) return unsupported_op(node.describe() + ": fused activation '" + act + "' is not supported");
  Gemm gemm;
  std::optional<PackedB> packed;
  std::unique_ptr<LowpWeights> lowp;
  const Tensor* b = init.constant_input(1);
  if (b && b->dtype() == DataType::kFloat32 && b->rank() == 2 && b->numel() > 0) {
    const int64_t k = attrs.trans_b ? b->dim(1) : b->dim(0);
    const int64_t n = attrs.trans_b ? b->dim(0) : b->dim(1);
    packed = gemm.pack_b(attrs.trans_b, k, n, b->data<float>(), b->dim(1));
    lowp = std::make_unique<LowpWeights>(b->data<float>(), n, k, b->dim(1), attrs.trans_b);
  }
  std::vector<float> scaled_c;
  const Tensor* c = init.constant_input(2);
  if (c && c->dtype() == DataType::kFloat32 && attrs.beta != 1.0f && attrs.beta != 0.0f && c->rank() <= 2) {
    scaled_c.assign(c->data<float>(), c->data<float>() + c->numel());
    for (float& v : scaled_c) v *= attrs.beta;
  }
  return std::unique_ptr<OpKernel>(new GemmKernel(attrs, gemm, std::move(packed), std::move(lowp), std::move(scaled_c)));
}

}  // namespace

void register_nn_gemm(OpRegistry& r) { r.add({"", "Gemm", 1, 1 << 30, make_gemm}); }

}  // namespace braid::detail
