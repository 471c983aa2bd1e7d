// Slice (attributes before opset 10, inputs from 10 on, with steps). Starts and ends are
// clamped as numpy does. The trailing dims that are taken whole with step 1 merge into one
// contiguous run per output row, copied with memcpy; a strided innermost dim is gathered
// element by element (by element size, not by dtype).
#include <string>

#include "kernels/attributes.h"
#include "kernels/ops/tensor_common.h"
#include "kernels/ops/tensor_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace tensor_ops;

Result<SliceRange> tensor_ops::slice_range(const Node& node, int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (step == 0) return bad_node(node, "slice step is 0");
  SliceRange r;
  if (dim == 0) return r;
  // A step longer than the dim takes at most one element; clamping it keeps the math in range.
  step = std::clamp(step, -(dim + 1), dim + 1);
  r.step = step;
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    r.count = end > start ? (end - start + step - 1) / step : 0;
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    r.count = start > end ? (start - end - step - 1) / -step : 0;
  }
  r.start = start;
  return r;
}

namespace {

class SliceKernel final : public OpKernel {
 public:
  SliceKernel(IntList starts, IntList ends, IntList axes, IntList steps)
      : starts_(std::move(starts)), ends_(std::move(ends)), axes_(std::move(axes)), steps_(std::move(steps)) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(node, "missing input");
    if (!is_fixed_size(x->dtype())) return unsupported_dtype(node, x->dtype());
    const int64_t r = x->rank();
    BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> starts, starts_.get(ctx));
    BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> ends, ends_.get(ctx));
    BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> raw_axes, axes_.get(ctx));
    BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> steps, steps_.get(ctx));
    const size_t n = starts.size();
    if (ends.size() != n) return bad_node(node, "starts and ends have different lengths");
    if (!axes_.present()) {
      for (size_t i = 0; i < n; ++i) raw_axes.push_back(static_cast<int64_t>(i));
    }
    if (!steps_.present()) steps.assign(n, 1);
    if (raw_axes.size() != n || steps.size() != n)
      return bad_node(node, "starts, ends, axes and steps must have the same length");
    BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> axes, normalize_axes(node, raw_axes, r));

    std::vector<SliceRange> ranges(static_cast<size_t>(r));
    for (int64_t d = 0; d < r; ++d) ranges[d] = {0, x->dim(d), 1};
    for (size_t i = 0; i < n; ++i) {
      BRAID_ASSIGN_OR_RETURN(ranges[axes[i]], slice_range(node, x->dim(axes[i]), starts[i], ends[i], steps[i]));
    }
    Shape out(static_cast<size_t>(r));
    for (int64_t d = 0; d < r; ++d) out[d] = ranges[d].count;
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x->dtype(), out));
    if (y->numel() == 0) return {};
    copy_slice(*x, ranges, *y, ctx.max_threads);
    return {};
  }

 private:
  static void copy_slice(const Tensor& x, const std::vector<SliceRange>& ranges, Tensor& y, int max_threads) {
    const int64_t r = x.rank();
    const size_t elem = dtype_size(x.dtype());
    const std::vector<int64_t> strides = row_major_strides(x.shape());
    int64_t base = 0;
    for (int64_t d = 0; d < r; ++d) base += ranges[d].start * strides[d];
    // Merge trailing step-1 dims into one run; the first partial one ends the run.
    int64_t run = 1;
    int64_t k = r;
    while (k > 0 && ranges[k - 1].step == 1) {
      --k;
      run *= ranges[k].count;
      if (ranges[k].count != x.dim(k)) break;
    }
    const char* src = static_cast<const char*>(x.raw_data()) + base * static_cast<int64_t>(elem);
    char* dst = static_cast<char*>(y.raw_data());
    if (k < r || r == 0) {
      std::vector<int64_t> dims(static_cast<size_t>(k)), src_strides(static_cast<size_t>(k));
      for (int64_t d = 0; d < k; ++d) {
        dims[d] = ranges[d].count;
        src_strides[d] = ranges[d].step * strides[d] * static_cast<int64_t>(elem);
      }
      const int64_t rows = y.numel() / run;
      const size_t run_bytes = static_cast<size_t>(run) * elem;
      parallel_for_range(rows, copy_grain_rows(static_cast<int64_t>(run_bytes)), max_threads,
                         [&](int64_t b, int64_t e) {
                           StridedCursor cur(dims.data(), src_strides.data(), static_cast<int>(k), b);
                           for (int64_t row = b; row < e; ++row, cur.next())
                             std::memcpy(dst + row * static_cast<int64_t>(run_bytes), src + cur.offset(), run_bytes);
                         });
      return;
    }
    // Strided innermost dim: gather its elements one by one.
    std::vector<int64_t> dims(static_cast<size_t>(r - 1)), src_strides(static_cast<size_t>(r - 1));
    for (int64_t d = 0; d < r - 1; ++d) {
      dims[d] = ranges[d].count;
      src_strides[d] = ranges[d].step * strides[d];
    }
    const int64_t cols = ranges[r - 1].count, step = ranges[r - 1].step;
    const int64_t rows = y.numel() / cols;
    dispatch_elem_size(elem, [&](auto tag) {
      using T = decltype(tag);
      const T* s = reinterpret_cast<const T*>(src);
      T* o = reinterpret_cast<T*>(dst);
      parallel_for_range(rows, copy_grain_rows(cols * static_cast<int64_t>(elem)), max_threads,
                         [&](int64_t b, int64_t e) {
                           StridedCursor cur(dims.data(), src_strides.data(), static_cast<int>(r - 1), b);
                           for (int64_t row = b; row < e; ++row, cur.next()) {
                             const T* sr = s + cur.offset();
                             T* orow = o + row * cols;
                             for (int64_t c = 0; c < cols; ++c) orow[c] = sr[c * step];
                           }
                         });
    });
  }

  IntList starts_, ends_, axes_, steps_;
};

Result<std::unique_ptr<OpKernel>> make_slice(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0)) return bad_node(n, "needs an input");
  BRAID_RETURN_IF_ERROR(check_movable_dtype(n, init.input_dtype(0)));
  IntList starts, ends, axes, steps;
  if (init.opset() < 10) {
    if (!has_attr(n, "starts") || !has_attr(n, "ends")) return bad_node(n, "needs 'starts' and 'ends' attributes");
    starts = IntList::values(attr_ints(n, "starts"));
    ends = IntList::values(attr_ints(n, "ends"));
    if (has_attr(n, "axes")) axes = IntList::values(attr_ints(n, "axes"));
  } else {
    if (!init.has_input(1) || !init.has_input(2)) return bad_node(n, "needs starts and ends inputs");
    BRAID_ASSIGN_OR_RETURN(starts, IntList::input(init, 1, "starts"));
    BRAID_ASSIGN_OR_RETURN(ends, IntList::input(init, 2, "ends"));
    BRAID_ASSIGN_OR_RETURN(axes, IntList::input(init, 3, "axes"));
    BRAID_ASSIGN_OR_RETURN(steps, IntList::input(init, 4, "steps"));
  }
  return std::unique_ptr<OpKernel>(new SliceKernel(std::move(starts), std::move(ends), std::move(axes), std::move(steps)));
}

}  // namespace

void register_tensor_slice_ops(OpRegistry& r) { r.add({"", "Slice", 1, 1 << 30, make_slice}); }

}  // namespace braid::detail
