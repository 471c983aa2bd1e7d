// ShapeResolver: one concrete shape per IR value, for the cost model. Declared static
// shapes are used as they are; symbolic and unknown dims are resolved from concrete input
// shapes when the caller gives them (a small shape propagation over the common ops), and
// are treated as 1 otherwise.
//
//   ShapeBindings b = bind_input_shapes(graph, {{"images", {4, 3, 320, 320}}}).value();
//   std::vector<Shape> shapes = resolve_shapes(graph, b);  // one per value
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "braid/status.h"
#include "braid/tensor.h"
#include "ir/graph.h"

namespace braid::detail {

// Concrete sizes for a graph's dynamic dims: symbol values and whole input shapes.
struct ShapeBindings {
  std::map<std::string, int64_t> symbols;  // "batch" -> 4
  std::map<ValueId, Shape> values;         // concrete shapes of (graph input) values
  bool empty() const { return symbols.empty() && values.empty(); }
};

// Binds the graph inputs named in `inputs` to concrete shapes and records their symbolic
// dims. Fails (naming the input) on an unknown name, a rank mismatch, a static dim that
// differs, or one symbol bound to two sizes. Thread-safe.
Result<ShapeBindings> bind_input_shapes(const Graph& graph,
                                        const std::vector<std::pair<std::string, Shape>>& inputs);

// One shape per value: constants use their tensor's shape; fully known declared shapes
// are used as declared; other values are inferred from their producer's inputs where the
// op is known (elementwise, Conv, pooling, MatMul, Gemm, Concat, Reshape, Transpose, ...)
// and otherwise take the declared shape with bound symbols substituted and every other
// unknown dim as 1. A value of unknown rank that cannot be inferred gets the shape of its
// producer's largest input. Pure and deterministic. Thread-safe.
std::vector<Shape> resolve_shapes(const Graph& graph, const ShapeBindings& bindings = {});

// Elements of a resolved shape (at least 0; saturates instead of overflowing). Thread-safe.
double shape_numel(const Shape& shape) noexcept;

}  // namespace braid::detail
