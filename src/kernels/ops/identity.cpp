// Identity and Dropout (inference: a pass-through plus an optional all-true mask).
// A model for new kernels: a factory that validates at load, a compute with no state.
#include <cstring>

#include "kernels/ops/tensor_common.h"
#include "kernels/ops/tensor_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

class IdentityKernel final : public OpKernel {
 public:
  // mask_in_input_dtype: Dropout before opset 10 returns its mask in the input dtype.
  explicit IdentityKernel(bool mask_in_input_dtype) : mask_in_input_dtype_(mask_in_input_dtype) {}

  Status compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(*ctx.node, "missing input");
    ctx.set_output(0, *x);  // zero-copy: tensors are immutable once produced
    if (ctx.outputs.size() > 1 && ctx.node->outputs[1] != kNoValue) {
      const DataType dt = mask_in_input_dtype_ ? x->dtype() : DataType::kBool;
      BRAID_ASSIGN_OR_RETURN(uint64_t one, tensor_ops::scalar_bits(*ctx.node, dt, 1.0));
      BRAID_ASSIGN_OR_RETURN(Tensor * mask, ctx.allocate_output_dims(1, dt, x->shape()));
      tensor_ops::fill_bits(mask->raw_data(), mask->numel(), dtype_size(dt), one);
    }
    return {};
  }

 private:
  bool mask_in_input_dtype_;
};

Result<std::unique_ptr<OpKernel>> make_identity(const KernelInit& init) {
  if (!init.has_input(0)) return bad_node(*init.node, "needs one input");
  bool mask_in_input_dtype = false;
  if (init.node->op_type == "Dropout") {
    // Braid is an inference runtime: Dropout is a pass-through unless training is asked
    // for through the opset >= 12 training_mode input (the pre-7 is_test attribute is
    // ignored, as other inference runtimes do).
    const Tensor* training = init.constant_input(2);
    bool training_off = !init.has_input(2) ||
                        (training && training->numel() == 1 && *training->data<uint8_t>() == 0);
    if (!training_off)
      return unsupported_op(init.node->describe() + ": training_mode is not supported (inference only)");
    mask_in_input_dtype = init.opset() < 10;
  }
  return std::unique_ptr<OpKernel>(new IdentityKernel(mask_in_input_dtype));
}

}  // namespace

void register_tensor_ops(OpRegistry& r) {
  r.add({"", "Identity", 1, 1 << 30, make_identity});
  r.add({"", "Dropout", 1, 1 << 30, make_identity});
}

}  // namespace braid::detail
