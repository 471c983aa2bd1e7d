// The host-registered custom ops (include/braid/custom_op.h), looked up by the kernel
// factory and by the cost model.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "braid/custom_op.h"

namespace braid::detail {

// The custom op registered for (domain, op_type) that applies at `opset` (the highest
// since_version <= opset), or null. Thread-safe.
std::shared_ptr<const CustomOp> find_custom_op(std::string_view domain, std::string_view op_type, int opset);

// The op's FLOPs for these input shapes when it has a cost function. Thread-safe.
std::optional<double> custom_op_flops(std::string_view domain, std::string_view op_type, int opset,
                                      const std::vector<Shape>& input_shapes);

}  // namespace braid::detail
