// The ISA-neutral low-precision GEMM driver: variant lists, then (M block x N block)
// tasks, each converting its M block's activations (once per run of tasks on the same
// block) into thread-local scratch, looping over K blocks into an exact per-task
// accumulator (s32 for int8; f32 for bf16 in a fixed k order), then one epilogue. No
// result depends on the block or thread a value was computed in.
#include "kernels/lowp/lowp_gemm.h"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/lowp/lowp_arch.h"
#include "kernels/lowp/lowp_pack.h"
#include "kernels/parallel.h"

namespace braid::detail {
namespace {

// Fewest multiply-adds worth a task of their own (about 20-50 us of one core).
constexpr int64_t kMinTaskMacs = int64_t{1} << 19;
// Deepest int8 product whose s32 sums cannot overflow: 255 * 127 * K < 2^31.
constexpr int64_t kMaxInt8Depth = 66000;

// A task's scratch: its M block's converted activations (and int8 row scales and zero
// points) and its accumulators. Only touched inside a task body, which never re-enters
// oneTBB, so no other GEMM can run on this thread while it is in use.
struct TaskScratch {
  std::vector<std::byte> act, acc;
  std::vector<float> rscale;
  std::vector<int32_t> zp;
};
thread_local TaskScratch t_scratch;

template <class T>
void grow(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

// k == 0: c = beta * c_old + bias, then ReLU (the epilogue with zero accumulators).
void empty_depth(const LowpGemmArgs& a) {
  for (int64_t m = 0; m < a.m; ++m) {
    for (int64_t n = 0; n < a.n; ++n) {
      float& c = a.c_is_mn ? a.c[m * a.ldc + n] : a.c[n * a.ldc + m];
      float r = 0.0f;
      if (a.beta != 0.0f) r = r + a.beta * c;
      if (a.bias) r = r + a.bias[n];
      if (a.relu) r = r < 0.0f ? 0.0f : r;
      c = r;
    }
  }
}

struct Operands {
  const LowpArch* arch;
  int64_t n_packed;              // n rounded up to the panel width
  int64_t kp;
  const std::byte* w;
  const float* wscale = nullptr;
  const int32_t* wsum = nullptr;
};

void run_tasks(const LowpGemmArgs& args, const Operands& op, int max_threads) {
  const LowpArch& arch = *op.arch;
  const int64_t mblocks = (args.m + arch.mc - 1) / arch.mc;
  const int64_t nblocks = (op.n_packed + arch.nc - 1) / arch.nc;
  const int64_t task_macs = (args.m < arch.mc ? args.m : arch.mc) *
                            (op.n_packed < arch.nc ? op.n_packed : arch.nc) * op.kp;
  const int64_t grain = (kMinTaskMacs + task_macs - 1) / task_macs;
  const int64_t panel_elems = op.kp * arch.layout.nr;
  const int64_t group_bytes = int64_t{arch.layout.kgroup} * arch.act_bytes;
  const bool group_major = !args.x_is_mk && arch.kxm_group_major;

  parallel_for_range(mblocks * nblocks, grain, max_threads, [&](int64_t begin, int64_t end) {
    TaskScratch& s = t_scratch;
    grow(s.acc, static_cast<size_t>(arch.mc * arch.nc) * 4);
    grow(s.act, static_cast<size_t>(arch.mc * op.kp * arch.act_bytes));
    grow(s.rscale, static_cast<size_t>(arch.mc));
    grow(s.zp, static_cast<size_t>(arch.mc));
    void* acc = s.acc.data();
    int64_t converted = -1;  // the M block whose activations are in s.act
    for (int64_t t = begin; t < end; ++t) {
      const int64_t mb = t / nblocks, nb = t % nblocks;  // neighbours share an M block
      const int64_t m0 = mb * arch.mc, n0 = nb * arch.nc;
      const int64_t mc = args.m - m0 < arch.mc ? args.m - m0 : arch.mc;
      const int64_t nc = op.n_packed - n0 < arch.nc ? op.n_packed - n0 : arch.nc;
      if (mb != converted) {
        arch.convert(args, op.kp, m0, m0 + mc, s.act.data(), s.rscale.data(), s.zp.data());
        converted = mb;
      }
      for (int64_t k0 = 0; k0 < op.kp; k0 += arch.kc) {
        LowpBlock blk;
        blk.mc = mc;
        blk.nc = nc;
        blk.kc = op.kp - k0 < arch.kc ? op.kp - k0 : arch.kc;
        blk.a_row = group_major ? group_bytes : op.kp * arch.act_bytes;
        blk.a_group = group_major ? mc * group_bytes : group_bytes;
        blk.a = s.act.data() + k0 / arch.layout.kgroup * blk.a_group;
        blk.w = op.w + ((n0 / arch.layout.nr) * panel_elems + k0 * arch.layout.nr) * arch.weight_bytes;
        blk.wstride = panel_elems;
        blk.acc = acc;
        blk.ldacc = nc;
        blk.first = k0 == 0;
        arch.macro(blk);
      }
      LowpEpilogue ep;
      ep.acc = acc;
      ep.ldacc = nc;
      ep.m0 = m0;
      ep.n0 = n0;
      ep.mc = mc;
      ep.nc = args.n - n0 < nc ? args.n - n0 : nc;
      ep.c = args.c;
      ep.ldc = args.ldc;
      ep.c_is_mn = args.c_is_mn;
      ep.alpha = args.alpha;
      ep.beta = args.beta;
      ep.bias = args.bias;
      ep.relu = args.relu;
      ep.rscale = s.rscale.data();
      ep.zp = s.zp.data();
      ep.wscale = op.wscale;
      ep.wsum = op.wsum;
      arch.epilogue(ep);
    }
  });
}

}  // namespace

const char* lowp_isa_name(LowpIsa isa) noexcept {
  switch (isa) {
    case LowpIsa::kScalar: return "scalar";
    case LowpIsa::kAvx2: return "avx2";
    case LowpIsa::kAvx512: return "avx512";
    case LowpIsa::kAvx512Vnni: return "avx512_vnni";
    case LowpIsa::kAvx512Bf16: return "avx512_bf16";
    case LowpIsa::kAmxBf16: return "amx_bf16";
  }
  return "unknown";
}

// SIMD variants exist in x86-64 builds only (lowp.cmake adds their translation units).
#if defined(__x86_64__)
constexpr bool kX86 = true;
#else
constexpr bool kX86 = false;
#endif

std::vector<LowpIsa> lowp_bf16_isas() {
  std::vector<LowpIsa> isas = {LowpIsa::kScalar};
  const CpuFeatures& f = cpu_features();
  if (kX86 && f.has_avx512() && f.fma) isas.push_back(LowpIsa::kAvx512);
  if (kX86 && f.has_avx512() && f.avx512_bf16) isas.push_back(LowpIsa::kAvx512Bf16);
#if defined(__x86_64__)
  if (f.has_avx512() && f.amx_tile && f.amx_bf16 && lowp_amx_ready()) isas.push_back(LowpIsa::kAmxBf16);
#endif
  return isas;
}

std::vector<LowpIsa> lowp_int8_isas() {
  std::vector<LowpIsa> isas = {LowpIsa::kScalar};
  const CpuFeatures& f = cpu_features();
  if (kX86 && f.has_avx512()) isas.push_back(LowpIsa::kAvx512);
  if (kX86 && f.has_avx512() && f.avx512_vnni) isas.push_back(LowpIsa::kAvx512Vnni);
  return isas;
}

LowpIsa best_bf16_isa() {
  // The measured choice, unless a BRAID_ISA cap set since has taken it off the list.
  const std::vector<LowpIsa> isas = lowp_bf16_isas();
  const LowpIsa fastest = bf16_speed().isa;
  return std::find(isas.begin(), isas.end(), fastest) != isas.end() ? fastest : isas.back();
}
LowpIsa best_int8_isa() { return lowp_int8_isas().back(); }

namespace {

// The requested variant if this CPU runs it, else `best` (a variant this CPU lacks would
// fault).
LowpIsa runnable(LowpIsa isa, const std::vector<LowpIsa>& isas, LowpIsa (*best)()) {
  for (LowpIsa i : isas)
    if (i == isa) return isa;
  return best();
}

}  // namespace

const LowpArch& lowp_int8_arch(LowpIsa isa) {
  isa = runnable(isa, lowp_int8_isas(), best_int8_isa);
#if defined(__x86_64__)
  if (isa == LowpIsa::kAvx512) return lowp_int8_arch_avx512();
  if (isa == LowpIsa::kAvx512Vnni) return lowp_int8_arch_vnni();
#endif
  return lowp_int8_arch_scalar();
}

const LowpArch& lowp_bf16_arch(LowpIsa isa) {
  isa = runnable(isa, lowp_bf16_isas(), best_bf16_isa);
#if defined(__x86_64__)
  if (isa == LowpIsa::kAvx512) return lowp_bf16_arch_avx512();
  if (isa == LowpIsa::kAvx512Bf16) return lowp_bf16_arch_avx512bf16();
  if (isa == LowpIsa::kAmxBf16) return lowp_bf16_arch_amx();
#endif
  return lowp_bf16_arch_scalar();
}

void gemm_int8(const LowpGemmArgs& args, const Int8Weights& w, int max_threads) {
  if (args.m <= 0 || args.n <= 0) return;
  if (args.k <= 0) return empty_depth(args);
  assert(!w.empty() && w.rows() == args.n && w.depth() == args.k);
  assert(args.k <= kMaxInt8Depth);
  const Int8Weights::Impl& im = *w.impl();
  Operands op;
  op.arch = im.arch;
  op.n_packed = lowp_round_up(args.n, im.arch->layout.nr);
  op.kp = im.kp;
  op.w = im.data.data();
  op.wscale = im.scale.get();
  op.wsum = im.wsum.get();
  run_tasks(args, op, max_threads);
}

void gemm_bf16(const LowpGemmArgs& args, const Bf16Weights& w, int max_threads) {
  if (args.m <= 0 || args.n <= 0) return;
  if (args.k <= 0) return empty_depth(args);
  assert(!w.empty() && w.rows() == args.n && w.depth() == args.k);
  const Bf16Weights::Impl& im = *w.impl();
  Operands op;
  op.arch = im.arch;
  op.n_packed = lowp_round_up(args.n, im.arch->layout.nr);
  op.kp = im.kp;
  op.w = im.data.data();
  run_tasks(args, op, max_threads);
}

}  // namespace braid::detail
