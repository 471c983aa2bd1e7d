// Index-driven ops: Trilu, OneHot, NonZero, Compress and ReverseSequence. They move
// elements by size (any fixed-size dtype); every index from an input is range-checked.
#include <string>

#include "kernels/attributes.h"
#include "kernels/dispatch.h"
#include "kernels/ops/tensor_common.h"
#include "kernels/ops/tensor_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace tensor_ops;
namespace {

// ------------------------------------------------------------------------------- Trilu

class TriluKernel final : public OpKernel {
 public:
  explicit TriluKernel(bool upper) : upper_(upper) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(node, "missing input");
    if (!is_fixed_size(x->dtype())) return unsupported_dtype(node, x->dtype());
    if (x->rank() < 2) return bad_node(node, "input must have rank >= 2");
    int64_t k = 0;
    if (const Tensor* kt = ctx.input(1)) {
      BRAID_ASSIGN_OR_RETURN(k, read_int_scalar(node, *kt, "k"));
    }
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, x->dtype(), x->shape()));
    if (y->numel() == 0) return {};
    const int64_t rows = x->dim(x->rank() - 2), cols = x->dim(x->rank() - 1);
    k = std::clamp(k, -(rows + cols), rows + cols);
    const int64_t elem = static_cast<int64_t>(dtype_size(x->dtype()));
    const int64_t total_rows = x->numel() / cols;
    const char* src = static_cast<const char*>(x->raw_data());
    char* dst = static_cast<char*>(y->raw_data());
    const bool upper = upper_;
    parallel_for_range(total_rows, copy_grain_rows(cols * elem), ctx.max_threads, [&](int64_t b, int64_t e) {
      for (int64_t row = b; row < e; ++row) {
        const int64_t i = row % rows;
        // Kept columns [lo, hi): j - i >= k for upper, j - i <= k for lower.
        const int64_t lo = upper ? std::clamp<int64_t>(i + k, 0, cols) : 0;
        const int64_t hi = upper ? cols : std::clamp<int64_t>(i + k + 1, 0, cols);
        char* o = dst + row * cols * elem;
        const char* s = src + row * cols * elem;
        std::memset(o, 0, static_cast<size_t>(lo * elem));
        if (hi > lo) std::memcpy(o + lo * elem, s + lo * elem, static_cast<size_t>((hi - lo) * elem));
        std::memset(o + std::max(hi, lo) * elem, 0, static_cast<size_t>((cols - std::max(hi, lo)) * elem));
      }
    });
    return {};
  }

 private:
  bool upper_;
};

Result<std::unique_ptr<OpKernel>> make_trilu(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0)) return bad_node(n, "needs an input");
  BRAID_RETURN_IF_ERROR(check_movable_dtype(n, init.input_dtype(0)));
  return std::unique_ptr<OpKernel>(new TriluKernel(attr_int(n, "upper", 1) != 0));
}

// ------------------------------------------------------------------------------ OneHot

// Calls fn(T{}) for a numeric dtype's element type; an error for others.
template <class Fn>
Status with_numeric_type(const Node& node, DataType dt, const char* what, Fn&& fn) {
  return dispatch_dtype_or<float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t>(
      dt, [&](auto tag) -> Status { return fn(tag); }, [&]() -> Status { return unsupported_dtype(node, dt, what); });
}

class OneHotKernel final : public OpKernel {
 public:
  explicit OneHotKernel(int64_t axis) : axis_(axis) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* indices = ctx.input(0);
    const Tensor* depth_t = ctx.input(1);
    const Tensor* values = ctx.input(2);
    if (indices == nullptr || depth_t == nullptr || values == nullptr)
      return bad_node(node, "needs indices, depth and values");
    if (!is_fixed_size(values->dtype())) return unsupported_dtype(node, values->dtype(), "values");
    if (values->numel() != 2) return bad_node(node, "values must hold [off_value, on_value]");
    BRAID_ASSIGN_OR_RETURN(double depth_d, read_numeric_scalar(node, *depth_t, "depth"));
    if (!(depth_d >= 1) || depth_d > static_cast<double>(int64_t{1} << 40))
      return bad_node(node, "depth must be a positive count");
    const int64_t depth = static_cast<int64_t>(depth_d);
    const int64_t r = indices->rank();
    BRAID_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node, axis_, r + 1));
    Shape out;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < r; ++d) (d < axis ? outer : inner) *= indices->dim(d);
    for (int64_t d = 0; d < axis; ++d) out.push_back(indices->dim(d));
    out.push_back(depth);
    for (int64_t d = axis; d < r; ++d) out.push_back(indices->dim(d));
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, values->dtype(), out));
    if (y->numel() == 0) return {};
    const size_t elem = dtype_size(values->dtype());
    const char* vals = static_cast<const char*>(values->raw_data());
    uint64_t off = 0, on = 0;
    std::memcpy(&off, vals, elem);
    std::memcpy(&on, vals + elem, elem);
    fill_bits(y->raw_data(), y->numel(), elem, off);
    char* dst = static_cast<char*>(y->raw_data());
    return with_numeric_type(node, indices->dtype(), "indices", [&](auto tag) -> Status {
      using I = decltype(tag);
      const I* idx = indices->data<I>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          const double raw = static_cast<double>(idx[o * inner + i]);
          if (!(raw >= static_cast<double>(-depth) && raw < static_cast<double>(depth))) continue;  // all off
          int64_t v = static_cast<int64_t>(raw);
          if (v < 0) v += depth;
          std::memcpy(dst + ((o * depth + v) * inner + i) * static_cast<int64_t>(elem), &on, elem);
        }
      }
      return {};
    });
  }

 private:
  int64_t axis_;
};

Result<std::unique_ptr<OpKernel>> make_one_hot(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0) || !init.has_input(1) || !init.has_input(2))
    return bad_node(n, "needs indices, depth and values");
  BRAID_RETURN_IF_ERROR(check_movable_dtype(n, init.input_dtype(2), "values"));
  DataType it = init.input_dtype(0);
  if (it != DataType::kUndefined && (it == DataType::kBool || it == DataType::kFloat16 || it == DataType::kBFloat16 ||
                                     !is_fixed_size(it)))
    return unsupported_dtype(n, it, "indices");
  return std::unique_ptr<OpKernel>(new OneHotKernel(attr_int(n, "axis", -1)));
}

// ----------------------------------------------------------------------------- NonZero

// Whether an element is non-zero from its bits: floats ignore the sign bit (-0.0 is zero).
uint64_t nonzero_mask(DataType dt) {
  switch (dt) {
    case DataType::kFloat32: return 0x7FFFFFFFull;
    case DataType::kFloat64: return 0x7FFFFFFFFFFFFFFFull;
    case DataType::kFloat16: case DataType::kBFloat16: return 0x7FFFull;
    default: return ~0ull;
  }
}

class NonZeroKernel final : public OpKernel {
 public:
  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(node, "missing input");
    if (!is_fixed_size(x->dtype())) return unsupported_dtype(node, x->dtype());
    const uint64_t mask = nonzero_mask(x->dtype());
    const int64_t n = x->numel();
    const int64_t r = std::max<int64_t>(1, x->rank());  // a scalar reports as 1-D
    Shape dims = x->rank() == 0 ? Shape{1} : x->shape();
    Status st;
    dispatch_elem_size(dtype_size(x->dtype()), [&](auto tag) {
      using T = decltype(tag);
      const T* p = x->data<T>();
      const T m = static_cast<T>(mask);
      int64_t nnz = 0;
      for (int64_t i = 0; i < n; ++i) nnz += (p[i] & m) != 0;
      auto y = ctx.allocate_output(0, DataType::kInt64, {r, nnz});
      if (!y.ok()) {
        st = y.status();
        return;
      }
      int64_t* out = (*y)->data<int64_t>();
      std::vector<int64_t> idx(static_cast<size_t>(r), 0);
      int64_t k = 0;
      for (int64_t i = 0; i < n; ++i) {
        if ((p[i] & m) != 0) {
          for (int64_t d = 0; d < r; ++d) out[d * nnz + k] = idx[d];
          ++k;
        }
        for (int64_t d = r - 1; d >= 0; --d) {
          if (++idx[d] < dims[d]) break;
          idx[d] = 0;
        }
      }
    });
    return st;
  }
};

Result<std::unique_ptr<OpKernel>> make_non_zero(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0)) return bad_node(n, "needs an input");
  BRAID_RETURN_IF_ERROR(check_movable_dtype(n, init.input_dtype(0)));
  return std::unique_ptr<OpKernel>(new NonZeroKernel());
}

// ---------------------------------------------------------------------------- Compress

class CompressKernel final : public OpKernel {
 public:
  explicit CompressKernel(std::optional<int64_t> axis) : axis_(axis) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    const Tensor* cond = ctx.input(1);
    if (x == nullptr || cond == nullptr) return bad_node(node, "needs an input and a condition");
    if (!is_fixed_size(x->dtype())) return unsupported_dtype(node, x->dtype());
    if (cond->dtype() != DataType::kBool) return bad_node(node, "condition must be bool");
    if (cond->rank() != 1) return bad_node(node, "condition must be 1-D");
    int64_t outer = 1, dim = x->numel(), inner = 1;
    int64_t axis = -1;
    if (axis_) {
      BRAID_ASSIGN_OR_RETURN(axis, normalize_axis(node, *axis_, x->rank()));
      dim = x->dim(axis);
      for (int64_t d = 0; d < x->rank(); ++d) {
        if (d < axis) outer *= x->dim(d);
        if (d > axis) inner *= x->dim(d);
      }
    }
    const uint8_t* c = cond->data<uint8_t>();
    std::vector<int64_t> picked;
    for (int64_t i = 0; i < cond->numel(); ++i) {
      if (!c[i]) continue;
      if (i >= dim)
        return bad_node(node, "condition selects index " + std::to_string(i) + " of a dim of " + std::to_string(dim));
      picked.push_back(i);
    }
    Shape out;
    if (axis_) {
      out = x->shape();
      out[axis] = static_cast<int64_t>(picked.size());
    } else {
      out = {static_cast<int64_t>(picked.size())};
    }
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x->dtype(), out));
    if (y->numel() == 0) return {};
    const int64_t run = inner * static_cast<int64_t>(dtype_size(x->dtype()));
    const char* src = static_cast<const char*>(x->raw_data());
    char* dst = static_cast<char*>(y->raw_data());
    for (int64_t o = 0; o < outer; ++o) {
      // Consecutive picked indices move as one run.
      for (size_t k = 0; k < picked.size();) {
        size_t end = k + 1;
        while (end < picked.size() && picked[end] == picked[end - 1] + 1) ++end;
        const size_t bytes = static_cast<size_t>(static_cast<int64_t>(end - k) * run);
        std::memcpy(dst, src + (o * dim + picked[k]) * run, bytes);
        dst += bytes;
        k = end;
      }
    }
    return {};
  }

 private:
  std::optional<int64_t> axis_;
};

Result<std::unique_ptr<OpKernel>> make_compress(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(n, "needs an input and a condition");
  BRAID_RETURN_IF_ERROR(check_movable_dtype(n, init.input_dtype(0)));
  std::optional<int64_t> axis;
  if (has_attr(n, "axis")) axis = attr_int(n, "axis", 0);
  return std::unique_ptr<OpKernel>(new CompressKernel(axis));
}

// ---------------------------------------------------------------------- ReverseSequence

class ReverseSequenceKernel final : public OpKernel {
 public:
  ReverseSequenceKernel(int64_t time_axis, int64_t batch_axis) : time_axis_(time_axis), batch_axis_(batch_axis) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    const Tensor* lens_t = ctx.input(1);
    if (x == nullptr || lens_t == nullptr) return bad_node(node, "needs an input and sequence_lens");
    if (!is_fixed_size(x->dtype())) return unsupported_dtype(node, x->dtype());
    if (x->rank() < 2) return bad_node(node, "input must have rank >= 2");
    const int64_t max_time = x->dim(time_axis_), batch = x->dim(batch_axis_);
    BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> lens, read_int_tensor(node, *lens_t, "sequence_lens"));
    if (static_cast<int64_t>(lens.size()) != batch)
      return bad_node(node, "sequence_lens has " + std::to_string(lens.size()) + " entries for a batch of " +
                                std::to_string(batch));
    for (int64_t l : lens)
      if (l < 0 || l > max_time)
        return bad_node(node, "sequence length " + std::to_string(l) + " is outside [0, " + std::to_string(max_time) + "]");
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, x->dtype(), x->shape()));
    if (y->numel() == 0) return {};
    const std::vector<int64_t> strides = row_major_strides(x->shape());
    const int64_t elem = static_cast<int64_t>(dtype_size(x->dtype()));
    const int64_t run = strides[1] * elem;  // dims after the first two
    const int64_t ts = strides[time_axis_] * elem, bs = strides[batch_axis_] * elem;
    const char* src = static_cast<const char*>(x->raw_data());
    char* dst = static_cast<char*>(y->raw_data());
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t t = 0; t < max_time; ++t) {
        const int64_t from = t < lens[b] ? lens[b] - 1 - t : t;
        std::memcpy(dst + t * ts + b * bs, src + from * ts + b * bs, static_cast<size_t>(run));
      }
    }
    return {};
  }

 private:
  int64_t time_axis_, batch_axis_;
};

Result<std::unique_ptr<OpKernel>> make_reverse_sequence(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(n, "needs an input and sequence_lens");
  BRAID_RETURN_IF_ERROR(check_movable_dtype(n, init.input_dtype(0)));
  const int64_t time_axis = attr_int(n, "time_axis", 0), batch_axis = attr_int(n, "batch_axis", 1);
  if (!((time_axis == 0 && batch_axis == 1) || (time_axis == 1 && batch_axis == 0)))
    return bad_node(n, "time_axis and batch_axis must be 0 and 1 in some order");
  return std::unique_ptr<OpKernel>(new ReverseSequenceKernel(time_axis, batch_axis));
}

}  // namespace

void register_tensor_index_ops(OpRegistry& r) {
  r.add({"", "Trilu", 14, 1 << 30, make_trilu});
  r.add({"", "OneHot", 9, 1 << 30, make_one_hot});
  r.add({"", "NonZero", 9, 1 << 30, make_non_zero});
  r.add({"", "Compress", 9, 1 << 30, make_compress});
  r.add({"", "ReverseSequence", 10, 1 << 30, make_reverse_sequence});
}

}  // namespace braid::detail
