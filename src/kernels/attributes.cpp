#include "kernels/attributes.h"

namespace braid::detail {

int64_t attr_int(const Node& n, std::string_view name, int64_t def) {
  const Attribute* a = n.find_attribute(name);
  if (!a) return def;
  if (a->kind == Attribute::Kind::kFloat) return static_cast<int64_t>(a->f);
  return a->kind == Attribute::Kind::kInt ? a->i : def;
}

float attr_float(const Node& n, std::string_view name, float def) {
  const Attribute* a = n.find_attribute(name);
  if (!a) return def;
  if (a->kind == Attribute::Kind::kInt) return static_cast<float>(a->i);
  return a->kind == Attribute::Kind::kFloat ? a->f : def;
}

std::string attr_string(const Node& n, std::string_view name, std::string def) {
  const Attribute* a = n.find_attribute(name);
  return a && a->kind == Attribute::Kind::kString ? a->s : def;
}

std::vector<int64_t> attr_ints(const Node& n, std::string_view name, std::vector<int64_t> def) {
  const Attribute* a = n.find_attribute(name);
  if (!a) return def;
  if (a->kind == Attribute::Kind::kInt) return {a->i};
  return a->kind == Attribute::Kind::kInts ? a->ints : def;
}

std::vector<float> attr_floats(const Node& n, std::string_view name, std::vector<float> def) {
  const Attribute* a = n.find_attribute(name);
  if (!a) return def;
  if (a->kind == Attribute::Kind::kFloat) return {a->f};
  return a->kind == Attribute::Kind::kFloats ? a->floats : def;
}

bool has_attr(const Node& n, std::string_view name) { return n.find_attribute(name) != nullptr; }

}  // namespace braid::detail
