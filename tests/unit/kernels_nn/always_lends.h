// A fake CoreLender for the elastic-piece tests (GEMM and Conv): grants every core asked
// for, counts the asks and the cores held; `spare` says 2 cores are free, `none` none.
#pragma once

#include <atomic>

#include "kernels/parallel.h"

namespace braid::detail {

struct AlwaysLends {
  std::atomic<int> asks{0}, held{0};
  static int borrow(void* ctx, int want) {
    auto* self = static_cast<AlwaysLends*>(ctx);
    self->asks += 1;
    self->held += want;
    return want;
  }
  static void repay(void* ctx, int threads, double) { static_cast<AlwaysLends*>(ctx)->held -= threads; }
  static int spare(void*) { return 2; }
  static int none(void*) { return 0; }
  CoreLender lender() { return CoreLender{&spare, &borrow, &repay, this}; }
};

}  // namespace braid::detail
