// The pieces of a Conv GEMM on their own, AVX-512 only (skipped elsewhere), for the 3x3 /
// 5x5 stride-1 layers of the bundled resnet and inception:
//  - BM_Im2colPack/<layer>/<packer>: packing one GEMM block of the patch matrix (the
//    block the Conv GEMM packs: kc from the GEMM's K split, nc <= 1024 columns) with the
//    segment packer (`segments`) or from the zero-padded input (`padded`), and the per-call
//    copy into the padded buffer (`pad_copy`); bytes/s = packed (or copied) floats * 4.
//  - BM_GemmMacro/M/nc/kc: the AVX-512 macro-kernel on one warm packed block, so tiles with
//    row tails (M not a multiple of 14) compare with full ones; GFLOPS counter.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/gemm/gemm.h"
#include "kernels/gemm/gemm_arch.h"
#include "kernels/ops/nn_im2col.h"

namespace braid::bench {
namespace {

using detail::AlignedFloats;
using detail::Im2colSource;

struct PackLayer {
  const char* name;
  int64_t c, hw, k;
};

constexpr PackLayer kLayers[] = {
    {"resnet/3x3_64_56", 64, 56, 3},      {"resnet/3x3_128_28", 128, 28, 3}, {"resnet/3x3_256_14", 256, 14, 3},
    {"inception/3x3_64_56", 64, 56, 3},   {"inception/5x5_16_28", 16, 28, 5}, {"inception/3x3_112_14", 112, 14, 3},
    {"inception/5x5_48_7", 48, 7, 5},
};

// The GEMM's K block for a depth of k (gemm.cpp k_block with the AVX-512 kc of 256).
int64_t k_block(int64_t k) {
  const int64_t blocks = (k + 255) / 256;
  const int64_t per = (k + blocks - 1) / blocks;
  const int64_t kb = (per + 7) / 8 * 8;
  return kb < 256 ? kb : 256;
}

void BM_Im2colPack(benchmark::State& state, PackLayer l, int variant) {
  if (!detail::cpu_features().has_avx512()) {
    state.SkipWithError("needs AVX-512");
    return;
  }
  std::vector<float> x(static_cast<size_t>(l.c * l.hw * l.hw), 0.5f);
  Im2colSource s;
  s.x = x.data();
  s.channels = l.c;
  s.ih = s.iw = s.oh = s.ow = l.hw;
  s.kh = s.kw = l.k;
  s.ph = s.pw = l.k / 2;
  const int64_t k = l.c * l.k * l.k, n = l.hw * l.hw;
  const int64_t kc = k_block(k), nc = n < 1024 ? n : 1024;
  AlignedFloats xp(detail::im2col_padded_size(s));
  detail::im2col_pad_input_avx512(s, xp.data());
  AlignedFloats dst(kc * ((nc + 31) / 32) * 32);
  for (auto _ : state) {
    if (variant == 0) detail::im2col_pack_avx512(&s, 0, kc, 0, nc, 32, dst.data());
    else if (variant == 1) detail::im2col_padded_pack_avx512(&s, 0, kc, 0, nc, 32, dst.data());
    else detail::im2col_pad_input_avx512(s, xp.data());
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  const int64_t floats = variant == 2 ? s.channels * s.hp * s.wp : kc * nc;
  state.SetBytesProcessed(state.iterations() * floats * 4);
  state.SetLabel("kc=" + std::to_string(kc) + " nc=" + std::to_string(nc));
}

void BM_GemmMacro(benchmark::State& state) {
  if (!detail::cpu_features().has_avx512()) {
    state.SkipWithError("needs AVX-512");
    return;
  }
  const int64_t m = state.range(0), nc = state.range(1), kc = state.range(2);
  AlignedFloats a(m * kc), b(kc * ((nc + 31) / 32) * 32), c(m * nc);
  for (int64_t i = 0; i < a.size(); ++i) a.data()[i] = 0.001f;
  for (int64_t i = 0; i < b.size(); ++i) b.data()[i] = 0.001f;
  detail::GemmBlock blk;
  blk.mc = m;
  blk.nc = nc;
  blk.kc = kc;
  blk.a = a.data();
  blk.b = b.data();
  blk.c = c.data();
  blk.ldc = nc;
  const detail::GemmArch& arch = detail::gemm_arch_avx512();
  for (auto _ : state) {
    arch.macro(blk);
    benchmark::ClobberMemory();
  }
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * static_cast<double>(m * nc * kc),
                                                benchmark::Counter::kIsIterationInvariantRate,
                                                benchmark::Counter::kIs1000);
}

const bool kRegistered = [] {
  const char* names[] = {"segments", "padded", "pad_copy"};
  for (const PackLayer& l : kLayers)
    for (int v = 0; v < 3; ++v)
      benchmark::RegisterBenchmark((std::string("BM_Im2colPack/") + l.name + "/" + names[v]).c_str(), BM_Im2colPack, l,
                                   v);
  auto* b = benchmark::RegisterBenchmark("BM_GemmMacro", BM_GemmMacro);
  b->ArgNames({"M", "nc", "kc"});
  for (int64_t m : {14, 28, 56, 64, 126, 128, 168, 49, 8}) b->Args({m, 1024, 192});
  return true;
}();

}  // namespace
}  // namespace braid::bench
