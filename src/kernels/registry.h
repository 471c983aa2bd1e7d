// OpRegistry: maps (domain, op_type, opset) to kernel factories. The built-in kernels are
// registered by explicit calls (no static-initializer tricks, so static linking keeps them).
#pragma once

#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/op_kernel.h"

namespace braid::detail {

class OpRegistry {
 public:
  // The process-wide registry with every built-in kernel. Thread-safe.
  static OpRegistry& global();

  // Adds (or, for the same domain/op/since_version, replaces) a kernel. Thread-safe.
  void add(KernelDef def);
  // The kernel for this op at this opset, or nullptr. Thread-safe.
  const KernelDef* find(std::string_view domain, std::string_view op_type, int opset) const;
  // Every registered (domain, op_type), sorted. Thread-safe.
  std::vector<std::string> op_names() const;

 private:
  mutable std::shared_mutex mu_;
  // Key "domain\x1fop_type"; a few entries per key, one per opset range. std::map keeps
  // references stable across add() so find() can hand out pointers.
  std::map<std::string, std::vector<KernelDef>, std::less<>> kernels_;
};

// Each kernel family registers itself through one of these (called by OpRegistry::global).
void register_elementwise_kernels(OpRegistry& r);
void register_tensor_kernels(OpRegistry& r);
void register_nn_kernels(OpRegistry& r);
void register_misc_kernels(OpRegistry& r);

}  // namespace braid::detail
