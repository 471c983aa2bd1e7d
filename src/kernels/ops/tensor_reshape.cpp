// Reshape, Flatten, Squeeze and Unsqueeze: new shapes over the same storage (zero-copy
// through Tensor::reshaped). Only the output shape is computed; no element moves.
#include <string>

#include "kernels/attributes.h"
#include "kernels/ops/tensor_common.h"
#include "kernels/ops/tensor_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace tensor_ops;

Result<Shape> tensor_ops::reshape_output_shape(const Node& node, const Shape& in, const std::vector<int64_t>& requested,
                                   bool allow_zero) {
  BRAID_ASSIGN_OR_RETURN(int64_t in_numel, checked_numel(in));
  Shape out(requested.size());
  int64_t infer_at = -1;
  int64_t known = 1;
  bool has_zero = false;
  for (size_t i = 0; i < requested.size(); ++i) {
    int64_t d = requested[i];
    if (d == -1) {
      if (infer_at >= 0) return bad_node(node, "shape has more than one -1");
      infer_at = static_cast<int64_t>(i);
      continue;
    }
    if (d < -1) return bad_node(node, "shape has invalid dimension " + std::to_string(d));
    if (d == 0 && !allow_zero) {
      if (i >= in.size())
        return bad_node(node, "shape copies dimension " + std::to_string(i) + " (0) of a rank-" +
                                  std::to_string(in.size()) + " input");
      d = in[i];
    }
    has_zero |= d == 0;
    out[i] = d;
    BRAID_ASSIGN_OR_RETURN(known, checked_mul(node, known, d));
  }
  if (infer_at >= 0) {
    if (allow_zero && has_zero) return bad_node(node, "shape has both -1 and 0 with allowzero=1");
    if (known == 0 || in_numel % known != 0)
      return bad_node(node, "cannot reshape " + shape_to_string(in) + " to " + shape_to_string(requested));
    out[infer_at] = in_numel / known;
  } else if (known != in_numel) {
    return bad_node(node, "cannot reshape " + shape_to_string(in) + " (" + std::to_string(in_numel) +
                              " elements) to " + shape_to_string(out));
  }
  return out;
}

namespace {

Status set_reshaped(KernelContext& ctx, const Tensor& x, Shape shape) {
  auto t = x.reshaped(std::move(shape));
  if (!t.ok()) return bad_node(*ctx.node, t.status().message());
  ctx.set_output(0, std::move(t).value());
  return {};
}

class ReshapeKernel final : public OpKernel {
 public:
  ReshapeKernel(IntList shape, bool allow_zero) : shape_(std::move(shape)), allow_zero_(allow_zero) {}

  Status compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(*ctx.node, "missing input");
    BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> req, shape_.get(ctx));
    BRAID_ASSIGN_OR_RETURN(Shape out, reshape_output_shape(*ctx.node, x->shape(), req, allow_zero_));
    return set_reshaped(ctx, *x, std::move(out));
  }

 private:
  IntList shape_;
  bool allow_zero_;
};

Result<std::unique_ptr<OpKernel>> make_reshape(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0)) return bad_node(n, "needs an input");
  IntList shape;
  if (init.opset() < 5) {
    if (!has_attr(n, "shape")) return bad_node(n, "needs a 'shape' attribute");
    shape = IntList::values(attr_ints(n, "shape"));
  } else {
    if (!init.has_input(1)) return bad_node(n, "needs a shape input");
    BRAID_ASSIGN_OR_RETURN(shape, IntList::input(init, 1, "shape"));
  }
  bool allow_zero = init.opset() >= 14 && attr_int(n, "allowzero", 0) != 0;
  return std::unique_ptr<OpKernel>(new ReshapeKernel(std::move(shape), allow_zero));
}

class FlattenKernel final : public OpKernel {
 public:
  explicit FlattenKernel(int64_t axis) : axis_(axis) {}

  Status compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(*ctx.node, "missing input");
    const int64_t r = x->rank();
    int64_t axis = axis_ < 0 ? axis_ + r : axis_;
    if (axis < 0 || axis > r)
      return bad_node(*ctx.node, "axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(r));
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < r; ++i) {
      int64_t& side = i < axis ? outer : inner;
      BRAID_ASSIGN_OR_RETURN(side, checked_mul(*ctx.node, side, x->dim(static_cast<size_t>(i))));
    }
    const int64_t dims[] = {outer, inner};  // inline: no Shape built per call
    return ctx.set_output_reshaped(0, *x, dims);
  }

 private:
  int64_t axis_;
};

Result<std::unique_ptr<OpKernel>> make_flatten(const KernelInit& init) {
  if (!init.has_input(0)) return bad_node(*init.node, "needs an input");
  return std::unique_ptr<OpKernel>(new FlattenKernel(attr_int(*init.node, "axis", 1)));
}

class SqueezeKernel final : public OpKernel {
 public:
  explicit SqueezeKernel(IntList axes) : axes_(std::move(axes)) {}

  Status compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(*ctx.node, "missing input");
    const Shape& in = x->shape();
    InlineVector<uint8_t, 8> drop(in.size(), 0);
    if (!axes_.present()) {
      for (size_t i = 0; i < in.size(); ++i) drop[i] = in[i] == 1;
    } else {
      BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> raw, axes_.get(ctx));
      BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> axes, normalize_axes(*ctx.node, raw, x->rank()));
      for (int64_t a : axes) {
        if (in[a] != 1)
          return bad_node(*ctx.node, "cannot squeeze axis " + std::to_string(a) + " of size " +
                                         std::to_string(in[a]) + " in shape " + shape_to_string(in));
        drop[a] = true;
      }
    }
    Dims out;  // inline: set_output_reshaped copies it into the output's shape
    for (size_t i = 0; i < in.size(); ++i)
      if (!drop[i]) out.push_back(in[i]);
    return ctx.set_output_reshaped(0, *x, out);
  }

 private:
  IntList axes_;
};

Result<std::unique_ptr<OpKernel>> make_squeeze(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0)) return bad_node(n, "needs an input");
  IntList axes;
  if (init.opset() < 13) {
    if (has_attr(n, "axes")) axes = IntList::values(attr_ints(n, "axes"));
  } else {
    BRAID_ASSIGN_OR_RETURN(axes, IntList::input(init, 1, "axes"));
  }
  return std::unique_ptr<OpKernel>(new SqueezeKernel(std::move(axes)));
}

class UnsqueezeKernel final : public OpKernel {
 public:
  explicit UnsqueezeKernel(IntList axes) : axes_(std::move(axes)) {}

  Status compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(*ctx.node, "missing input");
    BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> raw, axes_.get(ctx));
    const int64_t out_rank = x->rank() + static_cast<int64_t>(raw.size());
    BRAID_ASSIGN_OR_RETURN(std::vector<int64_t> axes, normalize_axes(*ctx.node, raw, out_rank));
    std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
    for (int64_t a : axes) inserted[a] = true;
    Shape out(static_cast<size_t>(out_rank));
    size_t next = 0;
    for (size_t i = 0; i < out.size(); ++i) out[i] = inserted[i] ? 1 : x->dim(next++);
    return set_reshaped(ctx, *x, std::move(out));
  }

 private:
  IntList axes_;
};

Result<std::unique_ptr<OpKernel>> make_unsqueeze(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0)) return bad_node(n, "needs an input");
  IntList axes;
  if (init.opset() < 13) {
    if (!has_attr(n, "axes")) return bad_node(n, "needs an 'axes' attribute");
    axes = IntList::values(attr_ints(n, "axes"));
  } else {
    if (!init.has_input(1)) return bad_node(n, "needs an axes input");
    BRAID_ASSIGN_OR_RETURN(axes, IntList::input(init, 1, "axes"));
  }
  return std::unique_ptr<OpKernel>(new UnsqueezeKernel(std::move(axes)));
}

}  // namespace

void register_tensor_reshape_ops(OpRegistry& r) {
  r.add({"", "Reshape", 1, 1 << 30, make_reshape});
  r.add({"", "Flatten", 1, 1 << 30, make_flatten});
  r.add({"", "Squeeze", 1, 1 << 30, make_squeeze});
  r.add({"", "Unsqueeze", 1, 1 << 30, make_unsqueeze});
}

}  // namespace braid::detail
