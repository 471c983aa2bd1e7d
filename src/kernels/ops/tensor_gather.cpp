// Gather, GatherElements and GatherND. Indices (int32 or int64, negative ones counting
// from the end) are all checked before anything is copied, so a bad index is an error and
// never an out-of-bounds read. Gather and GatherND copy whole slices with memcpy.
#include <string>

#include "kernels/attributes.h"
#include "kernels/ops/tensor_common.h"
#include "kernels/ops/tensor_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace tensor_ops;
namespace {

// Calls fn(I{}) with the index element type of `t` (int32_t or int64_t).
template <class Fn>
Status with_index_type(const Node& node, const Tensor& t, Fn&& fn) {
  if (t.dtype() == DataType::kInt64) return fn(int64_t{});
  if (t.dtype() == DataType::kInt32) return fn(int32_t{});
  return bad_node(node, std::string("indices must be int32 or int64, not ") + dtype_name(t.dtype()));
}

Status check_index_dtype(const Node& node, DataType dt) {
  if (dt == DataType::kUndefined || dt == DataType::kInt32 || dt == DataType::kInt64) return {};
  return bad_node(node, std::string("indices must be int32 or int64, not ") + dtype_name(dt));
}

// Every index in [-dim, dim); an error naming the first that is not.
template <class I>
Status check_indices(const Node& node, const I* idx, int64_t n, int64_t dim) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = idx[i];
    if (v < -dim || v >= dim)
      return bad_node(node, "index " + std::to_string(v) + " (at " + std::to_string(i) + ") is out of range for a dim of " +
                                std::to_string(dim));
  }
  return {};
}

inline int64_t wrap(int64_t v, int64_t dim) { return v < 0 ? v + dim : v; }

class GatherKernel final : public OpKernel {
 public:
  explicit GatherKernel(int64_t axis) : axis_(axis) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* data = ctx.input(0);
    const Tensor* indices = ctx.input(1);
    if (data == nullptr || indices == nullptr) return bad_node(node, "needs data and indices");
    if (!is_fixed_size(data->dtype())) return unsupported_dtype(node, data->dtype());
    const int64_t r = data->rank();
    if (r == 0) return bad_node(node, "data must have rank >= 1");
    BRAID_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node, axis_, r));
    Shape out;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) {
      out.push_back(data->dim(d));
      outer *= data->dim(d);
    }
    for (int64_t s : indices->shape()) out.push_back(s);
    for (int64_t d = axis + 1; d < r; ++d) {
      out.push_back(data->dim(d));
      inner *= data->dim(d);
    }
    const int64_t dim = data->dim(axis);
    const int64_t n = indices->numel();
    return with_index_type(node, *indices, [&](auto tag) -> Status {
      using I = decltype(tag);
      const I* idx = indices->data<I>();
      BRAID_RETURN_IF_ERROR(check_indices(node, idx, n, dim));
      BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, data->dtype(), out));
      if (y->numel() == 0) return {};
      const size_t elem = dtype_size(data->dtype());
      const int64_t rows = outer * n;
      if (inner == 1) {
        dispatch_elem_size(elem, [&](auto etag) {
          using T = decltype(etag);
          const T* src = data->data<T>();
          T* dst = y->data<T>();
          parallel_for_range(rows, kCopyGrainBytes / static_cast<int64_t>(elem), ctx.max_threads,
                             [&](int64_t b, int64_t e) {
                               for (int64_t i = b; i < e; ++i)
                                 dst[i] = src[(i / n) * dim + wrap(idx[i % n], dim)];
                             });
        });
        return {};
      }
      const int64_t run = inner * static_cast<int64_t>(elem);
      const char* src = static_cast<const char*>(data->raw_data());
      char* dst = static_cast<char*>(y->raw_data());
      parallel_for_range(rows, copy_grain_rows(run), ctx.max_threads, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          const int64_t o = i / n, k = i % n;
          std::memcpy(dst + i * run, src + (o * dim + wrap(idx[k], dim)) * run, static_cast<size_t>(run));
        }
      });
      return {};
    });
  }

 private:
  int64_t axis_;
};

Result<std::unique_ptr<OpKernel>> make_gather(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(n, "needs data and indices");
  BRAID_RETURN_IF_ERROR(check_movable_dtype(n, init.input_dtype(0)));
  BRAID_RETURN_IF_ERROR(check_index_dtype(n, init.input_dtype(1)));
  return std::unique_ptr<OpKernel>(new GatherKernel(attr_int(n, "axis", 0)));
}

class GatherElementsKernel final : public OpKernel {
 public:
  explicit GatherElementsKernel(int64_t axis) : axis_(axis) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* data = ctx.input(0);
    const Tensor* indices = ctx.input(1);
    if (data == nullptr || indices == nullptr) return bad_node(node, "needs data and indices");
    if (!is_fixed_size(data->dtype())) return unsupported_dtype(node, data->dtype());
    const int64_t r = data->rank();
    if (r == 0) return bad_node(node, "data must have rank >= 1");
    if (indices->rank() != r) return bad_node(node, "indices must have the rank of data");
    BRAID_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node, axis_, r));
    for (int64_t d = 0; d < r; ++d)
      if (d != axis && indices->dim(d) > data->dim(d))
        return bad_node(node, "indices shape " + shape_to_string(indices->shape()) + " exceeds data shape " +
                                  shape_to_string(data->shape()) + " off the axis");
    const int64_t dim = data->dim(axis);
    return with_index_type(node, *indices, [&](auto tag) -> Status {
      using I = decltype(tag);
      const I* idx = indices->data<I>();
      const int64_t n = indices->numel();
      BRAID_RETURN_IF_ERROR(check_indices(node, idx, n, dim));
      BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, data->dtype(), indices->shape()));
      if (n == 0) return {};
      std::vector<int64_t> strides = row_major_strides(data->shape());
      const int64_t axis_stride = strides[axis];
      strides[axis] = 0;
      // Walk indices rows (all dims but the last) and their last dim by hand.
      const int64_t cols = indices->dim(r - 1);
      const int64_t col_stride = strides[r - 1];
      const int64_t rows = n / cols;
      dispatch_elem_size(dtype_size(data->dtype()), [&](auto etag) {
        using T = decltype(etag);
        const T* src = data->data<T>();
        T* dst = y->data<T>();
        parallel_for_range(rows, copy_grain_rows(cols * static_cast<int64_t>(sizeof(T))), ctx.max_threads,
                           [&](int64_t b, int64_t e) {
                             StridedCursor cur(indices->shape().data(), strides.data(), static_cast<int>(r - 1), b);
                             for (int64_t row = b; row < e; ++row, cur.next()) {
                               for (int64_t c = 0; c < cols; ++c) {
                                 const int64_t i = row * cols + c;
                                 dst[i] = src[cur.offset() + c * col_stride + wrap(idx[i], dim) * axis_stride];
                               }
                             }
                           });
      });
      return {};
    });
  }

 private:
  int64_t axis_;
};

Result<std::unique_ptr<OpKernel>> make_gather_elements(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(n, "needs data and indices");
  BRAID_RETURN_IF_ERROR(check_movable_dtype(n, init.input_dtype(0)));
  BRAID_RETURN_IF_ERROR(check_index_dtype(n, init.input_dtype(1)));
  return std::unique_ptr<OpKernel>(new GatherElementsKernel(attr_int(n, "axis", 0)));
}

class GatherNDKernel final : public OpKernel {
 public:
  explicit GatherNDKernel(int64_t batch_dims) : batch_dims_(batch_dims) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* data = ctx.input(0);
    const Tensor* indices = ctx.input(1);
    if (data == nullptr || indices == nullptr) return bad_node(node, "needs data and indices");
    if (!is_fixed_size(data->dtype())) return unsupported_dtype(node, data->dtype());
    if (indices->dtype() != DataType::kInt64) return bad_node(node, "indices must be int64");
    const int64_t r = data->rank(), q = indices->rank(), b = batch_dims_;
    if (r < 1 || q < 1) return bad_node(node, "data and indices must have rank >= 1");
    if (b < 0 || b >= std::min(r, q)) return bad_node(node, "batch_dims " + std::to_string(b) + " is out of range");
    const int64_t k = indices->dim(q - 1);
    if (k < 1 || k > r - b)
      return bad_node(node, "indices' last dim " + std::to_string(k) + " must be in [1, " + std::to_string(r - b) + "]");
    for (int64_t d = 0; d < b; ++d)
      if (indices->dim(d) != data->dim(d)) return bad_node(node, "batch dims of data and indices differ");
    Shape out(indices->shape().begin(), indices->shape().end() - 1);
    int64_t slice = 1;
    for (int64_t d = b + k; d < r; ++d) {
      out.push_back(data->dim(d));
      slice *= data->dim(d);
    }
    const std::vector<int64_t> strides = row_major_strides(data->shape());
    int64_t batches = 1;
    for (int64_t d = 0; d < b; ++d) batches *= data->dim(d);
    const int64_t batch_stride = b > 0 ? strides[b - 1] : 0;
    const int64_t tuples = indices->numel() / k;  // across all batches
    const int64_t per_batch = batches > 0 ? tuples / batches : 0;
    const int64_t* idx = indices->data<int64_t>();
    // Check every tuple before copying anything.
    for (int64_t t = 0; t < tuples; ++t)
      for (int64_t j = 0; j < k; ++j) {
        const int64_t v = idx[t * k + j], dim = data->dim(b + j);
        if (v < -dim || v >= dim)
          return bad_node(node, "index " + std::to_string(v) + " is out of range for dim " + std::to_string(b + j) +
                                    " of size " + std::to_string(dim));
      }
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, data->dtype(), out));
    if (y->numel() == 0) return {};
    const int64_t run = slice * static_cast<int64_t>(dtype_size(data->dtype()));
    const char* src = static_cast<const char*>(data->raw_data());
    char* dst = static_cast<char*>(y->raw_data());
    parallel_for_range(tuples, copy_grain_rows(run), ctx.max_threads, [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        int64_t off = (t / per_batch) * batch_stride;
        for (int64_t j = 0; j < k; ++j) off += wrap(idx[t * k + j], data->dim(b + j)) * strides[b + j];
        std::memcpy(dst + t * run, src + off * static_cast<int64_t>(dtype_size(data->dtype())), static_cast<size_t>(run));
      }
    });
    return {};
  }

 private:
  int64_t batch_dims_;
};

Result<std::unique_ptr<OpKernel>> make_gather_nd(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(n, "needs data and indices");
  BRAID_RETURN_IF_ERROR(check_movable_dtype(n, init.input_dtype(0)));
  DataType it = init.input_dtype(1);
  if (it != DataType::kUndefined && it != DataType::kInt64) return bad_node(n, "indices must be int64");
  return std::unique_ptr<OpKernel>(new GatherNDKernel(attr_int(n, "batch_dims", 0)));
}

}  // namespace

void register_tensor_gather_ops(OpRegistry& r) {
  r.add({"", "Gather", 1, 1 << 30, make_gather});
  r.add({"", "GatherElements", 11, 1 << 30, make_gather_elements});
  r.add({"", "GatherND", 11, 1 << 30, make_gather_nd});
}

}  // namespace braid::detail
