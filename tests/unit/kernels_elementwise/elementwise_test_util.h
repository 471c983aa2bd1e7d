// Helpers for the elementwise kernel tests: run one op through its registered kernel on a
// hand-built one-node graph, build attributes and tensors, and read elements as double.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "braid/status.h"
#include "braid/tensor.h"
#include "ir/graph.h"

namespace braid::ewtest {

detail::Attribute attr_int(const std::string& name, int64_t v);
detail::Attribute attr_float(const std::string& name, float v);
detail::Attribute attr_string(const std::string& name, const std::string& v);
detail::Attribute attr_ints(const std::string& name, std::vector<int64_t> v);

struct OpCall {
  std::string op = {};
  int opset = 17;
  std::vector<std::optional<Tensor>> inputs = {};  // nullopt: an omitted optional input
  std::vector<detail::Attribute> attributes = {};
  size_t num_outputs = 1;
  int max_threads = 1;
  bool constant_inputs = false;  // inputs after the first become initializers
  bool declare_dtypes = true;    // false: values carry no dtype (kernels resolve at run time)
};

// Creates the kernel (an error Status when creation fails) and runs it once.
Result<std::vector<Tensor>> run_op(const OpCall& call);

// Tensors from doubles, converted to `dtype` (float16/bfloat16 round to nearest even).
Tensor make_tensor(DataType dtype, const Shape& shape, const std::vector<double>& values);
Tensor make_bool(const Shape& shape, const std::vector<bool>& values);
// Seeded uniform values in [lo, hi).
std::vector<double> random_values(int64_t n, uint32_t seed, double lo = -1.0, double hi = 1.0);

double element(const Tensor& t, int64_t i);
std::vector<double> elements(const Tensor& t);

int64_t numel_of(const Shape& s);
// Row-major offset into `in_shape` of output index `o` of `out_shape` under numpy rules.
int64_t broadcast_source(const Shape& out_shape, const Shape& in_shape, int64_t o);

// The ISA caps this CPU can run ("scalar" always; "avx2", "avx512" when present).
std::vector<const char*> available_isas();

}  // namespace braid::ewtest
