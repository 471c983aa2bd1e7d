// The Graph IR: a flat, index-addressed, topologically ordered graph of values and nodes.
// Independent of protobuf: the ONNX importer is the only code that builds it from ONNX.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "braid/tensor.h"

namespace braid::detail {

using ValueId = uint32_t;
using NodeId = uint32_t;
inline constexpr ValueId kNoValue = 0xFFFFFFFFu;  // an omitted optional input/output
inline constexpr NodeId kNoNode = 0xFFFFFFFFu;

// One dimension of a declared shape: a known size, a symbol ("batch"), or unknown.
struct Dim {
  int64_t value = -1;   // >= 0 when known
  std::string symbol;   // non-empty for symbolic dims
  bool known() const { return value >= 0; }
};

struct Value {
  std::string name;
  DataType dtype = DataType::kUndefined;
  std::optional<std::vector<Dim>> shape;  // nullopt: rank unknown
  std::optional<Tensor> constant;         // initializers and folded Constant nodes
  NodeId producer = kNoNode;
  std::vector<NodeId> consumers;
};

class Graph;

struct Attribute {
  enum class Kind { kFloat, kInt, kString, kTensor, kFloats, kInts, kStrings, kGraph };
  std::string name;
  Kind kind = Kind::kInt;
  float f = 0;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::shared_ptr<const Graph> graph;  // control-flow bodies (kept for error messages)
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" for the default ONNX domain
  int opset = 0;       // the opset version of `domain` the model imports
  std::vector<ValueId> inputs;   // kNoValue for omitted optional inputs
  std::vector<ValueId> outputs;  // kNoValue for omitted optional outputs
  std::vector<Attribute> attributes;

  const Attribute* find_attribute(std::string_view attr_name) const;
  // "Conv 'conv1'" for error messages.
  std::string describe() const;
};

// The whole model graph. Nodes are stored in topological order.
class Graph {
 public:
  std::string name;
  std::vector<Value> values;
  std::vector<Node> nodes;
  std::vector<ValueId> inputs;   // graph inputs the caller feeds (initializers excluded)
  std::vector<ValueId> outputs;
  int default_opset = 0;

  ValueId add_value(Value v);
  // The value with this name, or kNoValue. Linear scan: used at load time only.
  ValueId find_value(std::string_view value_name) const;
  // Recomputes producer/consumer links and checks that the node order is topological
  // (reorders it if not). Fails on cycles or values with two producers.
  Status finalize();
};

}  // namespace braid::detail
