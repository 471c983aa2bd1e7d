// Expand and Tile, both as one broadcast copy: Tile of [d0, d1] by [r0, r1] is the
// broadcast of [1, d0, 1, d1] to [r0, d0, r1, d1]. Dims of one kind (repeated or copied)
// that sit next to each other merge, so the innermost copied dims become one memcpy run.
#include <string>

#include "kernels/attributes.h"
#include "kernels/ops/tensor_common.h"
#include "kernels/ops/tensor_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace tensor_ops;
namespace {

// Writes dst (shape out) from src (shape in, same rank, in[i] either 1 or out[i]).
void broadcast_copy(const void* src_v, const Shape& in, const Shape& out, size_t elem, void* dst_v, int max_threads) {
  // Merge dims: drop out==1, fuse neighbours of the same kind (copied: in==out, repeated: in==1).
  std::vector<int64_t> dims, src_strides;
  std::vector<bool> copied;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 1) continue;
    const bool c = in[i] == out[i];
    if (!dims.empty() && copied.back() == c) {
      dims.back() *= out[i];
    } else {
      dims.push_back(out[i]);
      copied.push_back(c);
    }
  }
  if (dims.empty()) {
    dims.push_back(1);
    copied.push_back(true);
  }
  const int r = static_cast<int>(dims.size());
  src_strides.assign(dims.size(), 0);
  int64_t acc = 1;
  for (int i = r - 1; i >= 0; --i) {
    if (copied[i]) {
      src_strides[i] = acc;
      acc *= dims[i];
    }
  }
  int64_t total = 1;
  for (int64_t d : dims) total *= d;
  const int64_t cols = dims[r - 1];
  const int64_t rows = total / cols;
  const bool inner_copied = copied[r - 1];
  dispatch_elem_size(elem, [&](auto tag) {
    using T = decltype(tag);
    const T* src = static_cast<const T*>(src_v);
    T* dst = static_cast<T*>(dst_v);
    parallel_for_range(rows, copy_grain_rows(cols * static_cast<int64_t>(sizeof(T))), max_threads,
                       [&](int64_t b, int64_t e) {
                         StridedCursor cur(dims.data(), src_strides.data(), r - 1, b);
                         for (int64_t row = b; row < e; ++row, cur.next()) {
                           T* o = dst + row * cols;
                           if (inner_copied)
                             std::memcpy(o, src + cur.offset(), static_cast<size_t>(cols) * sizeof(T));
                           else
                             std::fill_n(o, cols, src[cur.offset()]);
                         }
                       });
  });
}

class ExpandKernel final : public OpKernel {
 public:
  explicit ExpandKernel(IntList shape) : shape_(std::move(shape)) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(node, "missing input");
    if (!is_fixed_size(x->dtype())) return unsupported_dtype(node, x->dtype());
    BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> req, shape_.get(ctx));
    const size_t r = std::max(req.size(), x->shape().size());
    Shape in(r, 1), out(r, 1);
    for (size_t i = 0; i < x->shape().size(); ++i) in[r - x->shape().size() + i] = x->shape()[i];
    for (size_t i = 0; i < req.size(); ++i) {
      const int64_t b = req[i];
      const size_t d = r - req.size() + i;
      if (b < 0) return bad_node(node, "shape " + shape_to_string(req) + " has a negative dim");
      const int64_t a = in[d];
      if (a != b && a != 1 && b != 1)
        return bad_node(node, "cannot expand " + shape_to_string(x->shape()) + " to " + shape_to_string(req));
      out[d] = b == 1 ? a : b;
    }
    for (size_t d = 0; d < r - req.size(); ++d) out[d] = in[d];
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x->dtype(), out));
    if (y->numel() == 0) return {};
    broadcast_copy(x->raw_data(), in, out, dtype_size(x->dtype()), y->raw_data(), ctx.max_threads);
    return {};
  }

 private:
  IntList shape_;
};

Result<std::unique_ptr<OpKernel>> make_expand(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(n, "needs an input and a shape");
  BRAID_RETURN_IF_ERROR(check_movable_dtype(n, init.input_dtype(0)));
  BRAID_ASSIGN_OR_RETURN(IntList shape, IntList::input(init, 1, "shape"));
  return std::unique_ptr<OpKernel>(new ExpandKernel(std::move(shape)));
}

class TileKernel final : public OpKernel {
 public:
  explicit TileKernel(bool axis_form) : axis_form_(axis_form) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    const Tensor* reps_t = ctx.input(1);
    if (x == nullptr || reps_t == nullptr) return bad_node(node, "needs an input and repeats");
    if (!is_fixed_size(x->dtype())) return unsupported_dtype(node, x->dtype());
    const int64_t r = x->rank();
    std::vector<int64_t> reps;
    if (axis_form_) {
      // Tile-1: `tiles` copies along `axis`.
      const Tensor* axis_t = ctx.input(2);
      if (axis_t == nullptr) return bad_node(node, "needs an axis input");
      BRAID_ASSIGN_OR_RETURN(int64_t tiles, read_int_scalar(node, *reps_t, "tiles"));
      BRAID_ASSIGN_OR_RETURN(int64_t axis_raw, read_int_scalar(node, *axis_t, "axis"));
      BRAID_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node, axis_raw, r));
      reps.assign(static_cast<size_t>(r), 1);
      reps[axis] = tiles;
    } else {
      BRAID_ASSIGN_OR_RETURN(reps, read_int_tensor(node, *reps_t, "repeats"));
    }
    if (static_cast<int64_t>(reps.size()) != r)
      return bad_node(node, "repeats has " + std::to_string(reps.size()) + " entries for a rank-" + std::to_string(r) +
                                " input");
    Shape in2(2 * r), out2(2 * r), out(r);
    for (int64_t d = 0; d < r; ++d) {
      if (reps[d] < 0) return bad_node(node, "repeats has a negative entry");
      BRAID_ASSIGN_OR_RETURN(out[d], checked_mul(node, x->dim(d), reps[d]));
      in2[2 * d] = 1;
      in2[2 * d + 1] = x->dim(d);
      out2[2 * d] = reps[d];
      out2[2 * d + 1] = x->dim(d);
    }
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x->dtype(), out));
    if (y->numel() == 0) return {};
    broadcast_copy(x->raw_data(), in2, out2, dtype_size(x->dtype()), y->raw_data(), ctx.max_threads);
    return {};
  }

 private:
  bool axis_form_;
};

Result<std::unique_ptr<OpKernel>> make_tile(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(n, "needs an input and repeats");
  BRAID_RETURN_IF_ERROR(check_movable_dtype(n, init.input_dtype(0)));
  return std::unique_ptr<OpKernel>(new TileKernel(init.opset() < 6));
}

}  // namespace

void register_tensor_expand_tile_ops(OpRegistry& r) {
  r.add({"", "Expand", 8, 1 << 30, make_expand});
  r.add({"", "Tile", 1, 1 << 30, make_tile});
}

}  // namespace braid::detail
