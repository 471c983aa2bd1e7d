// Pad (constant, reflect, edge; pads as an attribute before opset 11 and an input after,
// negative pads crop). Each output row is built independently: the source row is found
// through per-dim tables that map an output coordinate to an input one (or to "outside"
// for constant padding), its interior is one memcpy and only the padded ends go element
// by element, so rows split freely across threads.
#include <string>

#include "kernels/attributes.h"
#include "kernels/ops/tensor_common.h"
#include "kernels/ops/tensor_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace tensor_ops;
namespace {

enum class PadMode { kConstant, kReflect, kEdge };

// Input coordinate (within the cropped [0, count)) of relative output coordinate i, or -1
// when constant padding leaves it outside.
int64_t source_coord(PadMode mode, int64_t i, int64_t count) {
  if (i >= 0 && i < count) return i;
  switch (mode) {
    case PadMode::kConstant: return -1;
    case PadMode::kEdge: return i < 0 ? 0 : count - 1;
    case PadMode::kReflect: {
      if (count == 1) return 0;
      const int64_t period = 2 * (count - 1);
      int64_t m = i % period;
      if (m < 0) m += period;
      return m < count ? m : period - m;
    }
  }
  return -1;
}

class PadKernel final : public OpKernel {
 public:
  PadKernel(PadMode mode, IntList pads, IntList axes, std::optional<double> attr_value)
      : mode_(mode), pads_(std::move(pads)), axes_(std::move(axes)), attr_value_(attr_value) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(node, "missing input");
    if (!is_fixed_size(x->dtype())) return unsupported_dtype(node, x->dtype());
    const int64_t r = x->rank();
    BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> raw_pads, pads_.get(ctx));
    std::vector<int64_t> axes;
    if (axes_.present()) {
      BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> raw_axes, axes_.get(ctx));
      BRAID_ASSIGN_OR_RETURN(axes, normalize_axes(node, raw_axes, r));
    } else {
      for (int64_t d = 0; d < r; ++d) axes.push_back(d);
    }
    const int64_t na = static_cast<int64_t>(axes.size());
    if (static_cast<int64_t>(raw_pads.size()) != 2 * na)
      return bad_node(node, "pads has " + std::to_string(raw_pads.size()) + " entries, expected " +
                                std::to_string(2 * na));
    std::vector<int64_t> pre(static_cast<size_t>(r), 0), post(static_cast<size_t>(r), 0);
    for (int64_t i = 0; i < na; ++i) {
      pre[axes[i]] = raw_pads[i];
      post[axes[i]] = raw_pads[i + na];
    }
    // Fill value bits: the constant_value input (opset 11+) or the float attribute.
    uint64_t fill = 0;
    if (mode_ == PadMode::kConstant) {
      if (const Tensor* v = ctx.input(2); v != nullptr && v->numel() > 0) {
        if (v->dtype() != x->dtype()) return bad_node(node, "constant_value must have the dtype of the input");
        fill = element_bits(*v);
      } else if (attr_value_) {
        BRAID_ASSIGN_OR_RETURN(fill, scalar_bits(node, x->dtype(), *attr_value_));
      }
    }
    // Output dims; the kept input range [crop_start, crop_start + count) of each dim.
    Shape out(static_cast<size_t>(r));
    std::vector<int64_t> crop_start(static_cast<size_t>(r)), count(static_cast<size_t>(r));
    for (int64_t d = 0; d < r; ++d) {
      BRAID_ASSIGN_OR_RETURN(int64_t s, checked_add(node, x->dim(d), pre[d]));
      BRAID_ASSIGN_OR_RETURN(out[d], checked_add(node, s, post[d]));
      if (out[d] < 0) return bad_node(node, "pads make dim " + std::to_string(d) + " negative");
      crop_start[d] = std::min(x->dim(d), std::max<int64_t>(0, -pre[d]));
      count[d] = std::max<int64_t>(0, x->dim(d) - std::max<int64_t>(0, -post[d]) - crop_start[d]);
      if (mode_ != PadMode::kConstant && count[d] == 0 && out[d] > 0)
        return bad_node(node, "cannot pad an empty dim in reflect or edge mode");
    }
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x->dtype(), out));
    if (y->numel() == 0) return {};
    const size_t elem = dtype_size(x->dtype());
    if (r == 0) {
      std::memcpy(y->raw_data(), x->raw_data(), elem);
      return {};
    }
    // Per dim: output coordinate -> input element offset of that coordinate, or -1.
    const std::vector<int64_t> strides = row_major_strides(x->shape());
    std::vector<std::vector<int64_t>> table(static_cast<size_t>(r));
    for (int64_t d = 0; d < r; ++d) {
      table[d].resize(static_cast<size_t>(out[d]));
      const int64_t lead = std::max<int64_t>(0, pre[d]);
      for (int64_t o = 0; o < out[d]; ++o) {
        const int64_t c = source_coord(mode_, o - lead, count[d]);
        table[d][o] = c < 0 ? -1 : (crop_start[d] + c) * strides[d];
      }
    }
    const int64_t cols = out[r - 1];
    const int64_t rows = y->numel() / cols;
    const int64_t lead = std::max<int64_t>(0, pre[r - 1]);
    const int64_t mid = std::min(count[r - 1], cols - lead);  // interior elements of a row
    dispatch_elem_size(elem, [&](auto tag) {
      using T = decltype(tag);
      const T* src = x->data<T>();
      T* dst = y->data<T>();
      const T fill_value = static_cast<T>(fill);
      const std::vector<int64_t>& last = table[r - 1];
      parallel_for_range(rows, copy_grain_rows(cols * static_cast<int64_t>(sizeof(T))), ctx.max_threads,
                         [&](int64_t b, int64_t e) {
                           // Odometer over the outer output dims.
                           std::vector<int64_t> idx(static_cast<size_t>(r - 1));
                           int64_t rest = b;
                           for (int64_t d = r - 2; d >= 0; --d) {
                             idx[d] = rest % out[d];
                             rest /= out[d];
                           }
                           for (int64_t row = b; row < e; ++row) {
                             T* o = dst + row * cols;
                             int64_t base = 0;
                             bool outside = false;
                             for (int64_t d = 0; d < r - 1; ++d) {
                               const int64_t t = table[d][idx[d]];
                               outside |= t < 0;
                               base += t;
                             }
                             if (outside) {
                               std::fill_n(o, cols, fill_value);
                             } else {
                               const T* s = src + base;
                               for (int64_t c = 0; c < lead && c < cols; ++c) o[c] = last[c] < 0 ? fill_value : s[last[c]];
                               if (mid > 0)
                                 std::memcpy(o + lead, s + crop_start[r - 1], static_cast<size_t>(mid) * sizeof(T));
                               for (int64_t c = lead + std::max<int64_t>(mid, 0); c < cols; ++c)
                                 o[c] = last[c] < 0 ? fill_value : s[last[c]];
                             }
                             for (int64_t d = r - 2; d >= 0; --d) {
                               if (++idx[d] < out[d]) break;
                               idx[d] = 0;
                             }
                           }
                         });
    });
    return {};
  }

 private:
  PadMode mode_;
  IntList pads_;
  IntList axes_;
  std::optional<double> attr_value_;  // opset < 11
};

Result<std::unique_ptr<OpKernel>> make_pad(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0)) return bad_node(n, "needs an input");
  BRAID_RETURN_IF_ERROR(check_movable_dtype(n, init.input_dtype(0)));
  const std::string mode_name = attr_string(n, "mode", "constant");
  PadMode mode;
  if (mode_name == "constant") mode = PadMode::kConstant;
  else if (mode_name == "reflect") mode = PadMode::kReflect;
  else if (mode_name == "edge") mode = PadMode::kEdge;
  else return unsupported_op(n.describe() + ": pad mode '" + mode_name + "' is not supported");
  IntList pads, axes;
  std::optional<double> value;
  if (init.opset() < 11) {
    const char* name = init.opset() < 2 ? "paddings" : "pads";
    if (!has_attr(n, name)) return bad_node(n, std::string("needs a '") + name + "' attribute");
    pads = IntList::values(attr_ints(n, name));
    value = attr_float(n, "value", 0.0f);
  } else {
    if (!init.has_input(1)) return bad_node(n, "needs a pads input");
    BRAID_ASSIGN_OR_RETURN(pads, IntList::input(init, 1, "pads"));
    BRAID_ASSIGN_OR_RETURN(axes, IntList::input(init, 3, "axes"));
    DataType vt = init.input_dtype(2);
    DataType xt = init.input_dtype(0);
    if (vt != DataType::kUndefined && xt != DataType::kUndefined && vt != xt)
      return bad_node(n, "constant_value must have the dtype of the input");
  }
  return std::unique_ptr<OpKernel>(new PadKernel(mode, std::move(pads), std::move(axes), value));
}

}  // namespace

void register_tensor_pad_ops(OpRegistry& r) { r.add({"", "Pad", 1, 1 << 30, make_pad}); }

}  // namespace braid::detail
