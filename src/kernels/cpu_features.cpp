#include "kernels/cpu_features.h"

#include <cstdlib>
#include <cstring>

namespace braid::detail {
namespace {

CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx512vl = __builtin_cpu_supports("avx512vl");
  f.avx512_vnni = __builtin_cpu_supports("avx512vnni");
#if defined(__GNUC__) && __GNUC__ >= 12
  f.avx512_bf16 = __builtin_cpu_supports("avx512bf16");
  f.avx_vnni = __builtin_cpu_supports("avxvnni");
  f.amx_tile = __builtin_cpu_supports("amx-tile");
  f.amx_bf16 = __builtin_cpu_supports("amx-bf16");
#endif
#endif
  return f;
}

CpuFeatures apply_cap(CpuFeatures f, const char* cap) {
  if (cap == nullptr || *cap == 0) return f;
  if (std::strcmp(cap, "scalar") == 0) return CpuFeatures{};
  if (std::strcmp(cap, "avx2") == 0) {
    CpuFeatures g;
    g.avx2 = f.avx2;
    g.fma = f.fma;
    g.avx_vnni = f.avx_vnni;
    return g;
  }
  return f;
}

CpuFeatures& state() {
  static CpuFeatures features = apply_cap(detect(), std::getenv("BRAID_ISA"));
  return features;
}

}  // namespace

const CpuFeatures& cpu_features() { return state(); }

void set_isa_cap_for_testing(const char* isa) { state() = apply_cap(detect(), isa); }

}  // namespace braid::detail
