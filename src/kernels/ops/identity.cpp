// Identity and Dropout (inference: a pass-through plus an optional all-true mask).
// A model for new kernels: a factory that validates at load, a compute with no state.
#include <cstring>

#include "kernels/ops/tensor_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

class IdentityKernel final : public OpKernel {
 public:
  Status compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(*ctx.node, "missing input");
    ctx.set_output(0, *x);  // zero-copy: tensors are immutable once produced
    if (ctx.outputs.size() > 1 && ctx.node->outputs[1] != kNoValue) {
      BRAID_ASSIGN_OR_RETURN(Tensor * mask, ctx.allocate_output(1, DataType::kBool, x->shape()));
      std::memset(mask->raw_data(), 1, mask->byte_size());
    }
    return {};
  }
};

Result<std::unique_ptr<OpKernel>> make_identity(const KernelInit& init) {
  if (!init.has_input(0)) return bad_node(*init.node, "needs one input");
  if (init.node->op_type == "Dropout") {
    // Braid is an inference runtime: Dropout is a pass-through unless training is asked
    // for (opset >= 12 input 2, or the pre-7 is_test=0 attribute).
    const Tensor* training = init.constant_input(2);
    bool training_off = !init.has_input(2) ||
                        (training && training->numel() == 1 && *training->data<uint8_t>() == 0);
    if (!training_off)
      return unsupported_op(init.node->describe() + ": training_mode is not supported (inference only)");
  }
  return std::unique_ptr<OpKernel>(new IdentityKernel());
}

}  // namespace

void register_tensor_ops(OpRegistry& r) {
  r.add({"", "Identity", 1, 1 << 30, make_identity});
  r.add({"", "Dropout", 1, 1 << 30, make_identity});
}

}  // namespace braid::detail
