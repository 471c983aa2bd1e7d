// Ops that read only a shape or build a tensor from scalars: Shape, Size, ConstantOfShape,
// Range and EyeLike.
#include <cmath>
#include <string>

#include "kernels/attributes.h"
#include "kernels/dispatch.h"
#include "kernels/ops/tensor_common.h"
#include "kernels/ops/tensor_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace tensor_ops;
namespace {

class ShapeKernel final : public OpKernel {
 public:
  ShapeKernel(int64_t start, std::optional<int64_t> end) : start_(start), end_(end) {}

  Status compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(*ctx.node, "missing input");
    const int64_t r = x->rank();
    auto clamp_dim = [r](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + r : v, 0, r); };
    const int64_t start = clamp_dim(start_);
    const int64_t end = end_ ? clamp_dim(*end_) : r;
    const int64_t n = std::max<int64_t>(0, end - start);
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DataType::kInt64, {n}));
    for (int64_t i = 0; i < n; ++i) y->data<int64_t>()[i] = x->dim(static_cast<size_t>(start + i));
    return {};
  }

 private:
  int64_t start_;
  std::optional<int64_t> end_;
};

Result<std::unique_ptr<OpKernel>> make_shape(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0)) return bad_node(n, "needs an input");
  int64_t start = 0;
  std::optional<int64_t> end;
  if (init.opset() >= 15) {
    start = attr_int(n, "start", 0);
    if (has_attr(n, "end")) end = attr_int(n, "end", 0);
  }
  return std::unique_ptr<OpKernel>(new ShapeKernel(start, end));
}

class SizeKernel final : public OpKernel {
 public:
  Status compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(*ctx.node, "missing input");
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DataType::kInt64, {}));
    *y->data<int64_t>() = x->numel();
    return {};
  }
};

Result<std::unique_ptr<OpKernel>> make_size(const KernelInit& init) {
  if (!init.has_input(0)) return bad_node(*init.node, "needs an input");
  return std::unique_ptr<OpKernel>(new SizeKernel());
}

// Output shapes given as a 1-D int64 input: every dim >= 0 and the product in range.
Result<Shape> shape_from_values(const Node& node, const std::vector<int64_t>& dims) {
  for (int64_t d : dims)
    if (d < 0) return bad_node(node, "shape " + shape_to_string(dims) + " has a negative dim");
  auto n = checked_numel(dims);
  if (!n.ok()) return bad_node(node, n.status().message());
  return Shape(dims);
}

class ConstantOfShapeKernel final : public OpKernel {
 public:
  ConstantOfShapeKernel(IntList shape, DataType dtype, uint64_t bits)
      : shape_(std::move(shape)), dtype_(dtype), bits_(bits) {}

  Status compute(KernelContext& ctx) const override {
    BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> dims, shape_.get(ctx));
    BRAID_ASSIGN_OR_RETURN(Shape shape, shape_from_values(*ctx.node, dims));
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, dtype_, std::move(shape)));
    fill_bits(y->raw_data(), y->numel(), dtype_size(dtype_), bits_);
    return {};
  }

 private:
  IntList shape_;
  DataType dtype_;
  uint64_t bits_;
};

Result<std::unique_ptr<OpKernel>> make_constant_of_shape(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0)) return bad_node(n, "needs a shape input");
  BRAID_ASSIGN_OR_RETURN(IntList shape, IntList::input(init, 0, "shape"));
  DataType dtype = DataType::kFloat32;
  uint64_t bits = 0;
  if (const Attribute* a = n.find_attribute("value")) {
    if (a->kind != Attribute::Kind::kTensor || a->t.numel() != 1)
      return bad_node(n, "'value' must be a one-element tensor");
    dtype = a->t.dtype();
    if (!is_fixed_size(dtype)) return unsupported_dtype(n, dtype, "value");
    bits = element_bits(a->t);
  }
  return std::unique_ptr<OpKernel>(new ConstantOfShapeKernel(std::move(shape), dtype, bits));
}

// Element count of Range; integer types count exactly, floats as numpy does.
template <class T>
Result<int64_t> range_count(const Node& node, T start, T limit, T delta) {
  if (delta == T(0)) return bad_node(node, "delta is 0");
  if constexpr (std::is_floating_point_v<T>) {
    const double n = std::ceil((static_cast<double>(limit) - static_cast<double>(start)) / static_cast<double>(delta));
    if (!std::isfinite(n)) return bad_node(node, "start, limit and delta give no finite element count");
    if (n <= 0) return int64_t{0};
    if (n > static_cast<double>(int64_t{1} << 62)) return bad_node(node, "too many elements");
    return static_cast<int64_t>(n);
  } else {
    const __int128 span = static_cast<__int128>(limit) - start;
    const __int128 d = delta;
    if ((span > 0) != (d > 0) || span == 0) return int64_t{0};
    const __int128 n = (span + d - (d > 0 ? 1 : -1)) / d;
    return static_cast<int64_t>(n);
  }
}

class RangeKernel final : public OpKernel {
 public:
  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* s = ctx.input(0);
    const Tensor* l = ctx.input(1);
    const Tensor* d = ctx.input(2);
    if (s == nullptr || l == nullptr || d == nullptr) return bad_node(node, "needs start, limit and delta");
    if (s->dtype() != l->dtype() || s->dtype() != d->dtype()) return bad_node(node, "inputs have different dtypes");
    if (s->numel() != 1 || l->numel() != 1 || d->numel() != 1) return bad_node(node, "inputs must be scalars");
    return dispatch_dtype_or<float, double, int16_t, int32_t, int64_t>(
        s->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          const T start = *s->data<T>(), limit = *l->data<T>(), delta = *d->data<T>();
          BRAID_ASSIGN_OR_RETURN(int64_t n, range_count(node, start, limit, delta));
          BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, s->dtype(), {n}));
          T* out = y->data<T>();
          for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(start + static_cast<T>(i) * delta);
          return {};
        },
        [&]() -> Status { return unsupported_dtype(node, s->dtype()); });
  }
};

bool range_dtype(DataType dt) {
  return dt == DataType::kFloat32 || dt == DataType::kFloat64 || dt == DataType::kInt16 || dt == DataType::kInt32 ||
         dt == DataType::kInt64;
}

Result<std::unique_ptr<OpKernel>> make_range(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0) || !init.has_input(1) || !init.has_input(2)) return bad_node(n, "needs start, limit and delta");
  DataType dt = init.input_dtype(0);
  if (dt != DataType::kUndefined && !range_dtype(dt)) return unsupported_dtype(n, dt);
  return std::unique_ptr<OpKernel>(new RangeKernel());
}

class EyeLikeKernel final : public OpKernel {
 public:
  EyeLikeKernel(DataType dtype, int64_t k) : dtype_(dtype), k_(k) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(node, "missing input");
    if (x->rank() != 2) return bad_node(node, "input must be 2-D");
    const DataType dt = dtype_ == DataType::kUndefined ? x->dtype() : dtype_;
    BRAID_ASSIGN_OR_RETURN(uint64_t one, scalar_bits(node, dt, 1.0));
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, dt, x->shape()));
    const int64_t rows = x->dim(0), cols = x->dim(1);
    const size_t elem = dtype_size(dt);
    if (y->numel() == 0) return {};
    std::memset(y->raw_data(), 0, y->byte_size());
    if (k_ >= cols || k_ <= -rows) return {};
    char* out = static_cast<char*>(y->raw_data());
    // Row i holds its one at column i + k when that column exists.
    const int64_t first = std::max<int64_t>(0, -k_);
    for (int64_t i = first; i < rows && i + k_ < cols; ++i)
      std::memcpy(out + (i * cols + i + k_) * static_cast<int64_t>(elem), &one, elem);
    return {};
  }

 private:
  DataType dtype_;  // kUndefined: the input's
  int64_t k_;
};

Result<std::unique_ptr<OpKernel>> make_eye_like(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0)) return bad_node(n, "needs an input");
  DataType dt = DataType::kUndefined;
  if (has_attr(n, "dtype")) dt = static_cast<DataType>(attr_int(n, "dtype", 1));
  DataType effective = dt == DataType::kUndefined ? init.input_dtype(0) : dt;
  if (effective != DataType::kUndefined && (!is_fixed_size(effective) || effective == DataType::kString))
    return unsupported_dtype(n, effective, "output");
  return std::unique_ptr<OpKernel>(new EyeLikeKernel(dt, attr_int(n, "k", 0)));
}

}  // namespace

void register_tensor_shape_ops(OpRegistry& r) {
  r.add({"", "Shape", 1, 1 << 30, make_shape});
  r.add({"", "Size", 1, 1 << 30, make_size});
  r.add({"", "ConstantOfShape", 9, 1 << 30, make_constant_of_shape});
  r.add({"", "Range", 11, 1 << 30, make_range});
  r.add({"", "EyeLike", 9, 1 << 30, make_eye_like});
}

}  // namespace braid::detail
