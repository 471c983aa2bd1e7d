// Shared by the fuzz targets: one small runtime per process (no machine sampling, no
// calibration) so that every execution is fast and deterministic.
#pragma once

#include <cstdlib>
#include <memory>

#include "braid/runtime.h"

namespace braid::fuzz {

inline std::shared_ptr<Runtime> fuzz_runtime() {
  static std::shared_ptr<Runtime> runtime = [] {
    RuntimeOptions o;
    o.threads = 2;
    o.monitor_machine = false;
    o.calibrate = false;
    auto r = Runtime::create(o);
    if (!r.ok()) std::abort();  // the harness itself is broken, not the input
    return std::move(r).value();
  }();
  return runtime;
}

}  // namespace braid::fuzz
