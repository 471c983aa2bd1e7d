#include "kernels/ops/nn_lowp.h"

namespace braid::detail {
namespace {

std::atomic<size_t> g_converted_bytes{0};

}  // namespace

LowpWeights::LowpWeights(const float* w, int64_t n, int64_t k, int64_t ldw, bool w_is_nk)
    : w_(w), n_(n), k_(k), ldw_(ldw), w_is_nk_(w_is_nk) {}

const Bf16Weights& LowpWeights::bf16() const {
  std::call_once(bf16_once_, [this] {
    bf16_ = Bf16Weights::pack(w_, n_, k_, ldw_, w_is_nk_, best_bf16_isa());
    g_converted_bytes.fetch_add(bf16_.bytes(), std::memory_order_relaxed);
  });
  return bf16_;
}

const Int8Weights& LowpWeights::int8() const {
  std::call_once(int8_once_, [this] {
    int8_ = Int8Weights::pack(w_, n_, k_, ldw_, w_is_nk_, best_int8_isa());
    g_converted_bytes.fetch_add(int8_.bytes(), std::memory_order_relaxed);
  });
  return int8_;
}

void lowp_gemm(Precision p, const LowpGemmArgs& args, const LowpWeights& w, int max_threads) {
  if (p == Precision::kInt8) gemm_int8(args, w.int8(), max_threads);
  else gemm_bf16(args, w.bf16(), max_threads);
}

size_t lowp_weight_bytes() { return g_converted_bytes.load(std::memory_order_relaxed); }

}  // namespace braid::detail
