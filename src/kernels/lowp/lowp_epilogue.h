// The epilogue shared by every low-precision variant (formulas in lowp_arch.h). Each
// variant's translation unit instantiates it with its own flags; the unnamed namespace
// keeps those copies apart (the linker can never pick an AVX-512 copy for the scalar
// variant). All TUs are built with -ffp-contract=off and the operations below are done in
// one fixed order, so every variant rounds identically given identical accumulators.
#pragma once

#include <cstdint>

#include "kernels/lowp/lowp_arch.h"

namespace braid::detail {
namespace {

inline float lowp_finish(float r, const LowpEpilogue& ep, const float* c_old, int64_t n) {
  if (ep.beta != 0.0f) r = r + ep.beta * *c_old;
  if (ep.bias) r = r + ep.bias[n];
  if (ep.relu) r = r < 0.0f ? 0.0f : r;  // NaN stays NaN
  return r;
}

// i: the row within the block.
inline float lowp_int8_value(const LowpEpilogue& ep, const int32_t* acc, int64_t i, int64_t n) {
  const float v = static_cast<float>(*acc - ep.zp[i] * ep.wsum[n]);
  return v * ep.wscale[n] * ep.rscale[i];
}

inline void lowp_int8_epilogue(const LowpEpilogue& ep) {
  const auto* acc = static_cast<const int32_t*>(ep.acc);
  if (ep.c_is_mn) {
    for (int64_t i = 0; i < ep.mc; ++i) {
      const int64_t m = ep.m0 + i;
      float* crow = ep.c + m * ep.ldc;
      const int32_t* arow = acc + i * ep.ldacc;
      for (int64_t j = 0; j < ep.nc; ++j) {
        const int64_t n = ep.n0 + j;
        crow[n] = lowp_finish(lowp_int8_value(ep, arow + j, i, n), ep, crow + n, n);
      }
    }
  } else {
    for (int64_t j = 0; j < ep.nc; ++j) {
      const int64_t n = ep.n0 + j;
      float* ccol = ep.c + n * ep.ldc;
      for (int64_t i = 0; i < ep.mc; ++i) {
        const int64_t m = ep.m0 + i;
        ccol[m] = lowp_finish(lowp_int8_value(ep, acc + i * ep.ldacc + j, i, n), ep, ccol + m, n);
      }
    }
  }
}

inline void lowp_bf16_epilogue(const LowpEpilogue& ep) {
  const auto* acc = static_cast<const float*>(ep.acc);
  if (ep.c_is_mn) {
    for (int64_t i = 0; i < ep.mc; ++i) {
      float* crow = ep.c + (ep.m0 + i) * ep.ldc;
      const float* arow = acc + i * ep.ldacc;
      for (int64_t j = 0; j < ep.nc; ++j) {
        const int64_t n = ep.n0 + j;
        crow[n] = lowp_finish(arow[j] * ep.alpha, ep, crow + n, n);
      }
    }
  } else {
    for (int64_t j = 0; j < ep.nc; ++j) {
      const int64_t n = ep.n0 + j;
      float* ccol = ep.c + n * ep.ldc;
      for (int64_t i = 0; i < ep.mc; ++i) {
        const int64_t m = ep.m0 + i;
        ccol[m] = lowp_finish(acc[i * ep.ldacc + j] * ep.alpha, ep, ccol + m, n);
      }
    }
  }
}

}  // namespace
}  // namespace braid::detail
