// ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare. Axes come from the `axes`
// attribute, or from input 1 for ReduceSum from opset 13 (and every Reduce* from 18);
// keepdims defaults to 1; noop_with_empty_axes makes empty axes an identity. The input is
// coalesced into alternating kept/reduced blocks: float32 Sum/Mean/Max over the trailing
// block run the vectorized row loops, other shapes use a generic walk whose inner loop
// runs over contiguous memory.
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/attributes.h"
#include "kernels/dims.h"
#include "kernels/ops/elementwise_common.h"
#include "kernels/ops/elementwise_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace ew;  // the family's shared helpers (elementwise_common.h)

namespace {

enum class ReduceKind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

template <class A>
bool nan_value(A v) {
  if constexpr (std::is_floating_point_v<A>) return v != v;
  else return false;
}

template <class A>
A abs_value(A v) {
  if constexpr (std::is_unsigned_v<A>) return v;
  else if constexpr (std::is_integral_v<A>) return v < 0 ? wrap_sub(A{0}, v) : v;
  else return std::fabs(v);
}

// Reducers: init, step(acc, x, shift) and finish(acc, count, shift). `shift` is the
// per-output maximum for LogSumExp (computed by a first pass), otherwise unused.
template <ReduceKind K, class A>
struct Reducer {
  static constexpr bool kTwoPass = K == ReduceKind::kLogSumExp;
  static A init() {
    if constexpr (K == ReduceKind::kMax) {
      if constexpr (std::is_floating_point_v<A>) return -std::numeric_limits<A>::infinity();
      else return std::numeric_limits<A>::lowest();
    } else if constexpr (K == ReduceKind::kMin) {
      if constexpr (std::is_floating_point_v<A>) return std::numeric_limits<A>::infinity();
      else return std::numeric_limits<A>::max();
    } else if constexpr (K == ReduceKind::kProd) {
      return A{1};
    } else {
      return A{0};
    }
  }
  static A step(A a, A x, A shift) {
    if constexpr (K == ReduceKind::kMax) return (x > a || nan_value(x)) ? x : a;
    else if constexpr (K == ReduceKind::kMin) return (x < a || nan_value(x)) ? x : a;
    else if constexpr (K == ReduceKind::kProd) return wrap_mul(a, x);
    else if constexpr (K == ReduceKind::kL1) return wrap_add(a, abs_value(x));
    else if constexpr (K == ReduceKind::kL2 || K == ReduceKind::kSumSquare) return wrap_add(a, wrap_mul(x, x));
    else if constexpr (K == ReduceKind::kLogSumExp) return a + std::exp(x - shift);
    else return wrap_add(a, x);
  }
  static A finish(A a, int64_t count, A shift) {
    if constexpr (K == ReduceKind::kMean) return a / static_cast<A>(count);
    else if constexpr (K == ReduceKind::kL2) return std::sqrt(a);
    else if constexpr (K == ReduceKind::kLogSum) return std::log(a);
    else if constexpr (K == ReduceKind::kLogSumExp) return shift + std::log(a);
    else return a;
  }
};

// The accumulator of T for K: the arithmetic type, or double for integer means and logs.
template <class T, ReduceKind K>
using AccOf = std::conditional_t<std::is_integral_v<typename Arith<T>::type> &&
                                     (K == ReduceKind::kMean || K == ReduceKind::kL2 || K == ReduceKind::kLogSum ||
                                      K == ReduceKind::kLogSumExp),
                                 double, typename Arith<T>::type>;

template <class T, class A>
T store_acc(A a) {
  using C = typename Arith<T>::type;
  if constexpr (std::is_integral_v<C> && std::is_floating_point_v<A>) return from_double<C>(a);
  else return Arith<T>::store(static_cast<C>(a));
}

template <class T, class A>
A load_acc(T x) {
  return static_cast<A>(Arith<T>::load(x));
}

inline constexpr int kMaxBlocks = 32;

// The input as alternating blocks, kept (the output's dims) and reduced.
struct ReduceLayout {
  int nk = 0, nr = 0;
  int64_t kdim[kMaxBlocks], kstride[kMaxBlocks];  // kept blocks, outer to inner
  int64_t rdim[kMaxBlocks], rstride[kMaxBlocks];  // reduced blocks, outer to inner
  bool inner_reduced = false;                      // the innermost block is reduced
  int64_t K = 1, R = 1;                            // outputs, elements per output
};

// Input offset of output `o` over kept blocks [0, nk_outer).
inline int64_t kept_offset(const ReduceLayout& L, int nk_outer, int64_t o) {
  int64_t off = 0;
  for (int b = nk_outer - 1; b >= 0; --b) {
    off += (o % L.kdim[b]) * L.kstride[b];
    o /= L.kdim[b];
  }
  return off;
}

// Calls fn(offset) for every combination of reduced blocks [0, nr_outer).
template <class Fn>
void for_each_reduced(const ReduceLayout& L, int nr_outer, Fn&& fn) {
  int64_t idx[kMaxBlocks] = {};
  int64_t off = 0;
  while (true) {
    fn(off);
    int b = nr_outer - 1;
    for (; b >= 0; --b) {
      off += L.rstride[b];
      if (++idx[b] < L.rdim[b]) break;
      off -= idx[b] * L.rstride[b];
      idx[b] = 0;
    }
    if (b < 0) return;
  }
}

template <class T, ReduceKind K>
void reduce_inner_reduced(const ReduceLayout& L, const T* in, T* out, int64_t o_begin, int64_t o_end) {
  using A = AccOf<T, K>;
  using R = Reducer<K, A>;
  const int64_t row = L.rdim[L.nr - 1];
  for (int64_t o = o_begin; o < o_end; ++o) {
    const T* base = in + kept_offset(L, L.nk, o);
    A shift{};
    if constexpr (R::kTwoPass) {
      A m = Reducer<ReduceKind::kMax, A>::init();
      for_each_reduced(L, L.nr - 1, [&](int64_t off) {
        for (int64_t i = 0; i < row; ++i) m = Reducer<ReduceKind::kMax, A>::step(m, load_acc<T, A>(base[off + i]), m);
      });
      shift = std::isinf(m) ? A{0} : m;
    }
    A acc = R::init();
    for_each_reduced(L, L.nr - 1, [&](int64_t off) {
      for (int64_t i = 0; i < row; ++i) acc = R::step(acc, load_acc<T, A>(base[off + i]), shift);
    });
    out[o] = store_acc<T>(R::finish(acc, L.R, shift));
  }
}

inline constexpr int64_t kChunk = 256;

// Units are (outer kept position, chunk of the innermost kept block).
template <class T, ReduceKind K>
void reduce_inner_kept(const ReduceLayout& L, const T* in, T* out, int64_t u_begin, int64_t u_end) {
  using A = AccOf<T, K>;
  using R = Reducer<K, A>;
  const int64_t m = L.kdim[L.nk - 1];
  const int64_t chunks = (m + kChunk - 1) / kChunk;
  A acc[kChunk];
  A shift[kChunk];
  for (int64_t u = u_begin; u < u_end; ++u) {
    const int64_t outer = u / chunks;
    const int64_t c0 = (u % chunks) * kChunk;
    const int64_t len = m - c0 < kChunk ? m - c0 : kChunk;
    const T* base = in + kept_offset(L, L.nk - 1, outer) + c0;
    for (int64_t k = 0; k < len; ++k) shift[k] = A{};
    if constexpr (R::kTwoPass) {
      using Max = Reducer<ReduceKind::kMax, A>;
      for (int64_t k = 0; k < len; ++k) acc[k] = Max::init();
      for_each_reduced(L, L.nr, [&](int64_t off) {
        for (int64_t k = 0; k < len; ++k) acc[k] = Max::step(acc[k], load_acc<T, A>(base[off + k]), acc[k]);
      });
      for (int64_t k = 0; k < len; ++k) shift[k] = std::isinf(acc[k]) ? A{0} : acc[k];
    }
    for (int64_t k = 0; k < len; ++k) acc[k] = R::init();
    for_each_reduced(L, L.nr, [&](int64_t off) {
      for (int64_t k = 0; k < len; ++k) acc[k] = R::step(acc[k], load_acc<T, A>(base[off + k]), shift[k]);
    });
    T* o = out + outer * m + c0;
    for (int64_t k = 0; k < len; ++k) o[k] = store_acc<T>(R::finish(acc[k], L.R, shift[k]));
  }
}

class ReduceKernel final : public OpKernel {
 public:
  ReduceKernel(ReduceKind kind, std::vector<int64_t> axes, bool axes_from_input, bool keepdims, bool noop_empty,
               const F32SimdTable& simd)
      : kind_(kind), axes_(std::move(axes)), axes_from_input_(axes_from_input), keepdims_(keepdims),
        noop_empty_(noop_empty), simd_(simd) {}

  Status compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(*ctx.node, "missing input 0");
    const int64_t rank = x->rank();
    if (rank > 64) return bad_node(*ctx.node, "rank above 64 is not supported");
    bool reduced[64] = {};
    auto mark = [&](int64_t a) -> Status {
      BRAID_ASSIGN_OR_RETURN(int64_t axis, resolve_axis(*ctx.node, a, rank, "axes entry"));
      if (rank == 0) return {};
      if (reduced[axis]) return bad_node(*ctx.node, "axis " + std::to_string(a) + " appears twice in axes");
      reduced[axis] = true;
      return {};
    };
    bool axes_given = false;
    if (axes_from_input_) {
      const Tensor* t = ctx.input(1);
      if (t != nullptr && t->numel() > 0) {
        axes_given = true;
        if (t->dtype() == DataType::kInt64) {
          for (int64_t i = 0; i < t->numel(); ++i) BRAID_RETURN_IF_ERROR(mark(t->data<int64_t>()[i]));
        } else if (t->dtype() == DataType::kInt32) {
          for (int64_t i = 0; i < t->numel(); ++i) BRAID_RETURN_IF_ERROR(mark(t->data<int32_t>()[i]));
        } else {
          return bad_node(*ctx.node, std::string("axes must be int64, not ") + dtype_name(t->dtype()));
        }
      }
    } else if (!axes_.empty()) {
      axes_given = true;
      for (int64_t a : axes_) BRAID_RETURN_IF_ERROR(mark(a));
    }
    if (!axes_given) {
      if (noop_empty_) {
        ctx.set_output(0, *x);
        return {};
      }
      for (int64_t d = 0; d < rank; ++d) reduced[d] = true;
    }
    Dims out_shape;  // inline: allocate_output_dims copies it into the output's shape
    for (int64_t d = 0; d < rank; ++d) {
      if (!reduced[d]) out_shape.push_back(x->dim(static_cast<size_t>(d)));
      else if (keepdims_) out_shape.push_back(1);
    }
    // Coalesce into alternating blocks; dims of 1 do not matter.
    ReduceLayout L;
    int64_t bdim[kMaxBlocks];
    bool bred[kMaxBlocks];
    int nb = 0;
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t dim = x->dim(static_cast<size_t>(d));
      if (dim == 1) continue;
      if (nb > 0 && bred[nb - 1] == reduced[d]) {
        bdim[nb - 1] *= dim;
        continue;
      }
      if (nb == kMaxBlocks) return bad_node(*ctx.node, "too many alternating reduced and kept dims");
      bdim[nb] = dim;
      bred[nb] = reduced[d];
      ++nb;
    }
    int64_t stride = 1;
    int64_t kstride_rev[kMaxBlocks], rstride_rev[kMaxBlocks], kdim_rev[kMaxBlocks], rdim_rev[kMaxBlocks];
    for (int b = nb - 1; b >= 0; --b) {
      if (bred[b]) {
        rdim_rev[L.nr] = bdim[b];
        rstride_rev[L.nr++] = stride;
        L.R *= bdim[b];
      } else {
        kdim_rev[L.nk] = bdim[b];
        kstride_rev[L.nk++] = stride;
        L.K *= bdim[b];
      }
      stride *= bdim[b];
    }
    for (int i = 0; i < L.nk; ++i) {
      L.kdim[i] = kdim_rev[L.nk - 1 - i];
      L.kstride[i] = kstride_rev[L.nk - 1 - i];
    }
    for (int i = 0; i < L.nr; ++i) {
      L.rdim[i] = rdim_rev[L.nr - 1 - i];
      L.rstride[i] = rstride_rev[L.nr - 1 - i];
    }
    L.inner_reduced = nb > 0 && bred[nb - 1];

    return dispatch_dtype_or<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                             uint32_t, uint64_t>(
        x->dtype(), [&](auto tag) { return run<decltype(tag)>(ctx, *x, out_shape, L); },
        [&] { return unsupported_dtype(*ctx.node, x->dtype()); });
  }

 private:
  template <class T>
  Status run(KernelContext& ctx, const Tensor& x, const Dims& out_shape, const ReduceLayout& L) const {
    switch (kind_) {
      case ReduceKind::kSum: return run_kind<T, ReduceKind::kSum>(ctx, x, out_shape, L);
      case ReduceKind::kMean: return run_kind<T, ReduceKind::kMean>(ctx, x, out_shape, L);
      case ReduceKind::kMax: return run_kind<T, ReduceKind::kMax>(ctx, x, out_shape, L);
      case ReduceKind::kMin: return run_kind<T, ReduceKind::kMin>(ctx, x, out_shape, L);
      case ReduceKind::kProd: return run_kind<T, ReduceKind::kProd>(ctx, x, out_shape, L);
      case ReduceKind::kL1: return run_kind<T, ReduceKind::kL1>(ctx, x, out_shape, L);
      case ReduceKind::kL2: return run_kind<T, ReduceKind::kL2>(ctx, x, out_shape, L);
      case ReduceKind::kLogSum: return run_kind<T, ReduceKind::kLogSum>(ctx, x, out_shape, L);
      case ReduceKind::kLogSumExp: return run_kind<T, ReduceKind::kLogSumExp>(ctx, x, out_shape, L);
      case ReduceKind::kSumSquare: return run_kind<T, ReduceKind::kSumSquare>(ctx, x, out_shape, L);
    }
    return internal_error(ctx.node->describe() + ": unknown reduction");
  }

  template <class T, ReduceKind K>
  Status run_kind(KernelContext& ctx, const Tensor& x, const Dims& out_shape, const ReduceLayout& L) const {
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, x.dtype(), out_shape));
    if (L.K == 0 || y->numel() == 0) return {};
    const T* in = x.data<T>();
    T* out = y->data<T>();
    using A = AccOf<T, K>;
    using R = Reducer<K, A>;
    if (L.R == 0 || x.numel() == 0) {  // an empty reduction
      const T v = store_acc<T>(R::finish(R::init(), 0, A{}));
      for (int64_t i = 0; i < y->numel(); ++i) out[i] = v;
      return {};
    }
    if (L.nr == 0) {  // nothing reduced but dims of 1: finish each element alone
      for (int64_t i = 0; i < y->numel(); ++i) {
        const A v = load_acc<T, A>(in[i]);
        const A shift = R::kTwoPass ? (std::isinf(static_cast<double>(v)) ? A{0} : v) : A{};
        out[i] = store_acc<T>(R::finish(R::step(R::init(), v, shift), 1, shift));
      }
      return {};
    }
    const int64_t grain_outputs = kElementwiseGrain / L.R > 0 ? kElementwiseGrain / L.R : 1;
    if (L.inner_reduced) {
      if constexpr (std::is_same_v<T, float>) {
        const bool rows = L.nr == 1;  // input is [K, R] row-major
        const float scale = K == ReduceKind::kMean ? 1.0f / static_cast<float>(L.R) : 1.0f;
        F32RowSumLoop loop = nullptr;
        if (rows && (K == ReduceKind::kSum || K == ReduceKind::kMean)) loop = simd_.sum_rows;
        if (rows && K == ReduceKind::kMax) loop = simd_.max_rows;
        if (loop != nullptr) {
          const int64_t n = L.R;
          parallel_for_range(L.K, grain_outputs, ctx.max_threads,
                             [&](int64_t b, int64_t e) { loop(in + b * n, out + b, e - b, n, scale); });
          return {};
        }
      }
      parallel_for_range(L.K, grain_outputs, ctx.max_threads,
                         [&](int64_t b, int64_t e) { reduce_inner_reduced<T, K>(L, in, out, b, e); });
      return {};
    }
    const int64_t m = L.kdim[L.nk - 1];
    const int64_t units = (L.K / m) * ((m + kChunk - 1) / kChunk);
    const int64_t per_unit = L.R * (m < kChunk ? m : kChunk);
    const int64_t grain_units = kElementwiseGrain / per_unit > 0 ? kElementwiseGrain / per_unit : 1;
    parallel_for_range(units, grain_units, ctx.max_threads,
                       [&](int64_t b, int64_t e) { reduce_inner_kept<T, K>(L, in, out, b, e); });
    return {};
  }

  ReduceKind kind_;
  std::vector<int64_t> axes_;
  bool axes_from_input_;
  bool keepdims_;
  bool noop_empty_;
  const F32SimdTable& simd_;
};

template <ReduceKind K>
Result<std::unique_ptr<OpKernel>> make_reduce(const KernelInit& init) {
  if (!init.has_input(0)) return bad_node(*init.node, "needs one input");
  const DataType dt = init.input_dtype(0);
  if (dt != DataType::kUndefined && !is_float_dtype(dt) && !is_integer_dtype(dt))
    return unsupported_dtype(*init.node, dt);
  const bool from_input = (K == ReduceKind::kSum && init.opset() >= 13) || init.opset() >= 18;
  const bool keepdims = attr_int(*init.node, "keepdims", 1) != 0;
  const bool noop = attr_int(*init.node, "noop_with_empty_axes", 0) != 0;
  std::vector<int64_t> axes = from_input ? std::vector<int64_t>{} : attr_ints(*init.node, "axes");
  if (from_input && init.has_input(1)) {
    const DataType adt = init.input_dtype(1);
    if (adt != DataType::kUndefined && adt != DataType::kInt64 && adt != DataType::kInt32)
      return bad_node(*init.node, std::string("axes must be int64, not ") + dtype_name(adt));
  }
  if (auto shape = init.static_input_shape(0)) {
    for (int64_t a : axes) {
      auto checked = resolve_axis(*init.node, a, static_cast<int64_t>(shape->size()), "axes entry");
      if (!checked.ok()) return checked.status();
    }
  }
  return std::unique_ptr<OpKernel>(new ReduceKernel(K, std::move(axes), from_input, keepdims, noop, select_f32_simd()));
}

}  // namespace

void register_elementwise_reduce(OpRegistry& r) {
  constexpr int kAll = 1 << 30;
  r.add({"", "ReduceSum", 1, kAll, make_reduce<ReduceKind::kSum>});
  r.add({"", "ReduceMean", 1, kAll, make_reduce<ReduceKind::kMean>});
  r.add({"", "ReduceMax", 1, kAll, make_reduce<ReduceKind::kMax>});
  r.add({"", "ReduceMin", 1, kAll, make_reduce<ReduceKind::kMin>});
  r.add({"", "ReduceProd", 1, kAll, make_reduce<ReduceKind::kProd>});
  r.add({"", "ReduceL1", 1, kAll, make_reduce<ReduceKind::kL1>});
  r.add({"", "ReduceL2", 1, kAll, make_reduce<ReduceKind::kL2>});
  r.add({"", "ReduceLogSum", 1, kAll, make_reduce<ReduceKind::kLogSum>});
  r.add({"", "ReduceLogSumExp", 1, kAll, make_reduce<ReduceKind::kLogSumExp>});
  r.add({"", "ReduceSumSquare", 1, kAll, make_reduce<ReduceKind::kSumSquare>});
}

}  // namespace braid::detail
