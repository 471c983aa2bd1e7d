// Helpers for the tensor kernel tests: OpTester runs one op through its registered kernel
// on a hand-built one-node graph, and RefTensor holds reference values in double.
//
//   auto out = OpTester("Transpose", 13).input(x).attr_ints("perm", {1, 0}).run();
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "braid/status.h"
#include "braid/tensor.h"
#include "ir/graph.h"

namespace braid::testing {

class OpTester {
 public:
  OpTester(std::string op, int opset) : op_(std::move(op)), opset_(opset) {}

  OpTester& input(Tensor t);        // computed at run time (the kernel sees it only in compute)
  OpTester& const_input(Tensor t);  // an initializer (the kernel may read it at load)
  OpTester& omitted_input();
  OpTester& attr_int(const std::string& name, int64_t v);
  OpTester& attr_ints(const std::string& name, std::vector<int64_t> v);
  OpTester& attr_float(const std::string& name, float v);
  OpTester& attr_floats(const std::string& name, std::vector<float> v);
  OpTester& attr_string(const std::string& name, std::string v);
  OpTester& attr_tensor(const std::string& name, Tensor v);
  OpTester& outputs(int n);
  OpTester& omit_output(int i);
  OpTester& threads(int n);

  // Creates the kernel only: its load-time Status.
  Status create() const;
  // Creates and runs the kernel; the outputs in order (undefined where omitted).
  Result<std::vector<Tensor>> run() const;
  // run() expecting one output.
  Result<Tensor> run1() const;
  // Creates the kernel once and calls compute() from `callers` threads at the same time,
  // `rounds` times each; the first output of every call.
  Result<std::vector<Tensor>> run_concurrently(int callers, int rounds) const;

 private:
  struct In {
    std::optional<Tensor> t;
    bool constant = false;
  };
  Status build(detail::Graph& g) const;
  std::string op_;
  int opset_;
  std::vector<In> inputs_;
  std::vector<detail::Attribute> attrs_;
  int num_outputs_ = 1;
  std::vector<bool> omitted_outputs_;
  int threads_ = 1;
};

// Reference values in double with a shape; converts to any numeric tensor.
struct RefTensor {
  Shape shape;
  std::vector<double> v;

  RefTensor() = default;
  RefTensor(Shape s) : shape(std::move(s)), v(static_cast<size_t>(numel()), 0.0) {}
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  // Row-major flat index of a multi-index.
  int64_t flat(const std::vector<int64_t>& idx) const;
  double& at(const std::vector<int64_t>& idx) { return v[static_cast<size_t>(flat(idx))]; }
  double at(const std::vector<int64_t>& idx) const { return v[static_cast<size_t>(flat(idx))]; }
  // The multi-index of flat position i.
  std::vector<int64_t> unflat(int64_t i) const;

  Tensor to(DataType dt) const;
  static RefTensor from(const Tensor& t);
  // Distinct values 1, 2, 3, ... (modulo `mod` when given, for small dtypes).
  static RefTensor iota(Shape s, int64_t mod = 0);
};

// Tensors of a dtype from values.
Tensor make_f32(Shape s, std::vector<float> v);
Tensor make_i64(Shape s, std::vector<int64_t> v);
Tensor make_i32(Shape s, std::vector<int32_t> v);
Tensor make_bool(Shape s, std::vector<uint8_t> v);

// Every fixed-size dtype the tensor family moves by element size.
std::vector<DataType> movable_dtypes();

}  // namespace braid::testing

// ASSERT that a Result is ok and binds its value.
#define BRAID_ASSERT_OK_AND_ASSIGN(decl, expr)                                   \
  auto BRAID_CONCAT_(tt_result_, __LINE__) = (expr);                             \
  ASSERT_TRUE(BRAID_CONCAT_(tt_result_, __LINE__).ok())                          \
      << BRAID_CONCAT_(tt_result_, __LINE__).status().to_string();               \
  decl = std::move(BRAID_CONCAT_(tt_result_, __LINE__)).value()

// EXPECT that a Status / Result failed with invalid_argument (not a crash, not ok).
#define BRAID_EXPECT_BAD(expr)                                                                 \
  do {                                                                                         \
    auto tt_st_ = (expr);                                                                      \
    EXPECT_FALSE(tt_st_.ok());                                                                 \
    if (!tt_st_.ok()) {                                                                        \
      EXPECT_EQ(::braid::testing::status_of(tt_st_).code(), ::braid::StatusCode::kInvalidArgument) \
          << ::braid::testing::status_of(tt_st_).to_string();                                  \
    }                                                                                          \
  } while (0)

namespace braid::testing {
inline const Status& status_of(const Status& s) { return s; }
template <class T>
const Status& status_of(const Result<T>& r) { return r.status(); }
}  // namespace braid::testing
