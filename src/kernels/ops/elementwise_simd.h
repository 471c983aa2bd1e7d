// The vectorized float32 loops of the elementwise family, one table per ISA. The same
// loops (elementwise_simd_loops.inc) are compiled three times: portable (the baseline
// x86-64 or any target), AVX2+FMA and AVX-512; a kernel picks its table once at creation:
//
//   const F32SimdTable& simd = select_f32_simd();   // at load
//   simd.unary[kF32Sigmoid](x, y, n);               // at run time, one indirect call
//
// The loops are plain C++ that GCC auto-vectorizes; exp/sigmoid/tanh use a polynomial
// accurate to about 2e-7 relative. Parallelism and broadcasting stay with the caller.
#pragma once

#include <cstdint>

namespace braid::detail::ew {

enum F32BinaryOp : int { kF32Add, kF32Sub, kF32Mul, kF32Div, kF32Min, kF32Max, kF32BinaryCount };
// How a binary loop reads its operands: both as arrays, or one as a single repeated value.
enum F32Operands : int { kVecVec, kVecScalar, kScalarVec, kF32OperandsCount };
enum F32UnaryOp : int { kF32Relu, kF32Sigmoid, kF32Tanh, kF32Exp, kF32UnaryCount };

// out[i] = a[i] op b[i]; with kVecScalar b[0] is used for every i, with kScalarVec a[0].
using F32BinaryLoop = void (*)(const float* a, const float* b, float* out, int64_t n);
using F32UnaryLoop = void (*)(const float* x, float* y, int64_t n);
// Each of `rows` rows of `n` floats (n >= 1).
using F32RowsLoop = void (*)(const float* x, float* y, int64_t rows, int64_t n);
// out[r] = scale * sum of row r (n >= 0).
using F32RowSumLoop = void (*)(const float* x, float* out, int64_t rows, int64_t n, float scale);

struct F32SimdTable {
  const char* isa;  // "portable", "avx2", "avx512"
  F32BinaryLoop binary[kF32BinaryCount][kF32OperandsCount];
  F32UnaryLoop unary[kF32UnaryCount];
  F32RowsLoop softmax_rows;
  F32RowsLoop log_softmax_rows;
  F32RowSumLoop sum_rows;
  F32RowSumLoop max_rows;  // scale ignored
};

const F32SimdTable& f32_simd_portable();
const F32SimdTable& f32_simd_avx2();
const F32SimdTable& f32_simd_avx512();

// The best table for cpu_features() (which honours the testing ISA cap). Thread-safe.
const F32SimdTable& select_f32_simd();

}  // namespace braid::detail::ew
