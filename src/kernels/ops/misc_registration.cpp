// Registers the misc kernel family. Each kernel file exposes a register_* function
// declared in misc_kernels.h and called from here.
#include "kernels/ops/misc_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {

void register_misc_kernels(OpRegistry& r) {
  register_misc_ops(r);
}

}  // namespace braid::detail
