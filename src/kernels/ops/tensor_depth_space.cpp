// DepthToSpace (DCR and CRD) and SpaceToDepth: a 6-D view of the NCHW input and one
// transpose_bytes call, so they share Transpose's memcpy and tiled paths.
#include <string>

#include "kernels/attributes.h"
#include "kernels/ops/tensor_common.h"
#include "kernels/ops/tensor_kernels.h"
#include "kernels/ops/tensor_transpose.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace tensor_ops;
namespace {

class DepthSpaceKernel final : public OpKernel {
 public:
  enum class Kind { kDepthToSpaceDcr, kDepthToSpaceCrd, kSpaceToDepth };
  DepthSpaceKernel(Kind kind, int64_t block) : kind_(kind), block_(block) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(node, "missing input");
    if (!is_fixed_size(x->dtype())) return unsupported_dtype(node, x->dtype());
    if (x->rank() != 4) return bad_node(node, "input must be 4-D (NCHW)");
    const int64_t n = x->dim(0), c = x->dim(1), h = x->dim(2), w = x->dim(3), b = block_;
    Shape view, out;
    std::vector<int64_t> perm;
    if (kind_ == Kind::kSpaceToDepth) {
      if (h % b != 0 || w % b != 0)
        return bad_node(node, "spatial dims " + shape_to_string(x->shape()) + " are not multiples of the blocksize");
      view = {n, c, h / b, b, w / b, b};
      perm = {0, 3, 5, 1, 2, 4};
      BRAID_ASSIGN_OR_RETURN(int64_t oc, checked_mul(node, c, b * b));
      out = {n, oc, h / b, w / b};
    } else {
      if (c % (b * b) != 0)
        return bad_node(node, "channels " + std::to_string(c) + " are not a multiple of blocksize^2");
      const int64_t oc = c / (b * b);
      if (kind_ == Kind::kDepthToSpaceDcr) {
        view = {n, b, b, oc, h, w};
        perm = {0, 3, 4, 1, 5, 2};
      } else {
        view = {n, oc, b, b, h, w};
        perm = {0, 1, 4, 2, 5, 3};
      }
      BRAID_ASSIGN_OR_RETURN(int64_t oh, checked_mul(node, h, b));
      BRAID_ASSIGN_OR_RETURN(int64_t ow, checked_mul(node, w, b));
      out = {n, oc, oh, ow};
    }
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, x->dtype(), out));
    if (y->numel() == 0) return {};
    transpose_bytes(x->raw_data(), view, perm, dtype_size(x->dtype()), y->raw_data(), ctx.max_threads);
    return {};
  }

 private:
  Kind kind_;
  int64_t block_;
};

Result<std::unique_ptr<OpKernel>> make_depth_space(const KernelInit& init, bool to_space) {
  const Node& n = *init.node;
  if (!init.has_input(0)) return bad_node(n, "needs an input");
  BRAID_RETURN_IF_ERROR(check_movable_dtype(n, init.input_dtype(0)));
  const int64_t block = attr_int(n, "blocksize", 0);
  if (block < 1 || block > (int64_t{1} << 20)) return bad_node(n, "blocksize must be positive");
  auto kind = DepthSpaceKernel::Kind::kSpaceToDepth;
  if (to_space) {
    const std::string mode = attr_string(n, "mode", "DCR");
    if (mode == "DCR") kind = DepthSpaceKernel::Kind::kDepthToSpaceDcr;
    else if (mode == "CRD") kind = DepthSpaceKernel::Kind::kDepthToSpaceCrd;
    else return bad_node(n, "unknown mode '" + mode + "'");
  }
  return std::unique_ptr<OpKernel>(new DepthSpaceKernel(kind, block));
}

Result<std::unique_ptr<OpKernel>> make_depth_to_space(const KernelInit& init) { return make_depth_space(init, true); }
Result<std::unique_ptr<OpKernel>> make_space_to_depth(const KernelInit& init) { return make_depth_space(init, false); }

}  // namespace

void register_tensor_depth_space_ops(OpRegistry& r) {
  r.add({"", "DepthToSpace", 1, 1 << 30, make_depth_to_space});
  r.add({"", "SpaceToDepth", 1, 1 << 30, make_space_to_depth});
}

}  // namespace braid::detail
