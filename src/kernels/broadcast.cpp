#include "kernels/broadcast.h"

#include <string>

namespace braid::detail {

bool broadcast_shapes(std::span<const Shape* const> shapes, Shape* out) {
  size_t rank = 0;
  for (const Shape* s : shapes) rank = s->size() > rank ? s->size() : rank;
  Shape result(rank, 1);
  for (const Shape* s : shapes) {
    const size_t lead = rank - s->size();
    for (size_t d = 0; d < s->size(); ++d) {
      const int64_t dim = (*s)[d];
      int64_t& r = result[lead + d];
      if (dim == r || dim == 1) continue;
      if (r != 1) return false;
      r = dim;
    }
  }
  *out = std::move(result);
  return true;
}

bool legacy_broadcast_shape(const Shape& b, int64_t a_rank, int64_t axis, bool has_axis, Shape* out) {
  const int64_t b_rank = static_cast<int64_t>(b.size());
  if (b_rank > a_rank) return false;
  if (!has_axis) axis = a_rank - b_rank;
  if (axis < 0) axis += a_rank;  // tolerated by some exporters
  if (axis < 0 || axis + b_rank > a_rank) return false;
  Shape result(static_cast<size_t>(a_rank), 1);
  for (int64_t d = 0; d < b_rank; ++d) result[static_cast<size_t>(axis + d)] = b[static_cast<size_t>(d)];
  *out = std::move(result);
  return true;
}

Status make_broadcast_plan(const Shape& out_shape, std::span<const Shape* const> inputs, BroadcastPlan* plan) {
  const int m = static_cast<int>(inputs.size());
  if (m > kMaxBroadcastInputs) return invalid_argument("too many inputs to broadcast");
  BroadcastPlan p;
  p.num_inputs = m;
  const size_t rank = out_shape.size();
  int64_t numel = 1;
  for (int64_t d : out_shape) numel *= d;
  for (int i = 0; i < m; ++i) {
    const Shape& s = *inputs[i];
    if (s.size() > rank) return invalid_argument("cannot broadcast " + shape_to_string(s) + " to " + shape_to_string(out_shape));
    const size_t lead = rank - s.size();
    for (size_t d = 0; d < s.size(); ++d)
      if (s[d] != out_shape[lead + d] && s[d] != 1)
        return invalid_argument("cannot broadcast " + shape_to_string(s) + " to " + shape_to_string(out_shape));
  }
  p.numel = numel;
  if (numel == 0) {  // nothing to walk
    p.rank = 1;
    p.dims[0] = 0;
    *plan = p;
    return {};
  }
  // Coalesce: drop output dims of 1, merge neighbours that every input broadcasts alike.
  int r = 0;
  uint32_t masks[kMaxBroadcastRank] = {};
  for (size_t d = 0; d < rank; ++d) {
    if (out_shape[d] == 1) continue;
    uint32_t mask = 0;
    for (int i = 0; i < m; ++i) {
      const Shape& s = *inputs[i];
      const size_t lead = rank - s.size();
      const int64_t in_dim = d < lead ? 1 : s[d - lead];
      if (in_dim == 1) mask |= 1u << i;
    }
    if (r > 0 && masks[r - 1] == mask) {
      p.dims[r - 1] *= out_shape[d];
      continue;
    }
    if (r == kMaxBroadcastRank)
      return invalid_argument("broadcast of " + shape_to_string(out_shape) + " needs more than " +
                              std::to_string(kMaxBroadcastRank) + " coalesced dims");
    masks[r] = mask;
    p.dims[r] = out_shape[d];
    ++r;
  }
  if (r == 0) {  // a single element
    p.rank = 1;
    p.dims[0] = 1;
    for (int i = 0; i < m; ++i) p.strides[i][0] = 1;
    *plan = p;
    return {};
  }
  p.rank = r;
  for (int i = 0; i < m; ++i) {
    int64_t stride = 1;
    for (int d = r - 1; d >= 0; --d) {
      if (masks[d] & (1u << i)) {
        p.strides[i][d] = 0;
      } else {
        p.strides[i][d] = stride;
        stride *= p.dims[d];
      }
    }
  }
  *plan = p;
  return {};
}

}  // namespace braid::detail
