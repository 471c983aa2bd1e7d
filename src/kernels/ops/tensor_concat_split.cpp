// Concat and Split. Both see the joined tensor as `outer` rows, each row the pieces of
// every part laid end to end; the work is split by byte ranges of the joined tensor, so a
// batch-1 channel concat splits as evenly as a large-batch one. Every piece is a memcpy.
#include <string>

#include "kernels/attributes.h"
#include "kernels/dims.h"
#include "kernels/ops/tensor_common.h"
#include "kernels/ops/tensor_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace tensor_ops;
namespace {

// The joined tensor as rows of parts: part k holds piece_bytes[k] bytes of every row.
// Inline lists: no heap allocation per call for up to 8 parts.
struct RowLayout {
  int64_t outer = 1;
  int64_t row_bytes = 0;
  Dims piece_bytes;
  Dims piece_start;  // byte offset of part k within a row
};
using PartList = InlineVector<char*, 8>;

// Copies between the joined tensor and its parts over joined bytes [0, total): to_joined
// copies parts -> joined (Concat), otherwise joined -> parts (Split).
void copy_rows(const RowLayout& l, char* joined, std::span<char* const> parts, bool to_joined, int max_threads) {
  const int64_t total = l.outer * l.row_bytes;
  const size_t nparts = l.piece_bytes.size();
  parallel_for_range(total, kCopyGrainBytes, max_threads, [&](int64_t b, int64_t e) {
    int64_t row = b / l.row_bytes;
    int64_t off = b % l.row_bytes;
    size_t k = 0;
    while (off >= l.piece_start[k] + l.piece_bytes[k]) ++k;
    for (int64_t pos = b; pos < e;) {
      const int64_t in_piece = off - l.piece_start[k];
      const int64_t n = std::min(e - pos, l.piece_bytes[k] - in_piece);
      char* part = parts[k] + row * l.piece_bytes[k] + in_piece;
      if (n > 0) {
        if (to_joined)
          std::memcpy(joined + pos, part, static_cast<size_t>(n));
        else
          std::memcpy(part, joined + pos, static_cast<size_t>(n));
      }
      pos += n;
      off += n;
      if (off - l.piece_start[k] == l.piece_bytes[k]) {
        if (++k == nparts) {
          k = 0;
          off = 0;
          ++row;
        }
      }
    }
  });
}

class ConcatKernel final : public OpKernel {
 public:
  explicit ConcatKernel(int64_t axis) : axis_(axis) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    if (ctx.num_inputs() == 0 || ctx.input(0) == nullptr) return bad_node(node, "needs at least one input");
    const Tensor& first = *ctx.input(0);
    if (!is_fixed_size(first.dtype())) return unsupported_dtype(node, first.dtype());
    const int64_t r = first.rank();
    if (r == 0) return bad_node(node, "cannot concatenate scalars");
    BRAID_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node, axis_, r));
    Dims out(first.shape());
    out[axis] = 0;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor* t = ctx.input(i);
      if (t == nullptr) return bad_node(node, "input " + std::to_string(i) + " is missing");
      if (t->dtype() != first.dtype()) return bad_node(node, "inputs have different dtypes");
      bool same = t->rank() == r;
      for (int64_t d = 0; same && d < r; ++d) same = d == axis || t->dim(d) == first.dim(d);
      if (!same)
        return bad_node(node, "input " + std::to_string(i) + " has shape " + shape_to_string(t->shape()) +
                                  ", incompatible with " + shape_to_string(first.shape()) + " on axis " +
                                  std::to_string(axis));
      BRAID_ASSIGN_OR_RETURN(out[axis], checked_add(node, out[axis], t->dim(axis)));
    }
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, first.dtype(), std::span<const int64_t>(out)));
    if (y->numel() == 0) return {};
    const int64_t elem = static_cast<int64_t>(dtype_size(first.dtype()));
    RowLayout l;
    int64_t inner = elem;
    for (int64_t d = 0; d < r; ++d) {
      if (d < axis) l.outer *= out[d];
      if (d > axis) inner *= out[d];
    }
    PartList parts;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      l.piece_start.push_back(l.row_bytes);
      l.piece_bytes.push_back(ctx.input(i)->dim(axis) * inner);
      l.row_bytes += l.piece_bytes.back();
      parts.push_back(static_cast<char*>(const_cast<void*>(ctx.input(i)->raw_data())));
    }
    copy_rows(l, static_cast<char*>(y->raw_data()), std::span<char* const>(parts.data(), parts.size()),
              /*to_joined=*/true, ctx.max_threads);
    return {};
  }

 private:
  int64_t axis_;
};

Result<std::unique_ptr<OpKernel>> make_concat(const KernelInit& init) {
  const Node& n = *init.node;
  if (init.num_inputs() == 0) return bad_node(n, "needs at least one input");
  for (size_t i = 0; i < init.num_inputs(); ++i) {
    if (!init.has_input(i)) return bad_node(n, "input " + std::to_string(i) + " is missing");
    BRAID_RETURN_IF_ERROR(check_movable_dtype(n, init.input_dtype(i)));
  }
  if (init.opset() >= 4 && !has_attr(n, "axis")) return bad_node(n, "needs an 'axis' attribute");
  return std::unique_ptr<OpKernel>(new ConcatKernel(attr_int(n, "axis", 1)));
}

class SplitKernel final : public OpKernel {
 public:
  SplitKernel(int64_t axis, IntList split) : axis_(axis), split_(std::move(split)) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(node, "missing input");
    if (!is_fixed_size(x->dtype())) return unsupported_dtype(node, x->dtype());
    const int64_t r = x->rank();
    if (r == 0) return bad_node(node, "cannot split a scalar");
    BRAID_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node, axis_, r));
    const int64_t dim = x->dim(axis);
    const int64_t nout = static_cast<int64_t>(ctx.outputs.size());
    std::vector<int64_t> sizes;
    if (split_.present()) {
      BRAID_ASSIGN_OR_RETURN(sizes, split_.get(ctx));
    }
    if (sizes.empty()) {
      if (nout == 0 || dim % nout != 0)
        return bad_node(node, "cannot split dim " + std::to_string(dim) + " into " + std::to_string(nout) +
                                  " equal parts");
      sizes.assign(static_cast<size_t>(nout), dim / nout);
    }
    if (static_cast<int64_t>(sizes.size()) != nout)
      return bad_node(node, "split has " + std::to_string(sizes.size()) + " entries for " + std::to_string(nout) +
                                " outputs");
    int64_t sum = 0;
    for (int64_t s : sizes) {
      if (s < 0) return bad_node(node, "split has a negative size " + std::to_string(s));
      BRAID_ASSIGN_OR_RETURN(sum, checked_add(node, sum, s));
    }
    if (sum != dim)
      return bad_node(node, "split sizes sum to " + std::to_string(sum) + ", not the axis dim " + std::to_string(dim));
    const int64_t elem = static_cast<int64_t>(dtype_size(x->dtype()));
    RowLayout l;
    int64_t inner = elem;
    for (int64_t d = 0; d < r; ++d) {
      if (d < axis) l.outer *= x->dim(d);
      if (d > axis) inner *= x->dim(d);
    }
    PartList parts;
    for (int64_t k = 0; k < nout; ++k) {
      Shape s = x->shape();
      s[axis] = sizes[k];
      BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(static_cast<size_t>(k), x->dtype(), std::move(s)));
      l.piece_start.push_back(l.row_bytes);
      l.piece_bytes.push_back(sizes[k] * inner);
      l.row_bytes += l.piece_bytes.back();
      parts.push_back(static_cast<char*>(y->raw_data()));
    }
    if (x->numel() == 0) return {};
    copy_rows(l, static_cast<char*>(const_cast<void*>(x->raw_data())),
              std::span<char* const>(parts.data(), parts.size()), /*to_joined=*/false, ctx.max_threads);
    return {};
  }

 private:
  int64_t axis_;
  IntList split_;
};

Result<std::unique_ptr<OpKernel>> make_split(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0)) return bad_node(n, "needs an input");
  if (init.num_outputs() == 0) return bad_node(n, "needs at least one output");
  BRAID_RETURN_IF_ERROR(check_movable_dtype(n, init.input_dtype(0)));
  IntList split;
  if (init.opset() >= 13 || (init.opset() == 1 && init.has_input(1))) {
    BRAID_ASSIGN_OR_RETURN(split, IntList::input(init, 1, "split"));
  } else if (has_attr(n, "split")) {
    split = IntList::values(attr_ints(n, "split"));
  }
  return std::unique_ptr<OpKernel>(new SplitKernel(attr_int(n, "axis", 0), std::move(split)));
}

}  // namespace

void register_tensor_concat_split_ops(OpRegistry& r) {
  r.add({"", "Concat", 1, 1 << 30, make_concat});
  r.add({"", "Split", 1, 1 << 30, make_split});
}

}  // namespace braid::detail
