// Transpose, DepthToSpace and SpaceToDepth against index-math references: every 4-D
// permutation on odd sizes, every dtype, size-1 dims, tiles with ragged edges, tensors big
// enough to split over threads, empty tensors and bad perms.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "common/test_util.h"
#include "tensor_test_util.h"

namespace braid::testing {
namespace {

RefTensor ref_transpose(const RefTensor& x, const std::vector<int64_t>& perm) {
  Shape out(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) out[i] = x.shape[perm[i]];
  RefTensor y(out);
  for (int64_t i = 0; i < y.numel(); ++i) {
    std::vector<int64_t> o = y.unflat(i), in(perm.size());
    for (size_t d = 0; d < perm.size(); ++d) in[perm[d]] = o[d];
    y.v[i] = x.at(in);
  }
  return y;
}

void check_transpose(const Shape& shape, const std::vector<int64_t>& perm, DataType dt, int threads = 1) {
  RefTensor x = RefTensor::iota(shape, dt == DataType::kFloat32 || dt == DataType::kFloat64 ? 0 : 100);
  auto y = OpTester("Transpose", 13).input(x.to(dt)).attr_ints("perm", perm).threads(threads).run1();
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ(compare_tensors(ref_transpose(x, perm).to(dt), *y, 0, 0), "")
      << "shape " << shape_to_string(shape) << " perm " << shape_to_string(perm) << " " << dtype_name(dt);
}

TEST(TensorTranspose, Every4DPermutationOnOddSizes) {
  std::vector<int64_t> perm = {0, 1, 2, 3};
  do {
    check_transpose({2, 3, 5, 7}, perm, DataType::kFloat32);
    check_transpose({3, 1, 5, 6}, perm, DataType::kUInt8);
  } while (std::next_permutation(perm.begin(), perm.end()));
}

TEST(TensorTranspose, EveryDtypeMovesBySize) {
  for (DataType dt : movable_dtypes()) {
    check_transpose({3, 17, 19}, {0, 2, 1}, dt);
    check_transpose({4, 5, 6}, {2, 0, 1}, dt);
  }
}

TEST(TensorTranspose, TileEdgesAndCommonLayouts) {
  // Blocked 2-D transposes with ragged edges on both sides of the SSE 4x4 kernel.
  for (int64_t r : {1, 3, 4, 5, 15, 16, 17, 33}) {
    for (int64_t c : {1, 2, 4, 7, 16, 31, 65}) {
      check_transpose({r, c}, {1, 0}, DataType::kFloat32);
      check_transpose({r, c}, {1, 0}, DataType::kInt64);
    }
  }
  check_transpose({2, 8, 9, 10}, {0, 2, 3, 1}, DataType::kFloat32);  // NCHW -> NHWC
  check_transpose({2, 9, 10, 8}, {0, 3, 1, 2}, DataType::kFloat32);  // NHWC -> NCHW
  check_transpose({1, 1, 5, 1}, {3, 2, 1, 0}, DataType::kFloat32);   // only size-1 dims move
  check_transpose({6}, {0}, DataType::kInt16);
  check_transpose({}, {}, DataType::kFloat32);                       // scalar
}

TEST(TensorTranspose, DefaultReversesAndRanksUpToSix) {
  RefTensor x = RefTensor::iota({2, 3, 4});
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("Transpose", 1).input(x.to(DataType::kFloat32)).run1());
  EXPECT_EQ(compare_tensors(ref_transpose(x, {2, 1, 0}).to(DataType::kFloat32), y, 0, 0), "");
  check_transpose({2, 3, 2, 3, 2, 3}, {5, 3, 1, 4, 2, 0}, DataType::kFloat32);
  check_transpose({2, 3, 2, 3, 2, 3}, {0, 1, 3, 2, 4, 5}, DataType::kFloat64);
}

TEST(TensorTranspose, LargeTensorsSplitOverThreads) {
  check_transpose({1, 64, 72, 72}, {0, 2, 3, 1}, DataType::kFloat32, 4);
  check_transpose({1, 72, 72, 64}, {0, 3, 1, 2}, DataType::kFloat32, 4);
  check_transpose({4, 96, 128, 8}, {0, 2, 1, 3}, DataType::kFloat32, 3);
  check_transpose({700, 700}, {1, 0}, DataType::kUInt8, 4);
}

TEST(TensorTranspose, EmptyAndBadInput) {
  BRAID_ASSERT_OK_AND_ASSIGN(
      Tensor y, OpTester("Transpose", 13).input(Tensor::empty(DataType::kFloat32, {2, 0, 3}).value()).attr_ints("perm", {2, 0, 1}).run1());
  EXPECT_EQ(y.shape(), (Shape{3, 2, 0}));
  Tensor x = RefTensor::iota({2, 3}).to(DataType::kFloat32);
  BRAID_EXPECT_BAD(OpTester("Transpose", 13).input(x).attr_ints("perm", {0, 0}).create());
  BRAID_EXPECT_BAD(OpTester("Transpose", 13).input(x).attr_ints("perm", {0, 2}).create());
  BRAID_EXPECT_BAD(OpTester("Transpose", 13).input(x).attr_ints("perm", {-1, 0}).create());
  BRAID_EXPECT_BAD(OpTester("Transpose", 13).input(x).attr_ints("perm", {1, 0, 2}).run());  // rank mismatch
}

RefTensor ref_depth_to_space(const RefTensor& x, int64_t b, bool crd) {
  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], oc = c / (b * b);
  RefTensor y({n, oc, h * b, w * b});
  for (int64_t i = 0; i < y.numel(); ++i) {
    auto o = y.unflat(i);
    const int64_t bh = o[2] % b, bw = o[3] % b;
    const int64_t ic = crd ? o[1] * b * b + bh * b + bw : (bh * b + bw) * oc + o[1];
    y.v[i] = x.at({o[0], ic, o[2] / b, o[3] / b});
  }
  return y;
}

RefTensor ref_space_to_depth(const RefTensor& x, int64_t b) {
  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  RefTensor y({n, c * b * b, h / b, w / b});
  for (int64_t i = 0; i < y.numel(); ++i) {
    auto o = y.unflat(i);
    const int64_t ic = o[1] % c, blk = o[1] / c;
    y.v[i] = x.at({o[0], ic, o[2] * b + blk / b, o[3] * b + blk % b});
  }
  return y;
}

TEST(TensorDepthSpace, DcrCrdAndInverse) {
  RefTensor x = RefTensor::iota({2, 12, 3, 5});
  for (const char* mode : {"DCR", "CRD"}) {
    BRAID_ASSERT_OK_AND_ASSIGN(Tensor y, OpTester("DepthToSpace", 13).input(x.to(DataType::kFloat32))
                                             .attr_int("blocksize", 2).attr_string("mode", mode).run1());
    EXPECT_EQ(compare_tensors(ref_depth_to_space(x, 2, std::string(mode) == "CRD").to(DataType::kFloat32), y, 0, 0), "")
        << mode;
  }
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor d, OpTester("DepthToSpace", 1).input(x.to(DataType::kInt32)).attr_int("blocksize", 2).run1());
  EXPECT_EQ(compare_tensors(ref_depth_to_space(x, 2, false).to(DataType::kInt32), d, 0, 0), "");
  RefTensor s = RefTensor::iota({2, 3, 6, 9});
  BRAID_ASSERT_OK_AND_ASSIGN(Tensor z, OpTester("SpaceToDepth", 13).input(s.to(DataType::kFloat32)).attr_int("blocksize", 3).run1());
  EXPECT_EQ(compare_tensors(ref_space_to_depth(s, 3).to(DataType::kFloat32), z, 0, 0), "");
}

TEST(TensorDepthSpace, BadBlocksAreErrors) {
  Tensor x = RefTensor::iota({1, 8, 3, 3}).to(DataType::kFloat32);
  BRAID_EXPECT_BAD(OpTester("DepthToSpace", 13).input(x).attr_int("blocksize", 3).run());  // 8 % 9
  BRAID_EXPECT_BAD(OpTester("SpaceToDepth", 13).input(x).attr_int("blocksize", 2).run());  // 3 % 2
  BRAID_EXPECT_BAD(OpTester("DepthToSpace", 13).input(x).attr_int("blocksize", 0).create());
  BRAID_EXPECT_BAD(OpTester("DepthToSpace", 13).input(x).attr_int("blocksize", 2).attr_string("mode", "XYZ").create());
  BRAID_EXPECT_BAD(OpTester("SpaceToDepth", 13).input(RefTensor::iota({4, 4}).to(DataType::kFloat32)).attr_int("blocksize", 2).run());
}

}  // namespace
}  // namespace braid::testing
