// MatMul (opset 1, 9, 13): numpy matmul with broadcast batch dims and 1-D operands.
// f32 runs on the GEMM core; a constant B of rank <= 2 (the weights of a linear layer) is
// packed once at load, and batched A against a 2-D B becomes one tall GEMM. f64 and the
// integer dtypes run plain loops.
// Braid extensions, set by graph fusion and never present in ONNX files: an optional third
// input of N values (a bias added to every row, the GEMM's per-column epilogue), and the
// attribute braid_fused_activation = "Relu" (max(0, .) after the bias), and a fourth input
// R (float32, a residual of the output's shape, added after the GEMM and before the
// activation; an R whose shape differs at run time gets MatMul-then-Add semantics).
// A constant 2-D B also has bf16 and int8 variants (nn_lowp.h), used when the run asks for
// them (KernelContext::precision).
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "kernels/attributes.h"
#include "kernels/broadcast.h"
#include "kernels/dims.h"
#include "kernels/dispatch.h"
#include "kernels/gemm/gemm.h"
#include "kernels/ops/nn_kernels.h"
#include "kernels/ops/nn_loops.h"
#include "kernels/ops/nn_lowp.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

// Batches smaller than this (flops) run one per task instead of splitting one GEMM.
constexpr double kSmallBatchFlops = 8.0e6;

bool matmul_dtype_ok(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat64 || t == DataType::kInt32 ||
         t == DataType::kInt64 || t == DataType::kUInt32 || t == DataType::kUInt64;
}

// The resolved shapes of one call (inline lists: no heap allocation per call).
struct MatMulShape {
  int64_t m = 0, n = 0, k = 0;
  Dims batch, a_batch, b_batch;  // a_batch / b_batch right-aligned to batch (1 padded)
  Dims out;
  int64_t batch_count = 1;
};

Result<MatMulShape> matmul_shape(const Node& node, const Shape& a, const Shape& b) {
  if (a.empty() || b.empty()) return bad_node(node, "MatMul inputs must have rank >= 1");
  MatMulShape s;
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  s.m = a_vec ? 1 : a[a.size() - 2];
  s.k = a.back();
  const int64_t kb = b_vec ? b[0] : b[b.size() - 2];
  s.n = b_vec ? 1 : b.back();
  if (s.k != kb)
    return bad_node(node, "inner dimensions differ: A " + shape_to_string(a) + ", B " + shape_to_string(b));
  const size_t ra = a_vec ? 0 : a.size() - 2, rb = b_vec ? 0 : b.size() - 2;
  const size_t r = std::max(ra, rb);
  s.batch.assign(r, 1);
  s.a_batch.assign(r, 1);
  s.b_batch.assign(r, 1);
  for (size_t i = 0; i < ra; ++i) s.a_batch[r - ra + i] = a[i];
  for (size_t i = 0; i < rb; ++i) s.b_batch[r - rb + i] = b[i];
  for (size_t i = 0; i < r; ++i) {
    const int64_t da = s.a_batch[i], db = s.b_batch[i];
    if (da != db && da != 1 && db != 1)
      return bad_node(node, "batch dimensions do not broadcast: A " + shape_to_string(a) + ", B " + shape_to_string(b));
    s.batch[i] = da == 1 ? db : da;
    s.batch_count *= s.batch[i];
  }
  s.out = s.batch;
  if (!a_vec) s.out.push_back(s.m);
  if (!b_vec) s.out.push_back(s.n);
  return s;
}

// Element offsets of batch `index` in A and B (broadcast dims contribute nothing).
void batch_offsets(const MatMulShape& s, int64_t index, int64_t& a_off, int64_t& b_off) {
  int64_t a_stride = s.m * s.k, b_stride = s.k * s.n;
  a_off = b_off = 0;
  for (size_t i = s.batch.size(); i-- > 0;) {
    const int64_t coord = index % s.batch[i];
    index /= s.batch[i];
    if (s.a_batch[i] != 1) a_off += coord * a_stride;
    if (s.b_batch[i] != 1) b_off += coord * b_stride;
    a_stride *= s.a_batch[i];
    b_stride *= s.b_batch[i];
  }
}

bool b_is_broadcast(const MatMulShape& s) {
  return std::all_of(s.b_batch.begin(), s.b_batch.end(), [](int64_t d) { return d == 1; });
}

// The K block of a constant B whose A has at least kMatMulDeepKcMinRows rows (known at
// load): twice the AVX-512 variant's 256. BM_GemmSquare 1024^3 9.49 / 9.63 -> 9.11 / 9.31 ms,
// 512^3 1.13 / 1.10 -> 1.09 / 1.09, BM_GemmSkinny 128 x 256 x 1024 307 / 282 -> 273 / 278 us;
// but M = 8 3-6% slower (session 11 found the same), hence only for many rows.
constexpr int64_t kMatMulDeepKc = 512;
constexpr int64_t kMatMulDeepKcMinRows = 64;

class MatMulKernel final : public OpKernel {
 public:
  MatMulKernel(Gemm gemm, std::optional<PackedB> packed_b, std::unique_ptr<LowpWeights> lowp, bool relu)
      : gemm_(gemm), packed_b_(std::move(packed_b)), lowp_(std::move(lowp)), relu_(relu) {}

  uint32_t precisions() const override {
    uint32_t bits = precision_bit(Precision::kF32);
    if (lowp_) bits |= precision_bit(Precision::kBF16) | precision_bit(Precision::kInt8);
    return bits;
  }

  Status compute(KernelContext& ctx) const override {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    if (!a || !b) return bad_node(*ctx.node, "needs two inputs");
    if (a->dtype() != b->dtype())
      return bad_node(*ctx.node, std::string("A is ") + dtype_name(a->dtype()) + " but B is " + dtype_name(b->dtype()));
    BRAID_ASSIGN_OR_RETURN(MatMulShape s, matmul_shape(*ctx.node, a->shape(), b->shape()));
    const Tensor* bias = ctx.inputs.size() > 2 ? ctx.input(2) : nullptr;
    if (bias && (bias->dtype() != a->dtype() || bias->numel() != s.n || b->rank() < 2))
      return bad_node(*ctx.node, "fused bias " + shape_to_string(bias->shape()) + " must have " + std::to_string(s.n) +
                                     " values of A's dtype and B must be a matrix");
    const Tensor* res = ctx.inputs.size() > 3 ? ctx.input(3) : nullptr;
    if (res) {
      if (res->dtype() != DataType::kFloat32 || a->dtype() != DataType::kFloat32)
        return bad_node(*ctx.node, "a fused residual needs float32 operands");
      return run_residual(ctx, s, a->data<float>(), b, bias ? bias->data<float>() : nullptr, *res);
    }
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, a->dtype(), std::span<const int64_t>(s.out)));
    if (y->numel() == 0) return {};
    return dispatch_dtype_or<float, double, int32_t, int64_t, uint32_t, uint64_t>(
        a->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          if constexpr (std::is_same_v<T, float>) {
            run_f32(ctx, s, a->data<float>(), b, bias ? bias->data<float>() : nullptr, relu_, y->data<float>());
          } else {
            for (int64_t i = 0; i < s.batch_count; ++i) {
              int64_t a_off, b_off;
              batch_offsets(s, i, a_off, b_off);
              gemm_loop<T>(false, false, s.m, s.n, s.k, T(1), a->data<T>() + a_off, s.k,
                           b->data<T>() + b_off, s.n, T(0), y->data<T>() + i * s.m * s.n, s.n);
            }
            T* out = y->data<T>();
            const int64_t rows = y->numel() / s.n;
            for (int64_t r = 0; r < rows && (bias || relu_); ++r)
              for (int64_t j = 0; j < s.n; ++j) {
                T& v = out[r * s.n + j];
                if (bias) v += bias->data<T>()[j];
                if constexpr (std::is_signed_v<T> || std::is_floating_point_v<T>)
                  if (relu_ && v < T(0)) v = T(0);
              }
          }
          return {};
        },
        [&] { return unsupported_dtype(*ctx.node, a->dtype()); });
  }

 private:
  // Y = act(A * B + bias + R). R of the output's shape is added in one pass after the GEMM
  // (in cache for the small outputs of batch-1 transformers); any other R shape gets
  // MatMul-then-Add semantics through a scratch tensor (the slow path).
  Status run_residual(KernelContext& ctx, const MatMulShape& s, const float* a, const Tensor* b, const float* bias,
                      const Tensor& r) const {
    if (std::ranges::equal(r.shape(), s.out)) {
      BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, DataType::kFloat32, std::span<const int64_t>(s.out)));
      if (y->numel() == 0) return {};
      run_f32(ctx, s, a, b, bias, false, y->data<float>());
      float* __restrict out = y->data<float>();
      const float* __restrict rp = r.data<float>();
      const int64_t n = y->numel();
      if (relu_) {
        for (int64_t i = 0; i < n; ++i) {
          const float v = out[i] + rp[i];
          out[i] = v < 0.0f ? 0.0f : v;
        }
      } else {
        for (int64_t i = 0; i < n; ++i) out[i] += rp[i];
      }
      return {};
    }
    Shape out_shape;
    const Shape mm_shape = s.out.to_shape();
    const Shape* shapes[] = {&mm_shape, &r.shape()};
    if (!broadcast_shapes(shapes, &out_shape))
      return bad_node(*ctx.node, "fused residual " + shape_to_string(r.shape()) + " does not broadcast with the output " +
                                     shape_to_string(mm_shape));
    BRAID_ASSIGN_OR_RETURN(Tensor mm, Tensor::empty(DataType::kFloat32, mm_shape));
    if (mm.numel() > 0) run_f32(ctx, s, a, b, bias, false, mm.data<float>());
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DataType::kFloat32, out_shape));
    if (y->numel() == 0) return {};
    BroadcastPlan plan;
    BRAID_RETURN_IF_ERROR(make_broadcast_plan(out_shape, shapes, &plan));
    const float *mp = mm.data<float>(), *rp = r.data<float>();
    float* out = y->data<float>();
    const int64_t ms = plan.inner_stride(0), rs = plan.inner_stride(1);
    for_each_broadcast_segment(plan, 0, plan.numel, [&](int64_t o, const int64_t* off, int64_t len) {
      for (int64_t j = 0; j < len; ++j) {
        const float v = mp[off[0] + j * ms] + rp[off[1] + j * rs];
        out[o + j] = relu_ && v < 0.0f ? 0.0f : v;
      }
    });
    return {};
  }

  void run_f32(const KernelContext& ctx, const MatMulShape& s, const float* a, const Tensor* b, const float* bias,
               bool relu, float* y) const {
    GemmArgs g;
    if (bias) {
      g.bias = bias;
      g.bias_kind = GemmBias::kPerCol;
    }
    g.relu = relu;
    g.n = s.n;
    g.k = s.k;
    g.ldc = s.n;
    g.lda = s.k;
    g.ldb = s.n;
    const bool packed = packed_b_.has_value() && packed_b_->depth() == s.k && packed_b_->cols() == s.n;
    if (packed) g.kc = packed_b_->k_block();
    if (ctx.precision != Precision::kF32 && lowp_ && lowp_->depth() == s.k && lowp_->rows() == s.n &&
        b_is_broadcast(s)) {
      LowpGemmArgs l;
      l.m = s.m * s.batch_count;
      l.n = s.n;
      l.k = s.k;
      l.x = a;
      l.ldx = s.k;
      l.c = y;
      l.ldc = s.n;
      l.bias = bias;
      l.relu = relu;
      lowp_gemm(ctx.precision, l, *lowp_, ctx.max_threads);
      return;
    }
    if (b_is_broadcast(s)) {
      // Every batch of A meets the same B: one GEMM over all rows (A is contiguous).
      g.m = s.m * s.batch_count;
      g.a = a;
      g.c = y;
      if (packed) g.packed_b = &*packed_b_;
      else g.b = b->data<float>();
      gemm_.run(g, ctx.max_threads);
      return;
    }
    g.m = s.m;
    const float* bp = b->data<float>();
    auto one = [&](int64_t i, int threads) {
      int64_t a_off, b_off;
      batch_offsets(s, i, a_off, b_off);
      GemmArgs gi = g;
      gi.a = a + a_off;
      gi.b = bp + b_off;
      gi.c = y + i * s.m * s.n;
      gemm_.run(gi, threads);
    };
    const double flops = 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
    if (flops < kSmallBatchFlops) {
      // Many small products (attention heads): one task per range of batches.
      const int64_t grain = std::max<int64_t>(1, static_cast<int64_t>(kSmallBatchFlops / std::max(flops, 1.0)));
      parallel_for_range(s.batch_count, grain, ctx.max_threads, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) one(i, 1);
      });
    } else {
      for (int64_t i = 0; i < s.batch_count; ++i) one(i, ctx.max_threads);
    }
  }

  Gemm gemm_;
  std::optional<PackedB> packed_b_;
  std::unique_ptr<LowpWeights> lowp_;  // constant B as N x K rows: bf16 / int8 variants
  bool relu_ = false;
};

Result<std::unique_ptr<OpKernel>> make_matmul(const KernelInit& init) {
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(*init.node, "needs two inputs");
  for (size_t i = 0; i < 2; ++i) {
    const DataType t = init.input_dtype(i);
    if (t != DataType::kUndefined && !matmul_dtype_ok(t)) return unsupported_dtype(*init.node, t);
  }
  if (init.num_inputs() > 4) return bad_node(*init.node, "takes at most four inputs (A, B, fused bias, residual)");
  const std::string act = attr_string(*init.node, "braid_fused_activation", "");
  if (!act.empty() && act != "Relu")
    return unsupported_op(init.node->describe() + ": fused activation '" + act + "' is not supported");
  Gemm gemm;
  std::optional<PackedB> packed;
  std::unique_ptr<LowpWeights> lowp;
  const Tensor* b = init.constant_input(1);
  if (b && b->dtype() == DataType::kFloat32 && b->rank() >= 1 && b->rank() <= 2 && b->numel() > 0) {
    const int64_t k = b->dim(0), n = b->rank() == 2 ? b->dim(1) : 1;
    // Deeper K blocks (fewer passes over C) where A is known at load to have many rows;
    // batch-1 rows (M <= 8) keep the variant's, under which they run faster.
    int64_t kc = 0;
    if (auto as = init.static_input_shape(0); as && as->size() >= 2 && k > kMatMulDeepKc / 2) {
      int64_t m = 1;
      for (size_t d = 0; d + 1 < as->size(); ++d) m *= (*as)[d];
      if (m >= kMatMulDeepKcMinRows) kc = kMatMulDeepKc;
    }
    packed = gemm.pack_b(false, k, n, b->data<float>(), n, kc);
    if (b->rank() == 2) lowp = std::make_unique<LowpWeights>(b->data<float>(), n, k, n, false);
  }
  return std::unique_ptr<OpKernel>(new MatMulKernel(gemm, std::move(packed), std::move(lowp), act == "Relu"));
}

}  // namespace

void register_nn_matmul(OpRegistry& r) { r.add({"", "MatMul", 1, 1 << 30, make_matmul}); }

}  // namespace braid::detail
