// Numpy broadcasting for kernels: the output shape of several inputs, and a walk over the
// output as contiguous segments, each with every input's offset (an input's inner stride is
// 0 when it is broadcast along the innermost dim, else 1). Dims are coalesced first, so
// same-shape inputs walk as one segment and NCHW + [C,1,1] as N*C segments of H*W.
//
//   BroadcastPlan plan;
//   const Shape* in[] = {&a.shape(), &b.shape()};
//   BRAID_RETURN_IF_ERROR(make_broadcast_plan(out_shape, in, &plan));
//   for_each_broadcast_segment(plan, 0, plan.numel, [&](int64_t o, const int64_t* off, int64_t n) {
//     add(a + off[0], plan.inner_stride(0), b + off[1], plan.inner_stride(1), out + o, n);
//   });
#pragma once

#include <cstdint>
#include <span>

#include "braid/status.h"
#include "braid/tensor.h"

namespace braid::detail {

inline constexpr int kMaxBroadcastInputs = 4;
inline constexpr int kMaxBroadcastRank = 16;  // after coalescing

// The numpy broadcast of `shapes` into `out`; false when two dims differ and neither is 1.
// Thread-safe.
bool broadcast_shapes(std::span<const Shape* const> shapes, Shape* out);

// Shape `b` of an opset < 7 binary op with broadcast=1, aligned to `a_rank` dims at `axis`
// (default: trailing), as numpy broadcasting then sees it; false when it does not fit.
// Thread-safe.
bool legacy_broadcast_shape(const Shape& b, int64_t a_rank, int64_t axis, bool has_axis, Shape* out);

struct BroadcastPlan {
  int num_inputs = 0;
  int rank = 1;       // coalesced rank, >= 1
  int64_t numel = 0;  // output elements
  int64_t dims[kMaxBroadcastRank] = {};
  int64_t strides[kMaxBroadcastInputs][kMaxBroadcastRank] = {};  // in elements; 0 = broadcast

  // 1 when input i is contiguous along the innermost dim, 0 when it repeats one element.
  int64_t inner_stride(int i) const { return strides[i][rank - 1]; }
};

// Plans the walk of `out_shape` for `inputs`, each of which must broadcast to it. Fails
// (invalid_argument) on a shape that does not broadcast or too many inputs or dims.
// Thread-safe.
Status make_broadcast_plan(const Shape& out_shape, std::span<const Shape* const> inputs, BroadcastPlan* plan);

// Calls fn(out_offset, in_offsets, len) for the output elements [begin, end) in order,
// split into runs that stay inside one innermost row. Thread-safe.
template <class Fn>
void for_each_broadcast_segment(const BroadcastPlan& p, int64_t begin, int64_t end, Fn&& fn) {
  if (begin >= end) return;
  const int r = p.rank;
  const int m = p.num_inputs;
  int64_t idx[kMaxBroadcastRank];
  int64_t off[kMaxBroadcastInputs] = {};
  int64_t rest = begin;
  for (int d = r - 1; d >= 0; --d) {
    idx[d] = rest % p.dims[d];
    rest /= p.dims[d];
    for (int i = 0; i < m; ++i) off[i] += idx[d] * p.strides[i][d];
  }
  const int64_t inner = p.dims[r - 1];
  int64_t pos = begin;
  while (pos < end) {
    int64_t len = inner - idx[r - 1];
    if (len > end - pos) len = end - pos;
    fn(pos, static_cast<const int64_t*>(off), len);
    pos += len;
    if (pos >= end) break;
    idx[r - 1] += len;
    for (int i = 0; i < m; ++i) off[i] += len * p.strides[i][r - 1];
    for (int d = r - 1; d > 0 && idx[d] == p.dims[d]; --d) {  // carry into outer dims
      idx[d] = 0;
      ++idx[d - 1];
      for (int i = 0; i < m; ++i) off[i] += p.strides[i][d - 1] - p.dims[d] * p.strides[i][d];
    }
  }
}

}  // namespace braid::detail
