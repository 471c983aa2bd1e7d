#include "kernels/registry.h"

#include <algorithm>

namespace braid::detail {
namespace {
std::string key_of(std::string_view domain, std::string_view op) {
  std::string k(domain == "ai.onnx" ? std::string_view() : domain);
  k += '\x1f';
  k += op;
  return k;
}
}  // namespace

OpRegistry& OpRegistry::global() {
  static OpRegistry* registry = [] {
    auto* r = new OpRegistry();  // never destroyed: kernels may be looked up at exit
    register_elementwise_kernels(*r);
    register_tensor_kernels(*r);
    register_nn_kernels(*r);
    register_misc_kernels(*r);
    return r;
  }();
  return *registry;
}

void OpRegistry::add(KernelDef def) {
  std::unique_lock lock(mu_);
  auto& list = kernels_[key_of(def.domain, def.op_type)];
  for (KernelDef& existing : list) {
    if (existing.since_version == def.since_version) {
      existing = std::move(def);
      return;
    }
  }
  list.push_back(std::move(def));
}

const KernelDef* OpRegistry::find(std::string_view domain, std::string_view op_type, int opset) const {
  std::shared_lock lock(mu_);
  auto it = kernels_.find(key_of(domain, op_type));
  if (it == kernels_.end()) return nullptr;
  const KernelDef* best = nullptr;
  for (const KernelDef& d : it->second) {
    if (opset >= d.since_version && opset <= d.until_version &&
        (best == nullptr || d.since_version > best->since_version))
      best = &d;
  }
  return best;
}

std::vector<std::string> OpRegistry::op_names() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> names;
  for (const auto& [key, defs] : kernels_) {
    if (defs.empty()) continue;
    const KernelDef& d = defs.front();
    names.push_back(d.domain.empty() ? d.op_type : d.domain + "." + d.op_type);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace braid::detail
