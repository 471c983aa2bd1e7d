// NonMaxSuppression (opsets 10, 11): greedy per-(batch, class) selection by descending
// score (ties: lower box index first), dropping boxes whose IoU with a kept box exceeds
// iou_threshold; corner ([y1, x1, y2, x2], any diagonal) or center box encodings.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/attributes.h"
#include "kernels/ops/misc_kernels.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

struct Box {
  float x_min, y_min, x_max, y_max;
};

Box decode(const float* b, bool center) {
  if (center) {
    const float hw = b[2] / 2, hh = b[3] / 2;
    return {b[0] - hw, b[1] - hh, b[0] + hw, b[1] + hh};
  }
  return {std::min(b[1], b[3]), std::min(b[0], b[2]), std::max(b[1], b[3]), std::max(b[0], b[2])};
}

bool suppresses(const Box& a, const Box& b, float iou_threshold) {
  const float ix_min = std::max(a.x_min, b.x_min), ix_max = std::min(a.x_max, b.x_max);
  if (ix_max <= ix_min) return false;
  const float iy_min = std::max(a.y_min, b.y_min), iy_max = std::min(a.y_max, b.y_max);
  if (iy_max <= iy_min) return false;
  const float inter = (ix_max - ix_min) * (iy_max - iy_min);
  const float area_a = (a.x_max - a.x_min) * (a.y_max - a.y_min);
  const float area_b = (b.x_max - b.x_min) * (b.y_max - b.y_min);
  const float uni = area_a + area_b - inter;
  if (inter <= 0 || area_a <= 0 || area_b <= 0 || uni <= 0) return false;
  return inter / uni > iou_threshold;
}

class NmsKernel final : public OpKernel {
 public:
  explicit NmsKernel(bool center) : center_(center) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor *boxes = ctx.input(0), *scores = ctx.input(1);
    if (boxes == nullptr || scores == nullptr) return bad_node(node, "needs inputs boxes and scores");
    if (boxes->dtype() != DataType::kFloat32) return unsupported_dtype(node, boxes->dtype());
    if (scores->dtype() != DataType::kFloat32) return unsupported_dtype(node, scores->dtype());
    if (boxes->rank() != 3 || boxes->dim(2) != 4)
      return bad_node(node, "boxes must have shape [batch, boxes, 4], got " + shape_to_string(boxes->shape()));
    if (scores->rank() != 3 || scores->dim(0) != boxes->dim(0) || scores->dim(2) != boxes->dim(1))
      return bad_node(node, "scores of shape " + shape_to_string(scores->shape()) + " do not match boxes " +
                                shape_to_string(boxes->shape()));
    int64_t max_per_class = 0;
    float iou_threshold = 0, score_threshold = 0;
    bool has_score_threshold = false;
    if (const Tensor* t = ctx.input(2); t && t->numel() > 0) {
      if (t->dtype() != DataType::kInt64) return unsupported_dtype(node, t->dtype(), "max_output_boxes_per_class");
      max_per_class = std::max<int64_t>(0, *t->data<int64_t>());
    }
    if (const Tensor* t = ctx.input(3); t && t->numel() > 0) {
      if (t->dtype() != DataType::kFloat32) return unsupported_dtype(node, t->dtype(), "iou_threshold");
      iou_threshold = *t->data<float>();
      if (!(iou_threshold >= 0 && iou_threshold <= 1)) return bad_node(node, "iou_threshold must be in [0, 1]");
    }
    if (const Tensor* t = ctx.input(4); t && t->numel() > 0) {
      if (t->dtype() != DataType::kFloat32) return unsupported_dtype(node, t->dtype(), "score_threshold");
      score_threshold = *t->data<float>();
      has_score_threshold = true;
    }

    const int64_t batches = boxes->dim(0), count = boxes->dim(1), classes = scores->dim(1);
    std::vector<int64_t> selected;  // (batch, class, box) triples
    std::vector<int64_t> order;
    std::vector<int64_t> kept;
    std::vector<Box> decoded(static_cast<size_t>(count));
    for (int64_t b = 0; b < batches && max_per_class > 0; ++b) {
      const float* bd = boxes->data<float>() + b * count * 4;
      for (int64_t i = 0; i < count; ++i) decoded[i] = decode(bd + 4 * i, center_);
      for (int64_t c = 0; c < classes; ++c) {
        const float* sd = scores->data<float>() + (b * classes + c) * count;
        order.clear();
        for (int64_t i = 0; i < count; ++i)
          if (!has_score_threshold || sd[i] > score_threshold) order.push_back(i);
        std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return sd[x] > sd[y]; });
        kept.clear();
        for (int64_t i : order) {
          if (static_cast<int64_t>(kept.size()) >= max_per_class) break;
          bool keep = true;
          for (int64_t k : kept)
            if (suppresses(decoded[k], decoded[i], iou_threshold)) {
              keep = false;
              break;
            }
          if (keep) kept.push_back(i);
        }
        for (int64_t k : kept) selected.insert(selected.end(), {b, c, k});
      }
    }
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DataType::kInt64,
                                                           {static_cast<int64_t>(selected.size() / 3), 3}));
    if (!selected.empty()) std::memcpy(y->raw_data(), selected.data(), selected.size() * sizeof(int64_t));
    return {};
  }

 private:
  bool center_;
};

Result<std::unique_ptr<OpKernel>> make_nms(const KernelInit& init) {
  const Node& node = *init.node;
  if (!init.has_input(0) || !init.has_input(1)) return bad_node(node, "needs inputs boxes and scores");
  for (size_t i : {size_t{0}, size_t{1}}) {
    const DataType d = init.input_dtype(i);
    if (d != DataType::kUndefined && d != DataType::kFloat32) return unsupported_dtype(node, d);
  }
  const int64_t center = attr_int(node, "center_point_box", 0);
  if (center != 0 && center != 1) return bad_node(node, "center_point_box must be 0 or 1");
  return std::unique_ptr<OpKernel>(new NmsKernel(center == 1));
}

}  // namespace

void register_misc_nms_kernel(OpRegistry& r) { r.add({"", "NonMaxSuppression", 10, 1 << 30, make_nms}); }

}  // namespace braid::detail
