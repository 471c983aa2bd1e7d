// TopK against a selection reference (repeatedly take the best remaining element, lowest
// index on ties), over axes, k, largest/smallest, dtypes and thread counts; plus errors.
#include <gtest/gtest.h>

#include <cmath>

#include "elementwise_test_util.h"

namespace braid {
namespace {

using namespace ewtest;

struct Expected {
  std::vector<double> values;
  std::vector<int64_t> indices;
};

// Row-major [outer, n, inner] -> [outer, k, inner].
Expected topk_ref(const std::vector<double>& x, int64_t outer, int64_t n, int64_t inner, int64_t k, bool largest) {
  Expected e;
  e.values.assign(static_cast<size_t>(outer * k * inner), 0);
  e.indices.assign(e.values.size(), 0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      std::vector<bool> taken(static_cast<size_t>(n), false);
      for (int64_t r = 0; r < k; ++r) {
        int64_t best = -1;
        for (int64_t j = 0; j < n; ++j) {
          if (taken[static_cast<size_t>(j)]) continue;
          const double v = x[static_cast<size_t>((o * n + j) * inner + i)];
          const double b = best < 0 ? 0 : x[static_cast<size_t>((o * n + best) * inner + i)];
          if (best < 0 || (largest ? v > b : v < b)) best = j;  // strict: ties keep the lower index
        }
        taken[static_cast<size_t>(best)] = true;
        const size_t out = static_cast<size_t>((o * k + r) * inner + i);
        e.values[out] = x[static_cast<size_t>((o * n + best) * inner + i)];
        e.indices[out] = best;
      }
    }
  return e;
}

Tensor k_tensor(int64_t k) { return make_tensor(DataType::kInt64, {1}, {static_cast<double>(k)}); }

TEST(TopK, MatchesTheSelectionReference) {
  const Shape shape{3, 7, 5};
  for (DataType dt : {DataType::kFloat32, DataType::kFloat64, DataType::kInt32, DataType::kInt64}) {
    std::vector<double> x = random_values(numel_of(shape), 11, -4, 4);
    // Integers and repeated floats exercise the tie rule.
    for (double& v : x) v = std::round(v * 2) / 2;
    Tensor in = make_tensor(dt, shape, x);
    x = elements(in);  // the values as stored (integers truncate)
    for (int64_t axis : {0, 1, 2, -1}) {
      const int64_t a = axis < 0 ? axis + 3 : axis;
      int64_t outer = 1, inner = 1;
      for (int64_t d = 0; d < 3; ++d) {
        if (d < a) outer *= shape[static_cast<size_t>(d)];
        if (d > a) inner *= shape[static_cast<size_t>(d)];
      }
      const int64_t n = shape[static_cast<size_t>(a)];
      for (int64_t k : {int64_t{0}, int64_t{1}, n / 2, n})
        for (int largest : {1, 0})
          for (int threads : {1, 2}) {
            OpCall call{.op = "TopK", .opset = 11, .inputs = {in, k_tensor(k)},
                        .attributes = {attr_int("axis", axis), attr_int("largest", largest)},
                        .num_outputs = 2, .max_threads = threads};
            auto out = run_op(call);
            ASSERT_TRUE(out.ok()) << out.status().to_string();
            Expected e = topk_ref(x, outer, n, inner, k, largest != 0);
            Shape want = shape;
            want[static_cast<size_t>(a)] = k;
            ASSERT_EQ((*out)[0].shape(), want);
            ASSERT_EQ((*out)[0].dtype(), dt);
            ASSERT_EQ((*out)[1].dtype(), DataType::kInt64);
            EXPECT_EQ(elements((*out)[0]), e.values) << dtype_name(dt) << " axis " << axis << " k " << k;
            std::vector<double> idx = elements((*out)[1]);
            for (size_t i = 0; i < idx.size(); ++i)
              ASSERT_EQ(static_cast<int64_t>(idx[i]), e.indices[i]) << "element " << i << " axis " << axis;
          }
    }
  }
}

TEST(TopK, Opset1TakesKFromTheAttribute) {
  Tensor in = make_tensor(DataType::kFloat32, {1, 4}, {0.5, 3, -1, 2});
  auto out = run_op({.op = "TopK", .opset = 1, .inputs = {in}, .attributes = {attr_int("k", 2)}, .num_outputs = 2});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(elements((*out)[0]), (std::vector<double>{3, 2}));
  EXPECT_EQ(elements((*out)[1]), (std::vector<double>{1, 3}));
}

TEST(TopK, NanRanksAboveEveryNumber) {
  const double nan = std::nan("");
  Tensor in = make_tensor(DataType::kFloat32, {5}, {1, nan, 7, -2, 3});
  auto out = run_op({.op = "TopK", .opset = 11, .inputs = {in, k_tensor(2)}, .num_outputs = 2});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(std::isnan(element((*out)[0], 0)));
  EXPECT_EQ(element((*out)[0], 1), 7);
  EXPECT_EQ(elements((*out)[1]), (std::vector<double>{1, 2}));
  auto smallest = run_op({.op = "TopK", .opset = 11, .inputs = {in, k_tensor(2)},
                          .attributes = {attr_int("largest", 0)}, .num_outputs = 2});
  ASSERT_TRUE(smallest.ok());
  EXPECT_EQ(elements((*smallest)[1]), (std::vector<double>{3, 0}));
}

TEST(TopK, BadKIsAClearError) {
  Tensor in = make_tensor(DataType::kFloat32, {2, 3}, {1, 2, 3, 4, 5, 6});
  for (int64_t k : {int64_t{-1}, int64_t{4}}) {
    auto out = run_op({.op = "TopK", .opset = 11, .inputs = {in, k_tensor(k)}, .num_outputs = 2});
    ASSERT_FALSE(out.ok()) << "k = " << k;
    EXPECT_NE(out.status().message().find("k = " + std::to_string(k)), std::string::npos) << out.status().message();
  }
  auto no_k = run_op({.op = "TopK", .opset = 1, .inputs = {in}, .num_outputs = 2});
  EXPECT_FALSE(no_k.ok());
}

}  // namespace
}  // namespace braid
