// Typed attribute reads with defaults, for kernel factories.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"

namespace braid::detail {

int64_t attr_int(const Node& n, std::string_view name, int64_t def);
float attr_float(const Node& n, std::string_view name, float def);
std::string attr_string(const Node& n, std::string_view name, std::string def);
std::vector<int64_t> attr_ints(const Node& n, std::string_view name, std::vector<int64_t> def = {});
std::vector<float> attr_floats(const Node& n, std::string_view name, std::vector<float> def = {});
bool has_attr(const Node& n, std::string_view name);

}  // namespace braid::detail
