// Transpose. The permutation is first simplified (size-1 dims dropped, dims that stay
// adjacent merged), which turns the common 4-D layouts into one of two shapes of work:
//   - the innermost dim stays innermost (e.g. 0,2,1,3): memcpy of contiguous runs;
//   - it moves (NCHW<->NHWC, matrix transposes): blocked 2-D tile transposes, with an
//     SSE 4x4 kernel for 4-byte elements (f32).
// Elements are moved by size, so every fixed-size dtype shares these paths.
#include "kernels/ops/tensor_transpose.h"

#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif

#include "kernels/attributes.h"
#include "kernels/ops/tensor_common.h"
#include "kernels/ops/tensor_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace tensor_ops;
namespace {

// Tile edge of the blocked transpose: a tile's source rows stay in L1 while its columns
// are written out.
constexpr int64_t kTile = 16;

// dst[c * dst_ld + r] = src[r * src_ld + c] for r < rows, c < cols.
template <class T>
void transpose_tile_scalar(const T* src, int64_t src_ld, T* dst, int64_t dst_ld, int64_t rows, int64_t cols) {
  for (int64_t c = 0; c < cols; ++c) {
    T* d = dst + c * dst_ld;
    const T* s = src + c;
    for (int64_t r = 0; r < rows; ++r) d[r] = s[r * src_ld];
  }
}

template <class T>
void transpose_2d(const T* src, int64_t src_ld, T* dst, int64_t dst_ld, int64_t rows, int64_t cols) {
  for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
    const int64_t rn = std::min(kTile, rows - r0);
    for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
      const int64_t cn = std::min(kTile, cols - c0);
      transpose_tile_scalar(src + r0 * src_ld + c0, src_ld, dst + c0 * dst_ld + r0, dst_ld, rn, cn);
    }
  }
}

#if defined(__SSE2__)
template <>
void transpose_2d<uint32_t>(const uint32_t* src, int64_t src_ld, uint32_t* dst, int64_t dst_ld, int64_t rows,
                            int64_t cols) {
  const float* s = reinterpret_cast<const float*>(src);
  float* d = reinterpret_cast<float*>(dst);
  for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
    const int64_t rn = std::min(kTile, rows - r0);
    for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
      const int64_t cn = std::min(kTile, cols - c0);
      const int64_t rn4 = rn & ~int64_t{3}, cn4 = cn & ~int64_t{3};
      for (int64_t r = r0; r < r0 + rn4; r += 4) {
        for (int64_t c = c0; c < c0 + cn4; c += 4) {
          __m128 a = _mm_loadu_ps(s + r * src_ld + c);
          __m128 b = _mm_loadu_ps(s + (r + 1) * src_ld + c);
          __m128 e = _mm_loadu_ps(s + (r + 2) * src_ld + c);
          __m128 f = _mm_loadu_ps(s + (r + 3) * src_ld + c);
          _MM_TRANSPOSE4_PS(a, b, e, f);
          _mm_storeu_ps(d + c * dst_ld + r, a);
          _mm_storeu_ps(d + (c + 1) * dst_ld + r, b);
          _mm_storeu_ps(d + (c + 2) * dst_ld + r, e);
          _mm_storeu_ps(d + (c + 3) * dst_ld + r, f);
        }
      }
      // Ragged edges of the tile: the right columns of every row, then the bottom rows.
      if (cn4 < cn)
        transpose_tile_scalar(src + r0 * src_ld + c0 + cn4, src_ld, dst + (c0 + cn4) * dst_ld + r0, dst_ld, rn4,
                              cn - cn4);
      if (rn4 < rn)
        transpose_tile_scalar(src + (r0 + rn4) * src_ld + c0, src_ld, dst + c0 * dst_ld + r0 + rn4, dst_ld,
                              rn - rn4, cn);
    }
  }
}
#endif

// The permutation after dropping size-1 dims and merging runs of dims that stay adjacent.
// Inline lists throughout: a Transpose call allocates nothing for its bookkeeping.
struct Simplified {
  Dims dims;  // input dims
  Dims perm;  // output dim i is input dim perm[i]
};

// Row-major strides of `dims`.
Dims strides_of(std::span<const int64_t> dims) {
  Dims s(dims.size(), 0);
  int64_t acc = 1;
  for (size_t i = dims.size(); i-- > 0;) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

Simplified simplify(std::span<const int64_t> in_shape, std::span<const int64_t> perm) {
  const size_t r = in_shape.size();
  // Renumber the input dims that are not 1.
  Dims new_id(r, -1);
  Dims kept_dims;
  for (size_t i = 0; i < r; ++i) {
    if (in_shape[i] != 1) {
      new_id[i] = static_cast<int64_t>(kept_dims.size());
      kept_dims.push_back(in_shape[i]);
    }
  }
  Dims p;
  for (int64_t a : perm)
    if (new_id[a] >= 0) p.push_back(new_id[a]);
  // Merge output neighbours that are input neighbours too: groups of consecutive input dims.
  InlineVector<uint8_t, 8> starts(kept_dims.size(), 1);
  for (size_t i = 1; i < p.size(); ++i)
    if (p[i] == p[i - 1] + 1) starts[p[i]] = false;
  // Groups in input order; each group's size is the product of its dims.
  Simplified s;
  Dims group_index(kept_dims.size(), -1);
  for (size_t d = 0; d < kept_dims.size(); ++d) {
    if (starts[d]) {
      group_index[d] = static_cast<int64_t>(s.dims.size());
      s.dims.push_back(kept_dims[d]);
    } else {
      group_index[d] = group_index[d - 1];
      s.dims.back() *= kept_dims[d];
    }
  }
  for (int64_t a : p)
    if (starts[a]) s.perm.push_back(group_index[a]);
  return s;
}

template <class T>
void transpose_typed(const T* src, const Simplified& s, T* dst, int64_t numel, int max_threads) {
  const int r = static_cast<int>(s.dims.size());
  const size_t elem = sizeof(T);
  bool identity = true;
  for (int i = 0; i < r; ++i) identity &= s.perm[i] == i;
  if (identity) {
    const int64_t grain = kCopyGrainBytes / static_cast<int64_t>(elem);
    parallel_for_range(numel, grain, max_threads, [&](int64_t b, int64_t e) {
      std::memcpy(dst + b, src + b, static_cast<size_t>(e - b) * elem);
    });
    return;
  }
  const Dims in_strides = strides_of(s.dims);
  Dims out_dims(static_cast<size_t>(r), 0), out_in_strides(static_cast<size_t>(r), 0);  // per output dim: size, input stride
  for (int i = 0; i < r; ++i) {
    out_dims[i] = s.dims[s.perm[i]];
    out_in_strides[i] = in_strides[s.perm[i]];
  }
  if (s.perm[r - 1] == r - 1) {
    // Innermost dim stays: each output row of `run` elements is one contiguous input run.
    const int64_t run = s.dims[r - 1];
    const int64_t rows = numel / run;
    const size_t run_bytes = static_cast<size_t>(run) * elem;
    parallel_for_range(rows, copy_grain_rows(static_cast<int64_t>(run_bytes)), max_threads,
                       [&](int64_t b, int64_t e) {
                         StridedCursor cur(out_dims.data(), out_in_strides.data(), r - 1, b);
                         for (int64_t row = b; row < e; ++row, cur.next())
                           std::memcpy(dst + row * run, src + cur.offset(), run_bytes);
                       });
    return;
  }
  // Innermost dim moves: 2-D transposes between input dim j (the output's innermost) and
  // the input's innermost dim, which sits at output position q.
  const Dims out_strides = strides_of(out_dims);
  const int64_t j = s.perm[r - 1];
  int q = 0;
  while (s.perm[q] != r - 1) ++q;
  const int64_t rows = s.dims[j], cols = s.dims[r - 1];
  const int64_t src_ld = in_strides[j], dst_ld = out_strides[q];
  Dims other_dims, other_in, other_out;
  for (int i = 0; i < r - 1; ++i) {
    if (i == q) continue;
    other_dims.push_back(out_dims[i]);
    other_in.push_back(out_in_strides[i]);
    other_out.push_back(out_strides[i]);
  }
  const int other_rank = static_cast<int>(other_dims.size());
  const int64_t others = numel / (rows * cols);
  // Work items: (other index, block of source rows, block of source columns), so one big
  // 2-D transpose (batch-1 NHWC <-> NCHW) splits over threads as well as many small ones.
  const int64_t block = kTile * 4;
  const int64_t row_blocks = (rows + block - 1) / block, col_blocks = (cols + block - 1) / block;
  const int64_t blocks = row_blocks * col_blocks;
  const int64_t item_bytes = std::min(rows, block) * std::min(cols, block) * static_cast<int64_t>(elem);
  parallel_for_range(others * blocks, copy_grain_rows(item_bytes), max_threads, [&](int64_t b, int64_t e) {
    StridedCursor in_cur(other_dims.data(), other_in.data(), other_rank, b / blocks);
    StridedCursor out_cur(other_dims.data(), other_out.data(), other_rank, b / blocks);
    int64_t other = b / blocks;
    for (int64_t item = b; item < e; ++item) {
      if (item / blocks != other) {
        in_cur.next();
        out_cur.next();
        other = item / blocks;
      }
      const int64_t r0 = (item % blocks) / col_blocks * block, c0 = (item % col_blocks) * block;
      const int64_t rn = std::min(block, rows - r0), cn = std::min(block, cols - c0);
      transpose_2d(src + in_cur.offset() + r0 * src_ld + c0, src_ld, dst + out_cur.offset() + c0 * dst_ld + r0, dst_ld,
                   rn, cn);
    }
  });
}

class TransposeKernel final : public OpKernel {
 public:
  explicit TransposeKernel(std::vector<int64_t> perm) : perm_(std::move(perm)) {}

  Status compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(*ctx.node, "missing input");
    if (!is_fixed_size(x->dtype())) return unsupported_dtype(*ctx.node, x->dtype());
    const int64_t r = x->rank();
    Dims perm(perm_);
    if (perm.empty()) {
      for (int64_t i = r - 1; i >= 0; --i) perm.push_back(i);
    } else if (static_cast<int64_t>(perm.size()) != r) {
      return bad_node(*ctx.node, "perm has " + std::to_string(perm.size()) + " entries for a rank-" +
                                     std::to_string(r) + " input");
    }
    Dims out(static_cast<size_t>(r), 0);
    for (int64_t i = 0; i < r; ++i) out[i] = x->dim(static_cast<size_t>(perm[i]));
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, x->dtype(), out));
    transpose_bytes(x->raw_data(), x->shape(), perm, dtype_size(x->dtype()), y->raw_data(), ctx.max_threads);
    return {};
  }

 private:
  std::vector<int64_t> perm_;  // empty: reverse the dims
};

Result<std::unique_ptr<OpKernel>> make_transpose(const KernelInit& init) {
  const Node& n = *init.node;
  if (!init.has_input(0)) return bad_node(n, "needs an input");
  BRAID_RETURN_IF_ERROR(check_movable_dtype(n, init.input_dtype(0)));
  std::vector<int64_t> perm = attr_ints(n, "perm");
  // perm must be a permutation of [0, rank) (negative entries are not allowed by ONNX).
  std::vector<bool> seen(perm.size(), false);
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(perm.size()) || seen[p])
      return bad_node(n, "perm is not a permutation of [0, " + std::to_string(perm.size()) + ")");
    seen[p] = true;
  }
  return std::unique_ptr<OpKernel>(new TransposeKernel(std::move(perm)));
}

}  // namespace

void tensor_ops::transpose_bytes(const void* src, std::span<const int64_t> in_shape, std::span<const int64_t> perm,
                                 size_t elem, void* dst, int max_threads) {
  int64_t numel = 1;
  for (int64_t d : in_shape) numel *= d;
  if (numel == 0) return;
  Simplified s = simplify(in_shape, perm);
  if (s.dims.empty()) {
    s.dims.push_back(1);
    s.perm.push_back(0);
  }
  dispatch_elem_size(elem, [&](auto tag) {
    using T = decltype(tag);
    transpose_typed(static_cast<const T*>(src), s, static_cast<T*>(dst), numel, max_threads);
  });
}

void register_tensor_transpose_ops(OpRegistry& r) { r.add({"", "Transpose", 1, 1 << 30, make_transpose}); }

}  // namespace braid::detail
