// Tests of the numpy-broadcasting helper (src/kernels/broadcast.h) against a naive index map.
#include "kernels/broadcast.h"

#include <gtest/gtest.h>

#include <random>

#include "elementwise_test_util.h"

namespace braid {
namespace {

using detail::BroadcastPlan;
using ewtest::broadcast_source;
using ewtest::numel_of;

TEST(BroadcastShapes, NumpyRules) {
  Shape a = {2, 1, 4}, b = {3, 1}, out;
  const Shape* s[] = {&a, &b};
  ASSERT_TRUE(detail::broadcast_shapes(s, &out));
  EXPECT_EQ(out, (Shape{2, 3, 4}));
  Shape c = {5}, d = {4};
  const Shape* bad[] = {&c, &d};
  EXPECT_FALSE(detail::broadcast_shapes(bad, &out));
  Shape scalar = {}, e = {0, 3};
  const Shape* zero[] = {&scalar, &e};
  ASSERT_TRUE(detail::broadcast_shapes(zero, &out));
  EXPECT_EQ(out, (Shape{0, 3}));
}

TEST(BroadcastShapes, LegacyAxisPlacesBInsideA) {
  Shape out;
  ASSERT_TRUE(detail::legacy_broadcast_shape({3, 4}, 4, 1, true, &out));
  EXPECT_EQ(out, (Shape{1, 3, 4, 1}));
  ASSERT_TRUE(detail::legacy_broadcast_shape({5}, 4, 0, false, &out));
  EXPECT_EQ(out, (Shape{1, 1, 1, 5}));
  EXPECT_FALSE(detail::legacy_broadcast_shape({3, 4}, 4, 3, true, &out));
  EXPECT_FALSE(detail::legacy_broadcast_shape({1, 2, 3}, 2, 0, false, &out));
}

TEST(BroadcastPlan, CoalescesSameShapeIntoOneSegment) {
  Shape a = {2, 3, 4};
  const Shape* s[] = {&a, &a};
  BroadcastPlan p;
  ASSERT_TRUE(detail::make_broadcast_plan(a, s, &p).ok());
  EXPECT_EQ(p.rank, 1);
  EXPECT_EQ(p.dims[0], 24);
  EXPECT_EQ(p.inner_stride(0), 1);
  EXPECT_EQ(p.inner_stride(1), 1);
}

TEST(BroadcastPlan, PerChannelIsRowsWithScalarOperand) {
  Shape x = {2, 8, 5, 5}, c = {8, 1, 1};
  const Shape* s[] = {&x, &c};
  BroadcastPlan p;
  ASSERT_TRUE(detail::make_broadcast_plan(x, s, &p).ok());
  EXPECT_EQ(p.rank, 3);  // [2 (c bcast), 8, 25 (c bcast)]
  EXPECT_EQ(p.dims[2], 25);
  EXPECT_EQ(p.inner_stride(1), 0);
}

TEST(BroadcastPlan, RejectsShapesThatDoNotBroadcast) {
  Shape out = {2, 3}, bad = {4};
  const Shape* s[] = {&bad};
  BroadcastPlan p;
  EXPECT_FALSE(detail::make_broadcast_plan(out, s, &p).ok());
}

TEST(BroadcastPlan, SegmentsMatchNaiveIndexingForRandomShapesAndRanges) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 300; ++iter) {
    const int rank = static_cast<int>(rng() % 5);
    Shape out(rank);
    for (auto& d : out) d = 1 + rng() % 4;
    Shape ins[3];
    for (auto& in : ins) {
      const int r = static_cast<int>(rng() % (rank + 1));
      in.assign(out.end() - r, out.end());
      for (auto& d : in) if (rng() % 2) d = 1;
    }
    Shape check;
    const Shape* s[] = {&ins[0], &ins[1], &ins[2]};
    ASSERT_TRUE(detail::broadcast_shapes(s, &check));
    BroadcastPlan p;
    ASSERT_TRUE(detail::make_broadcast_plan(check, s, &p).ok());
    const int64_t n = numel_of(check);
    ASSERT_EQ(p.numel, n);
    const int64_t begin = n ? static_cast<int64_t>(rng() % n) : 0;
    const int64_t end = begin + (n - begin ? static_cast<int64_t>(rng() % (n - begin + 1)) : 0);
    int64_t next = begin;
    detail::for_each_broadcast_segment(p, begin, end, [&](int64_t o, const int64_t* off, int64_t len) {
      ASSERT_EQ(o, next);
      ASSERT_GT(len, 0);
      for (int64_t k = 0; k < len; ++k)
        for (int i = 0; i < 3; ++i)
          ASSERT_EQ(off[i] + k * p.inner_stride(i), broadcast_source(check, ins[i], o + k))
              << "iter " << iter << " input " << i << " element " << o + k;
      next = o + len;
    });
    EXPECT_EQ(next, end);
  }
}

}  // namespace
}  // namespace braid
