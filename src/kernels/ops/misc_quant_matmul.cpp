// MatMulInteger (int32 out) and QLinearMatMul (requantized int8 / uint8 out): numpy matmul
// broadcasting over batch dims; zero points per tensor, per row of A or per column of B.
// The products run as int32 Eigen GEMMs on zero-point-adjusted copies; a constant B is
// adjusted once at load.
#include <Eigen/Core>

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "kernels/ops/misc_kernels.h"
#include "kernels/ops/misc_quant_util.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

using MatI = Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Multiply-adds worth a task of their own.
constexpr int64_t kMacsPerTask = 1 << 18;

struct MatMulDims {
  int64_t m = 1, k = 1, n = 1;
  int64_t a_batches = 1, b_batches = 1;
  std::vector<int64_t> a_batch, b_batch;  // per output batch: which A / B matrix
  Shape out;
};

Result<MatMulDims> matmul_dims(const Node& node, const Shape& a, const Shape& b) {
  if (a.empty() || b.empty()) return bad_node(node, "matmul inputs must have rank >= 1");
  MatMulDims d;
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  d.m = a_vec ? 1 : a[a.size() - 2];
  d.k = a.back();
  const int64_t kb = b_vec ? b[0] : b[b.size() - 2];
  d.n = b_vec ? 1 : b.back();
  if (kb != d.k)
    return bad_node(node, "inner dims differ: A " + shape_to_string(a) + " and B " + shape_to_string(b));
  const Shape ab(a.begin(), a.end() - (a_vec ? 1 : 2)), bb(b.begin(), b.end() - (b_vec ? 1 : 2));
  const size_t rank = std::max(ab.size(), bb.size());
  Shape batch(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t x = i < rank - ab.size() ? 1 : ab[i - (rank - ab.size())];
    const int64_t y = i < rank - bb.size() ? 1 : bb[i - (rank - bb.size())];
    if (x != y && x != 1 && y != 1)
      return bad_node(node, "batch dims of " + shape_to_string(a) + " and " + shape_to_string(b) + " do not broadcast");
    batch[i] = x == 1 ? y : x;
  }
  int64_t batches = 1;
  for (int64_t v : batch) batches *= v;
  for (int64_t v : ab) d.a_batches *= v;
  for (int64_t v : bb) d.b_batches *= v;
  d.a_batch.resize(static_cast<size_t>(batches));
  d.b_batch.resize(static_cast<size_t>(batches));
  std::vector<int64_t> idx(rank, 0);
  for (int64_t o = 0; o < batches; ++o) {
    int64_t ai = 0, bi = 0;
    for (size_t i = 0; i < rank; ++i) {
      if (i >= rank - ab.size()) {
        const int64_t dim = ab[i - (rank - ab.size())];
        ai = ai * dim + (dim == 1 ? 0 : idx[i]);
      }
      if (i >= rank - bb.size()) {
        const int64_t dim = bb[i - (rank - bb.size())];
        bi = bi * dim + (dim == 1 ? 0 : idx[i]);
      }
    }
    d.a_batch[o] = ai;
    d.b_batch[o] = bi;
    for (size_t i = rank; i-- > 0;) {
      if (++idx[i] < batch[i]) break;
      idx[i] = 0;
    }
  }
  d.out = batch;
  if (!a_vec) d.out.push_back(d.m);
  if (!b_vec) d.out.push_back(d.n);
  return d;
}

// B minus its zero point (per column), widened to int32: [b_batches, K, N].
Result<std::vector<int32_t>> adjust_b(const Node& node, const Tensor& b, const Tensor* zp, const MatMulDims& d) {
  BRAID_ASSIGN_OR_RETURN(std::vector<int32_t> z, misc::expand_per_element<int32_t>(node, zp, d.b_batches, d.n, "b_zero_point"));
  std::vector<int32_t> out(static_cast<size_t>(b.numel()));
  for (int64_t bt = 0; bt < d.b_batches; ++bt)
    for (int64_t kk = 0; kk < d.k; ++kk)
      for (int64_t j = 0; j < d.n; ++j) {
        const int64_t at = (bt * d.k + kk) * d.n + j;
        out[at] = misc::int_element(b, at) - z[bt * d.n + j];
      }
  return out;
}

// What QLinearMatMul adds on top of MatMulInteger: scales and the output zero point.
struct Requant {
  std::vector<float> multiplier;  // per output column: a_scale * b_scale[n] / y_scale
  int32_t zero_point = 0;
  DataType out = DataType::kUInt8;
};

class IntegerMatMulKernel final : public OpKernel {
 public:
  // Input slots: MatMulInteger (A, B, a_zp, b_zp); QLinearMatMul (a, a_scale, a_zp, b, ...).
  IntegerMatMulKernel(bool qlinear, std::optional<std::vector<int32_t>> packed_b, Shape packed_b_shape)
      : qlinear_(qlinear), packed_b_(std::move(packed_b)), packed_b_shape_(std::move(packed_b_shape)) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const size_t ia = 0, ib = qlinear_ ? 3 : 1, iaz = qlinear_ ? 2 : 2, ibz = qlinear_ ? 5 : 3;
    const Tensor *a = ctx.input(ia), *b = ctx.input(ib), *azp = ctx.input(iaz), *bzp = ctx.input(ibz);
    if (a == nullptr || b == nullptr) return bad_node(node, "needs inputs A and B");
    if (!misc::is_int8_or_uint8(a->dtype())) return unsupported_dtype(node, a->dtype());
    if (!misc::is_int8_or_uint8(b->dtype())) return unsupported_dtype(node, b->dtype());
    if ((azp && azp->dtype() != a->dtype()) || (bzp && bzp->dtype() != b->dtype()))
      return bad_node(node, "zero points must have the dtype of their input");
    BRAID_ASSIGN_OR_RETURN(MatMulDims d, matmul_dims(node, a->shape(), b->shape()));
    BRAID_ASSIGN_OR_RETURN(std::vector<int32_t> a_zero,
                           misc::expand_per_element<int32_t>(node, azp, d.a_batches, d.m, "a_zero_point"));
    std::vector<int32_t> b_adjusted;
    const int32_t* bi = nullptr;
    if (packed_b_ && packed_b_shape_ == b->shape()) {
      bi = packed_b_->data();
    } else {
      BRAID_ASSIGN_OR_RETURN(b_adjusted, adjust_b(node, *b, bzp, d));
      bi = b_adjusted.data();
    }
    Requant rq;
    if (qlinear_) BRAID_RETURN_IF_ERROR(read_requant(ctx, d, rq));

    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, qlinear_ ? rq.out : DataType::kInt32, d.out));
    if (y->numel() == 0) return {};
    const int64_t batches = static_cast<int64_t>(d.a_batch.size());
    const int64_t grain = std::max<int64_t>(1, kMacsPerTask / std::max<int64_t>(1, d.k * d.n));
    // Row blocks of every batch: each converts its rows of A and runs one GEMM.
    parallel_for_range(batches * d.m, grain, ctx.max_threads, [&](int64_t begin, int64_t end) {
      std::vector<int32_t> a_rows, acc;
      for (int64_t r = begin; r < end;) {
        const int64_t batch = r / d.m, row0 = r % d.m;
        const int64_t rows = std::min(end - r, d.m - row0);
        const int64_t ab = d.a_batch[batch];
        a_rows.resize(static_cast<size_t>(rows * d.k));
        for (int64_t i = 0; i < rows; ++i) {
          const int32_t z = a_zero[ab * d.m + row0 + i];
          const int64_t src = (ab * d.m + row0 + i) * d.k;
          for (int64_t kk = 0; kk < d.k; ++kk) a_rows[i * d.k + kk] = misc::int_element(*a, src + kk) - z;
        }
        const int64_t out_at = (batch * d.m + row0) * d.n;
        int32_t* c = qlinear_ ? (acc.resize(static_cast<size_t>(rows * d.n)), acc.data()) : y->data<int32_t>() + out_at;
        Eigen::Map<MatI> cm(c, rows, d.n);
        cm.noalias() = Eigen::Map<const MatI>(a_rows.data(), rows, d.k) *
                       Eigen::Map<const MatI>(bi + d.b_batch[batch] * d.k * d.n, d.k, d.n);
        if (qlinear_) {
          for (int64_t i = 0; i < rows * d.n; ++i) {
            const float mult = rq.multiplier[i % d.n];
            if (rq.out == DataType::kUInt8)
              y->data<uint8_t>()[out_at + i] = misc::requantize<uint8_t>(c[i], mult, rq.zero_point);
            else
              y->data<int8_t>()[out_at + i] = misc::requantize<int8_t>(c[i], mult, rq.zero_point);
          }
        }
        r += rows;
      }
    });
    return {};
  }

 private:
  Status read_requant(KernelContext& ctx, const MatMulDims& d, Requant& rq) const {
    const Node& node = *ctx.node;
    const Tensor *as = ctx.input(1), *bs = ctx.input(4), *ys = ctx.input(6), *yz = ctx.input(7);
    if (as == nullptr || bs == nullptr || ys == nullptr) return bad_node(node, "needs a_scale, b_scale and y_scale");
    for (const Tensor* s : {as, bs, ys})
      if (s->dtype() != DataType::kFloat32) return unsupported_dtype(node, s->dtype(), "scale");
    if (as->numel() != 1 || ys->numel() != 1)
      return unsupported_op(node.describe() + ": a_scale and y_scale must be per-tensor");
    if (yz != nullptr && yz->numel() != 1) return bad_node(node, "y_zero_point must be a scalar");
    rq.out = yz ? yz->dtype() : DataType::kUInt8;
    if (!misc::is_int8_or_uint8(rq.out)) return unsupported_dtype(node, rq.out, "output");
    rq.zero_point = yz ? misc::int_element(*yz, 0) : 0;
    BRAID_ASSIGN_OR_RETURN(std::vector<float> b_scale, misc::expand_per_element<float>(node, bs, 1, d.n, "b_scale"));
    const float y_scale = *ys->data<float>();
    if (!(y_scale != 0)) return bad_node(node, "y_scale must be non-zero");
    rq.multiplier.resize(static_cast<size_t>(d.n));
    for (int64_t j = 0; j < d.n; ++j) rq.multiplier[j] = *as->data<float>() * b_scale[j] / y_scale;
    return {};
  }

  bool qlinear_;
  std::optional<std::vector<int32_t>> packed_b_;
  Shape packed_b_shape_;
};

Result<std::unique_ptr<OpKernel>> make_integer_matmul(const KernelInit& init, bool qlinear) {
  const Node& node = *init.node;
  const size_t ib = qlinear ? 3 : 1, ibz = qlinear ? 5 : 3;
  if (!init.has_input(0) || !init.has_input(ib)) return bad_node(node, "needs inputs A and B");
  if (qlinear && (!init.has_input(1) || !init.has_input(4) || !init.has_input(6)))
    return bad_node(node, "needs a_scale, b_scale and y_scale");
  for (size_t i : {size_t{0}, ib}) {
    const DataType d = init.input_dtype(i);
    if (d != DataType::kUndefined && !misc::is_int8_or_uint8(d)) return unsupported_dtype(node, d);
  }
  if (qlinear) {
    for (size_t i : {size_t{1}, size_t{4}, size_t{6}}) {
      const DataType d = init.input_dtype(i);
      if (d != DataType::kUndefined && d != DataType::kFloat32) return unsupported_dtype(node, d, "scale");
    }
    const DataType out = init.has_input(7) ? init.input_dtype(7) : DataType::kUInt8;
    if (out != DataType::kUndefined && !misc::is_int8_or_uint8(out)) return unsupported_dtype(node, out, "output");
  }
  // Prepack a constant B (and its zero point) as int32.
  std::optional<std::vector<int32_t>> packed;
  Shape packed_shape;
  const Tensor* b = init.constant_input(ib);
  const Tensor* bz = init.constant_input(ibz);
  if (b && (!init.has_input(ibz) || bz) && misc::is_int8_or_uint8(b->dtype()) && b->rank() >= 2) {
    MatMulDims d;
    d.k = b->dim(b->rank() - 2);
    d.n = b->dim(b->rank() - 1);
    d.b_batches = d.k * d.n == 0 ? 0 : b->numel() / (d.k * d.n);
    BRAID_ASSIGN_OR_RETURN(std::vector<int32_t> adjusted, adjust_b(node, *b, bz, d));
    packed = std::move(adjusted);
    packed_shape = b->shape();
  }
  return std::unique_ptr<OpKernel>(new IntegerMatMulKernel(qlinear, std::move(packed), std::move(packed_shape)));
}

Result<std::unique_ptr<OpKernel>> make_matmul_integer(const KernelInit& init) { return make_integer_matmul(init, false); }
Result<std::unique_ptr<OpKernel>> make_qlinear_matmul(const KernelInit& init) { return make_integer_matmul(init, true); }

}  // namespace

void register_misc_quant_matmul_kernels(OpRegistry& r) {
  r.add({"", "MatMulInteger", 10, 1 << 30, make_matmul_integer});
  r.add({"", "QLinearMatMul", 10, 20, make_qlinear_matmul});
}

}  // namespace braid::detail
