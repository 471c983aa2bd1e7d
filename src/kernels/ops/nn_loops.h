// Plain typed loops for the dtypes off the f32 speed path (f64 and integers) of MatMul
// and Gemm: C = alpha * op(A) * op(B) + beta * C with leading dimensions. Integer sums
// wrap around (computed unsigned) instead of overflowing.
#pragma once

#include <cstdint>
#include <type_traits>

namespace braid::detail {

template <class T, bool = std::is_floating_point_v<T>>
struct LoopAccumulator {
  using type = T;
};
template <class T>
struct LoopAccumulator<T, false> {
  using type = std::make_unsigned_t<T>;
};

// C[i, j] = alpha * sum_k op(A)[i, k] * op(B)[k, j] + beta * C[i, j] (C not read if beta == 0).
template <class T>
void gemm_loop(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
               int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  using Acc = typename LoopAccumulator<T>::type;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      Acc s = 0;
      for (int64_t p = 0; p < k; ++p) {
        const Acc av = static_cast<Acc>(trans_a ? a[p * lda + i] : a[i * lda + p]);
        const Acc bv = static_cast<Acc>(trans_b ? b[j * ldb + p] : b[p * ldb + j]);
        s += av * bv;
      }
      Acc r = static_cast<Acc>(alpha) * s;
      if (beta != T(0)) r += static_cast<Acc>(beta) * static_cast<Acc>(c[i * ldc + j]);
      c[i * ldc + j] = static_cast<T>(r);
    }
  }
}

}  // namespace braid::detail
