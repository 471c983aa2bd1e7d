// MaxUnpool: scatters X into a zero tensor at the flat indices MaxPool produced. The
// output spatial shape is (in - 1) * stride + kernel - pads, or the output_shape input
// (which may only enlarge it: the unpooled block then sits at the output's origin).
#include <cstring>
#include <memory>

#include "kernels/ops/misc_kernels.h"
#include "kernels/ops/misc_window.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

class MaxUnpoolKernel final : public OpKernel {
 public:
  explicit MaxUnpoolKernel(misc::WindowGeometry g) : geometry_(std::move(g)) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    const Tensor* indices = ctx.input(1);
    if (x == nullptr || indices == nullptr) return bad_node(node, "needs inputs X and I");
    const size_t spatial = geometry_.kernel.size();
    if (x->rank() != static_cast<int64_t>(spatial) + 2)
      return bad_node(node, "input of shape " + shape_to_string(x->shape()) + " does not match a " +
                                std::to_string(spatial) + "-D kernel_shape");
    if (indices->dtype() != DataType::kInt64) return unsupported_dtype(node, indices->dtype(), "indices");
    if (indices->shape() != x->shape())
      return bad_node(node, "indices shape " + shape_to_string(indices->shape()) + " differs from X shape " +
                                shape_to_string(x->shape()));

    // Indices address the inferred shape [N, C, (in - 1) * stride + kernel - pads]; a given
    // output_shape (pads then ignored, as the ONNX reference) may only enlarge it, and the
    // inferred block sits at its origin.
    const Tensor* os = ctx.input(2);
    Shape inferred{x->dim(0), x->dim(1)};
    for (size_t d = 0; d < spatial; ++d) {
      const int64_t stride = geometry_.strides.empty() ? 1 : geometry_.strides[d];
      const int64_t pads = os || geometry_.pads.empty() ? 0 : geometry_.pads[d] + geometry_.pads[d + spatial];
      inferred.push_back((x->dim(d + 2) - 1) * stride + geometry_.kernel[d] - pads);
    }
    for (int64_t d : inferred)
      if (d < 0) return bad_node(node, "negative output dim in " + shape_to_string(inferred));
    Shape ys = inferred;
    if (os != nullptr) {
      if (os->dtype() != DataType::kInt64 || os->rank() != 1 || os->numel() != x->rank())
        return bad_node(node, "output_shape must be an int64 vector of " + std::to_string(x->rank()) + " values");
      ys.assign(os->data<int64_t>(), os->data<int64_t>() + os->numel());
      for (size_t d = 0; d < ys.size(); ++d)
        if (ys[d] < inferred[d])
          return bad_node(node, "output_shape " + shape_to_string(ys) + " is smaller than the inferred shape " +
                                    shape_to_string(inferred));
    }
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x->dtype(), ys));
    std::memset(y->raw_data(), 0, y->byte_size());

    const size_t elem = dtype_size(x->dtype());
    const auto* src = static_cast<const std::byte*>(x->raw_data());
    auto* dst = static_cast<std::byte*>(y->raw_data());
    const int64_t* ind = indices->data<int64_t>();
    int64_t limit = 1;
    for (int64_t d : inferred) limit *= d;
    const bool same = ys == inferred;
    for (int64_t i = 0; i < x->numel(); ++i) {
      const int64_t at = ind[i];
      if (at < 0 || at >= limit)
        return bad_node(node, "index " + std::to_string(at) + " is outside the output of " + std::to_string(limit) +
                                  " elements");
      int64_t out = at;
      if (!same) {  // the same coordinates in the larger output
        out = 0;
        int64_t rest = at, stride = 1;
        for (size_t d = ys.size(); d-- > 0;) {
          out += (rest % inferred[d]) * stride;
          rest /= inferred[d];
          stride *= ys[d];
        }
      }
      std::memcpy(dst + out * elem, src + i * elem, elem);
    }
    return {};
  }

 private:
  misc::WindowGeometry geometry_;
};

Result<std::unique_ptr<OpKernel>> make_max_unpool(const KernelInit& init) {
  const Node& node = *init.node;
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(node, "needs inputs X and I");
  misc::WindowOptions wo;
  wo.allow_ceil_mode = false;
  wo.allow_dilations = false;
  BRAID_ASSIGN_OR_RETURN(misc::WindowGeometry g, misc::parse_window_geometry(node, wo));
  if (g.auto_pad != misc::AutoPad::kNotSet) return unsupported_op(node.describe() + ": auto_pad is not supported");
  const DataType dtype = init.input_dtype(0);
  if (dtype != DataType::kUndefined && dtype != DataType::kFloat32 && dtype != DataType::kFloat64 &&
      dtype != DataType::kFloat16)
    return unsupported_dtype(node, dtype);
  return std::unique_ptr<OpKernel>(new MaxUnpoolKernel(std::move(g)));
}

}  // namespace

void register_misc_max_unpool_kernel(OpRegistry& r) { r.add({"", "MaxUnpool", 9, 21, make_max_unpool}); }

}  // namespace braid::detail
