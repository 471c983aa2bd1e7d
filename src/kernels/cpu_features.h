// CPU features, detected once (CPUID via the compiler's builtins) and then read from an
// immutable struct. Kernels pick their ISA variant from this at load time.
#pragma once

namespace braid::detail {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512_bf16 = false;
  bool avx512_vnni = false;
  bool avx_vnni = false;
  bool amx_tile = false;
  bool amx_bf16 = false;

  bool has_avx512() const { return avx512f && avx512bw && avx512vl; }
  bool has_avx2_fma() const { return avx2 && fma; }
};

// The features of this CPU, masked by the env var BRAID_ISA ("scalar", "avx2", "avx512")
// which caps the ISA for testing fallbacks. Thread-safe.
const CpuFeatures& cpu_features();

// Caps the ISA for tests ("scalar", "avx2", "avx512" or "" for native). Affects kernels
// created after the call. Not thread-safe.
void set_isa_cap_for_testing(const char* isa);

}  // namespace braid::detail
