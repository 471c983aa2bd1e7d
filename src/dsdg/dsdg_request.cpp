#include "dsdg/dsdg_request.h"

#include <bit>

namespace braid::detail {

DsdgRequest::DsdgRequest(const Dsdg& dsdg)
    : dsdg_(&dsdg),
      words_((dsdg.size() + 63) / 64),
      pending_(std::make_unique<std::atomic<int32_t>[]>(dsdg.size())),
      ready_(std::make_unique<std::atomic<uint64_t>[]>(words_ > 0 ? words_ : 1)) {
  reset();
}

void DsdgRequest::reset() noexcept {
  for (size_t w = 0; w < words_; ++w) ready_[w].store(0, std::memory_order_relaxed);
  for (SubgraphId s = 0; s < dsdg_->size(); ++s)
    pending_[s].store(static_cast<int32_t>(dsdg_->preds(s).size()), std::memory_order_relaxed);
  for (SubgraphId s : dsdg_->sources()) ready_[s / 64].fetch_or(uint64_t{1} << (s % 64), std::memory_order_relaxed);
  // release: a request handed to other threads after reset() shows them the full counts.
  completed_.store(0, std::memory_order_release);
}

size_t DsdgRequest::complete(SubgraphId s, std::vector<SubgraphId>& newly_ready) {
  const size_t before = newly_ready.size();
  complete(s, [&](SubgraphId t) { newly_ready.push_back(t); });
  return newly_ready.size() - before;
}

size_t DsdgRequest::ready_subgraphs(std::vector<SubgraphId>& out) const {
  const size_t before = out.size();
  for (size_t w = 0; w < words_; ++w) {
    uint64_t bits = ready_[w].load(std::memory_order_acquire);
    while (bits != 0) {
      const int b = std::countr_zero(bits);
      out.push_back(static_cast<SubgraphId>(w * 64 + static_cast<size_t>(b)));
      bits &= bits - 1;
    }
  }
  return out.size() - before;
}

std::vector<SubgraphId> DsdgRequest::ready_subgraphs() const {
  std::vector<SubgraphId> out;
  ready_subgraphs(out);
  return out;
}

}  // namespace braid::detail
