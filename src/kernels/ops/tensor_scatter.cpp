// ScatterElements (and the older Scatter) and ScatterND: copy data, then write updates at
// the indexed positions, replacing them or combining with add/mul/max/min (reduction,
// opset 16+). Indices are checked before the output is touched. Writes run in index order
// on one thread so duplicate indices resolve the same way on every run.
#include <string>

#include "kernels/attributes.h"
#include "kernels/dispatch.h"
#include "kernels/ops/tensor_common.h"
#include "kernels/ops/tensor_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace tensor_ops;
namespace {

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

Result<Reduction> parse_reduction(const Node& node) {
  const std::string s = attr_string(node, "reduction", "none");
  if (s == "none") return Reduction::kNone;
  if (s == "add") return Reduction::kAdd;
  if (s == "mul") return Reduction::kMul;
  if (s == "max") return Reduction::kMax;
  if (s == "min") return Reduction::kMin;
  return bad_node(node, "unknown reduction '" + s + "'");
}

// Dtypes the reductions do arithmetic on; plain replacement moves any fixed-size dtype.
bool reducible(DataType dt) {
  switch (dt) {
    case DataType::kFloat32: case DataType::kFloat64: case DataType::kInt8: case DataType::kUInt8:
    case DataType::kInt16: case DataType::kUInt16: case DataType::kInt32: case DataType::kUInt32:
    case DataType::kInt64: case DataType::kUInt64:
      return true;
    default:
      return false;
  }
}

Status check_data_dtype(const Node& node, DataType dt, Reduction red) {
  if (dt == DataType::kUndefined) return {};
  if (!is_fixed_size(dt) || (red != Reduction::kNone && !reducible(dt))) return unsupported_dtype(node, dt);
  return {};
}

template <class T>
inline void combine(T& dst, T v, Reduction red) {
  switch (red) {
    case Reduction::kNone: dst = v; break;
    case Reduction::kAdd: dst = static_cast<T>(dst + v); break;
    case Reduction::kMul: dst = static_cast<T>(dst * v); break;
    case Reduction::kMax: dst = dst < v ? v : dst; break;
    case Reduction::kMin: dst = v < dst ? v : dst; break;
  }
}

// Calls fn(T{}) with the element type: the arithmetic type for reductions, or the unsigned
// type of the element size for plain replacement.
template <class Fn>
void with_element_type(DataType dt, Reduction red, Fn&& fn) {
  if (red == Reduction::kNone) {
    dispatch_elem_size(dtype_size(dt), fn);
    return;
  }
  (void)dispatch_dtype_or<float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t>(
      dt, [&](auto tag) { fn(tag); return 0; }, [] { return 0; });
}

class ScatterElementsKernel final : public OpKernel {
 public:
  ScatterElementsKernel(int64_t axis, Reduction red) : axis_(axis), red_(red) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* data = ctx.input(0);
    const Tensor* indices = ctx.input(1);
    const Tensor* updates = ctx.input(2);
    if (data == nullptr || indices == nullptr || updates == nullptr)
      return bad_node(node, "needs data, indices and updates");
    BRAID_RETURN_IF_ERROR(check_data_dtype(node, data->dtype(), red_));
    if (updates->dtype() != data->dtype()) return bad_node(node, "updates must have the dtype of data");
    if (indices->dtype() != DataType::kInt32 && indices->dtype() != DataType::kInt64)
      return bad_node(node, "indices must be int32 or int64");
    const int64_t r = data->rank();
    if (r == 0) return bad_node(node, "data must have rank >= 1");
    if (indices->rank() != r || updates->shape() != indices->shape())
      return bad_node(node, "indices and updates must have the same shape and the rank of data");
    BRAID_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node, axis_, r));
    for (int64_t d = 0; d < r; ++d)
      if (d != axis && indices->dim(d) > data->dim(d))
        return bad_node(node, "indices shape " + shape_to_string(indices->shape()) + " exceeds data shape " +
                                  shape_to_string(data->shape()) + " off the axis");
    BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> idx, read_int_tensor(node, *indices, "indices"));
    const int64_t dim = data->dim(axis);
    for (size_t i = 0; i < idx.size(); ++i) {
      if (idx[i] < -dim || idx[i] >= dim)
        return bad_node(node, "index " + std::to_string(idx[i]) + " is out of range for a dim of " + std::to_string(dim));
      if (idx[i] < 0) idx[i] += dim;
    }
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, data->dtype(), data->shape()));
    if (y->numel() > 0) std::memcpy(y->raw_data(), data->raw_data(), data->byte_size());
    if (idx.empty()) return {};
    std::vector<int64_t> strides = row_major_strides(data->shape());
    const int64_t axis_stride = strides[axis];
    strides[axis] = 0;
    const Reduction red = red_;
    with_element_type(data->dtype(), red, [&](auto tag) {
      using T = decltype(tag);
      const T* upd = updates->data<T>();
      T* out = y->data<T>();
      StridedCursor cur(indices->shape().data(), strides.data(), static_cast<int>(r), 0);
      for (size_t i = 0; i < idx.size(); ++i, cur.next()) combine(out[cur.offset() + idx[i] * axis_stride], upd[i], red);
    });
    return {};
  }

 private:
  int64_t axis_;
  Reduction red_;
};

Result<std::unique_ptr<OpKernel>> make_scatter_elements(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0) || !init.has_input(1) || !init.has_input(2))
    return bad_node(n, "needs data, indices and updates");
  BRAID_ASSIGN_OR_RETURN(Reduction red, parse_reduction(n));
  BRAID_RETURN_IF_ERROR(check_data_dtype(n, init.input_dtype(0), red));
  return std::unique_ptr<OpKernel>(new ScatterElementsKernel(attr_int(n, "axis", 0), red));
}

class ScatterNDKernel final : public OpKernel {
 public:
  explicit ScatterNDKernel(Reduction red) : red_(red) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* data = ctx.input(0);
    const Tensor* indices = ctx.input(1);
    const Tensor* updates = ctx.input(2);
    if (data == nullptr || indices == nullptr || updates == nullptr)
      return bad_node(node, "needs data, indices and updates");
    BRAID_RETURN_IF_ERROR(check_data_dtype(node, data->dtype(), red_));
    if (updates->dtype() != data->dtype()) return bad_node(node, "updates must have the dtype of data");
    if (indices->dtype() != DataType::kInt64) return bad_node(node, "indices must be int64");
    const int64_t r = data->rank(), q = indices->rank();
    if (r < 1 || q < 1) return bad_node(node, "data and indices must have rank >= 1");
    const int64_t k = indices->dim(q - 1);
    if (k < 1 || k > r) return bad_node(node, "indices' last dim " + std::to_string(k) + " must be in [1, rank]");
    Shape expect(indices->shape().begin(), indices->shape().end() - 1);
    int64_t slice = 1;
    for (int64_t d = k; d < r; ++d) {
      expect.push_back(data->dim(d));
      slice *= data->dim(d);
    }
    if (updates->shape() != expect)
      return bad_node(node, "updates shape " + shape_to_string(updates->shape()) + " should be " + shape_to_string(expect));
    const std::vector<int64_t> strides = row_major_strides(data->shape());
    const int64_t tuples = indices->numel() / k;
    const int64_t* idx = indices->data<int64_t>();
    std::vector<int64_t> offsets(static_cast<size_t>(tuples));
    for (int64_t t = 0; t < tuples; ++t) {
      int64_t off = 0;
      for (int64_t j = 0; j < k; ++j) {
        const int64_t v = idx[t * k + j], dim = data->dim(j);
        if (v < -dim || v >= dim)
          return bad_node(node, "index " + std::to_string(v) + " is out of range for dim " + std::to_string(j) +
                                    " of size " + std::to_string(dim));
        off += (v < 0 ? v + dim : v) * strides[j];
      }
      offsets[t] = off;
    }
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, data->dtype(), data->shape()));
    if (y->numel() > 0) std::memcpy(y->raw_data(), data->raw_data(), data->byte_size());
    if (tuples == 0 || slice == 0) return {};
    const Reduction red = red_;
    with_element_type(data->dtype(), red, [&](auto tag) {
      using T = decltype(tag);
      const T* upd = updates->data<T>();
      T* out = y->data<T>();
      for (int64_t t = 0; t < tuples; ++t) {
        if (red == Reduction::kNone) {
          std::memcpy(out + offsets[t], upd + t * slice, static_cast<size_t>(slice) * sizeof(T));
        } else {
          for (int64_t i = 0; i < slice; ++i) combine(out[offsets[t] + i], upd[t * slice + i], red);
        }
      }
    });
    return {};
  }

 private:
  Reduction red_;
};

Result<std::unique_ptr<OpKernel>> make_scatter_nd(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0) || !init.has_input(1) || !init.has_input(2))
    return bad_node(n, "needs data, indices and updates");
  BRAID_ASSIGN_OR_RETURN(Reduction red, parse_reduction(n));
  BRAID_RETURN_IF_ERROR(check_data_dtype(n, init.input_dtype(0), red));
  return std::unique_ptr<OpKernel>(new ScatterNDKernel(red));
}

}  // namespace

void register_tensor_scatter_ops(OpRegistry& r) {
  r.add({"", "Scatter", 9, 1 << 30, make_scatter_elements});
  r.add({"", "ScatterElements", 11, 1 << 30, make_scatter_elements});
  r.add({"", "ScatterND", 11, 1 << 30, make_scatter_nd});
}

}  // namespace braid::detail
