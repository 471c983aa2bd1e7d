// Unique (opset 11): unique elements, or unique slices along an axis, sorted or in order of
// first occurrence, with the optional indices, inverse_indices and counts outputs. NaNs
// compare equal to each other and after every number, so sorting is a strict weak order.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "kernels/attributes.h"
#include "kernels/dispatch.h"
#include "kernels/ops/tensor_common.h"
#include "kernels/ops/tensor_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace tensor_ops;
namespace {

template <class T>
int compare_values(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    const bool na = std::isnan(a), nb = std::isnan(b);
    if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
  }
  return a < b ? -1 : (b < a ? 1 : 0);
}

bool unique_dtype(DataType dt) {
  switch (dt) {
    case DataType::kFloat32: case DataType::kFloat64: case DataType::kInt8: case DataType::kUInt8:
    case DataType::kInt16: case DataType::kUInt16: case DataType::kInt32: case DataType::kUInt32:
    case DataType::kInt64: case DataType::kUInt64: case DataType::kBool:
      return true;
    default:
      return false;
  }
}

class UniqueKernel final : public OpKernel {
 public:
  UniqueKernel(bool sorted, std::optional<int64_t> axis) : sorted_(sorted), axis_(axis) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(node, "missing input");
    if (!unique_dtype(x->dtype())) return unsupported_dtype(node, x->dtype());
    // Slices: `n` of them along the axis, each `outer` x `inner` elements.
    int64_t outer = 1, n = x->numel(), inner = 1, axis = 0;
    if (axis_) {
      BRAID_ASSIGN_OR_RETURN(axis, normalize_axis(node, *axis_, x->rank()));
      n = x->dim(axis);
      for (int64_t d = 0; d < x->rank(); ++d) {
        if (d < axis) outer *= x->dim(d);
        if (d > axis) inner *= x->dim(d);
      }
    }
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    // Slice comparison, typed.
    auto run = [&](auto tag) {
      using T = decltype(tag);
      const T* p = x->data<T>();
      // Returned to the caller: captures by value only.
      auto cmp = [p, outer, inner, n](int64_t a, int64_t b) {
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t i = 0; i < inner; ++i) {
            const int c = compare_values(p[(o * n + a) * inner + i], p[(o * n + b) * inner + i]);
            if (c != 0) return c;
          }
        return 0;
      };
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return cmp(a, b) < 0; });
      return cmp;
    };
    std::vector<int64_t> group_first;  // first occurrence of each unique slice, in sorted order
    std::vector<int64_t> group_of(static_cast<size_t>(n));
    auto group = [&](auto cmp) {
      for (size_t k = 0; k < order.size(); ++k) {
        if (k == 0 || cmp(order[k - 1], order[k]) != 0) group_first.push_back(order[k]);
        group_of[order[k]] = static_cast<int64_t>(group_first.size()) - 1;
      }
    };
    if (x->dtype() == DataType::kBool) {
      group(run(uint8_t{}));
    } else {
      (void)dispatch_dtype_or<float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t>(
          x->dtype(), [&](auto tag) { group(run(tag)); return 0; }, [] { return 0; });
    }
    const int64_t u = static_cast<int64_t>(group_first.size());
    // Output order of the groups: sorted, or by first occurrence.
    std::vector<int64_t> rank_of(static_cast<size_t>(u));  // group -> output position
    std::vector<int64_t> by_output(static_cast<size_t>(u));
    std::iota(by_output.begin(), by_output.end(), 0);
    if (!sorted_)
      std::sort(by_output.begin(), by_output.end(), [&](int64_t a, int64_t b) { return group_first[a] < group_first[b]; });
    for (int64_t k = 0; k < u; ++k) rank_of[by_output[k]] = k;

    Shape yshape = axis_ ? x->shape() : Shape{u};
    if (axis_) yshape[axis] = u;
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x->dtype(), yshape));
    const int64_t run_bytes = inner * static_cast<int64_t>(dtype_size(x->dtype()));
    const char* src = static_cast<const char*>(x->raw_data());
    char* dst = static_cast<char*>(y->raw_data());
    for (int64_t o = 0; o < outer && run_bytes > 0; ++o)
      for (int64_t k = 0; k < u; ++k)
        std::memcpy(dst + (o * u + k) * run_bytes, src + (o * n + group_first[by_output[k]]) * run_bytes,
                    static_cast<size_t>(run_bytes));
    auto wants = [&](size_t i) { return i < ctx.outputs.size() && node.outputs[i] != kNoValue; };
    if (wants(1)) {
      BRAID_ASSIGN_OR_RETURN(Tensor * t, ctx.allocate_output(1, DataType::kInt64, {u}));
      for (int64_t k = 0; k < u; ++k) t->data<int64_t>()[k] = group_first[by_output[k]];
    }
    if (wants(2)) {
      BRAID_ASSIGN_OR_RETURN(Tensor * t, ctx.allocate_output(2, DataType::kInt64, {n}));
      for (int64_t i = 0; i < n; ++i) t->data<int64_t>()[i] = rank_of[group_of[i]];
    }
    if (wants(3)) {
      BRAID_ASSIGN_OR_RETURN(Tensor * t, ctx.allocate_output(3, DataType::kInt64, {u}));
      std::fill_n(t->data<int64_t>(), u, 0);
      for (int64_t i = 0; i < n; ++i) ++t->data<int64_t>()[rank_of[group_of[i]]];
    }
    return {};
  }

 private:
  bool sorted_;
  std::optional<int64_t> axis_;
};

Result<std::unique_ptr<OpKernel>> make_unique_kernel(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0)) return bad_node(n, "needs an input");
  DataType dt = init.input_dtype(0);
  if (dt != DataType::kUndefined && !unique_dtype(dt)) return unsupported_dtype(n, dt);
  std::optional<int64_t> axis;
  if (has_attr(n, "axis")) axis = attr_int(n, "axis", 0);
  return std::unique_ptr<OpKernel>(new UniqueKernel(attr_int(n, "sorted", 1) != 0, axis));
}

}  // namespace

void register_tensor_unique_ops(OpRegistry& r) { r.add({"", "Unique", 11, 1 << 30, make_unique_kernel}); }

}  // namespace braid::detail
