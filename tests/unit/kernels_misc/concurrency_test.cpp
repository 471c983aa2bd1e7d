// One kernel object computed from several threads at once (compute() is const and keeps
// no per-run state), each call also using intra-op threads, gives the single-call result.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "misc_test_util.h"

namespace braid::misc_test {
namespace {

void expect_same_from_threads(OpRunner& op) {
  ASSERT_TRUE(op.load().ok());
  auto reference = op.run(1);
  ASSERT_TRUE(reference.ok()) << reference.status().to_string();
  const unsigned hw = std::max(2u, std::thread::hardware_concurrency());
  for (int intra : {1, 2, 4, static_cast<int>(hw)}) {
    std::vector<std::thread> threads;
    std::vector<Result<std::vector<Tensor>>> results(4, Status(StatusCode::kInternal, "not run"));
    for (size_t t = 0; t < results.size(); ++t) threads.emplace_back([&, t] { results[t] = op.run(intra); });
    for (auto& th : threads) th.join();
    for (auto& r : results) {
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      for (size_t o = 0; o < r->size(); ++o) {
        const Tensor &a = (*r)[o], &b = (*reference)[o];
        if (!b.defined()) continue;
        ASSERT_EQ(a.shape(), b.shape());
        ASSERT_EQ(a.byte_size(), b.byte_size());
        EXPECT_EQ(std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()), 0) << "output " << o << " intra " << intra;
      }
    }
  }
}

TEST(MiscConcurrency, PoolNormAndRecurrentKernelsAreReentrant) {
  OpRunner pool("MaxPool", 12);
  pool.attr(attr_ints("kernel_shape", {3, 3})).attr(attr_ints("strides", {2, 2})).input(random_tensor({2, 16, 33, 35}, 1));
  expect_same_from_threads(pool);
  OpRunner avg("AveragePool", 11);
  avg.attr(attr_ints("kernel_shape", {2, 2})).attr(attr_ints("pads", {1, 1, 1, 1})).input(random_tensor({2, 16, 33, 35}, 2));
  expect_same_from_threads(avg);
  OpRunner ln("LayerNormalization", 17, 3);
  ln.input(random_tensor({64, 256}, 3)).constant(random_tensor({256}, 4)).constant(random_tensor({256}, 5));
  expect_same_from_threads(ln);
  OpRunner bn("BatchNormalization", 15);
  const Tensor p = random_tensor({16}, 6, 0.5f, 1.5f);
  bn.input(random_tensor({2, 16, 20, 20}, 7)).constant(p).constant(p).constant(p).constant(p);
  expect_same_from_threads(bn);
  OpRunner lstm("LSTM", 14, 3);
  lstm.attr(attr_int("hidden_size", 8)).attr(attr_string("direction", "bidirectional"));
  lstm.input(random_tensor({5, 3, 4}, 8)).constant(random_tensor({2, 32, 4}, 9)).constant(random_tensor({2, 32, 8}, 10));
  expect_same_from_threads(lstm);
  OpRunner mmi("MatMulInteger", 10);
  std::vector<uint8_t> a(64 * 48), b(48 * 40);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i * 7);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 13);
  mmi.input(make_tensor<uint8_t>({64, 48}, a)).constant(make_tensor<uint8_t>({48, 40}, b));
  expect_same_from_threads(mmi);
}

}  // namespace
}  // namespace braid::misc_test
