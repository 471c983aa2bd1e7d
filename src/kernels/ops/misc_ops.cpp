#include "kernels/ops/misc_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {
void register_misc_ops(OpRegistry& r) {}
}  // namespace braid::detail
