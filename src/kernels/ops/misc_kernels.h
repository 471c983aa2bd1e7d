// misc kernels.
#pragma once

namespace braid::detail {
class OpRegistry;
void register_misc_ops(OpRegistry& r);
}  // namespace braid::detail
