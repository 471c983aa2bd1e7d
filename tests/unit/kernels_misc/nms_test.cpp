// NonMaxSuppression on the cases of the ONNX operator documentation, plus edge cases.
#include <gtest/gtest.h>

#include "misc_test_util.h"

namespace braid::misc_test {
namespace {

const std::vector<float> kCornerBoxes{0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, -0.1f, 1, 0.9f,
                                      0, 10, 1, 11, 0, 10.1f, 1, 11.1f, 0, 100, 1, 101};
const std::vector<float> kScores{0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f};

Result<std::vector<Tensor>> nms(const std::vector<float>& boxes, const std::vector<float>& scores, int64_t classes,
                                int64_t max_out, float iou, float score_threshold, int64_t center = 0) {
  const int64_t n = static_cast<int64_t>(boxes.size() / 4);
  OpRunner op("NonMaxSuppression", 11);
  if (center) op.attr(attr_int("center_point_box", center));
  op.input(make_tensor<float>({1, n, 4}, boxes)).input(make_tensor<float>({1, classes, n}, scores));
  op.input(make_tensor<int64_t>({1}, {max_out})).input(make_tensor<float>({1}, {iou}));
  if (score_threshold >= 0) op.input(make_tensor<float>({1}, {score_threshold}));
  return op.run();
}

void expect_selected(const Result<std::vector<Tensor>>& r, const std::vector<int64_t>& triples) {
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Tensor& t = (*r)[0];
  ASSERT_EQ(t.dtype(), DataType::kInt64);
  ASSERT_EQ(t.shape(), (Shape{static_cast<int64_t>(triples.size() / 3), 3}));
  for (size_t i = 0; i < triples.size(); ++i) EXPECT_EQ(t.data<int64_t>()[i], triples[i]) << i;
}

TEST(MiscNms, SuppressesByIouInScoreOrder) {
  expect_selected(nms(kCornerBoxes, kScores, 1, 3, 0.5f, 0.0f), {0, 0, 3, 0, 0, 0, 0, 0, 5});
  expect_selected(nms(kCornerBoxes, kScores, 1, 2, 0.5f, 0.0f), {0, 0, 3, 0, 0, 0});
  expect_selected(nms(kCornerBoxes, kScores, 1, 3, 0.5f, 0.4f), {0, 0, 3, 0, 0, 0});
  expect_selected(nms(kCornerBoxes, kScores, 1, 0, 0.5f, 0.0f), {});
  std::vector<float> two = kScores;
  two.insert(two.end(), kScores.begin(), kScores.end());
  expect_selected(nms(kCornerBoxes, two, 2, 2, 0.5f, -1), {0, 0, 3, 0, 0, 0, 0, 1, 3, 0, 1, 0});
}

TEST(MiscNms, CenterAndFlippedBoxEncodings) {
  const std::vector<float> center{0.5f, 0.5f, 1, 1, 0.5f, 0.6f, 1, 1, 0.5f, 0.4f, 1, 1,
                                  0.5f, 10.5f, 1, 1, 0.5f, 10.6f, 1, 1, 0.5f, 100.5f, 1, 1};
  expect_selected(nms(center, kScores, 1, 3, 0.5f, 0.0f, 1), {0, 0, 3, 0, 0, 0, 0, 0, 5});
  const std::vector<float> flipped{1, 1, 0, 0, 0, 0.1f, 1, 1.1f, 0, 0.9f, 1, -0.1f,
                                   0, 10, 1, 11, 1, 10.1f, 0, 11.1f, 1, 101, 0, 100};
  expect_selected(nms(flipped, kScores, 1, 3, 0.5f, 0.0f), {0, 0, 3, 0, 0, 0, 0, 0, 5});
}

TEST(MiscNms, IdenticalBoxesKeepTheFirstAndBadThresholdFails) {
  std::vector<float> boxes, scores;
  for (int i = 0; i < 10; ++i) {
    boxes.insert(boxes.end(), {0, 0, 1, 1});
    scores.push_back(0.9f);
  }
  expect_selected(nms(boxes, scores, 1, 3, 0.5f, 0.0f), {0, 0, 0});
  auto bad = nms(kCornerBoxes, kScores, 1, 3, 1.5f, 0.0f);
  expect_error(bad, StatusCode::kInvalidArgument, "iou_threshold");
  OpRunner op("NonMaxSuppression", 11);
  op.input(make_tensor<float>({1, 2, 3}, std::vector<float>(6, 0))).input(make_tensor<float>({1, 1, 2}, {0, 0}));
  expect_error(op.run(), StatusCode::kInvalidArgument, "boxes");
}

}  // namespace
}  // namespace braid::misc_test
