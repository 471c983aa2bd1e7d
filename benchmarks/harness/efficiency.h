// braid-bench's efficiencies: achieved GFLOP/s and GB/s of a model as a share of this
// machine's ceilings, the FMA peak and STREAM triad bandwidth that the runtime's resource
// monitor measures when it starts (fma_probe, bandwidth_probe), i.e. in the same run.
//
//   Ceilings c = ceilings_of(runtime->monitor().calibration(), threads);
//   Efficiency e = efficiency(model_work(session), requests_per_s, c);  // e.fma_share 0.41
#pragma once

#include <string>

#include "braid/resource.h"
#include "braid/session.h"

namespace braid::bench {

struct Ceilings {
  bool measured_now = false;   // measure_ceilings(); false: the runtime's cached calibration
  double gflops_per_core = 0;  // 0: not calibrated
  double bandwidth_gbps = 0;   // STREAM triad with all allowed cores; 0: not calibrated
  int cores = 0;               // cores the runtimes may use (--threads, else all)
  double peak_gflops() const { return gflops_per_core * cores; }
};
Ceilings ceilings_of(const ResourceCalibration& c, int cores);
// Measures the ceilings now: a ResourceMonitor of its own, calibrating into a fresh
// temporary cache file, so the FMA and STREAM probes run in this process (about a second)
// instead of loading the runtime's cached calibration. Not thread-safe.
Result<Ceilings> measure_ceilings(int cores);

// Work of one request as Braid's cost model estimates it at the fed shapes: the sum of
// SubgraphProfile::flops and ::bytes over the session's subgraphs (-1: no subgraphs).
struct ModelWork {
  double flops = -1, bytes = -1;
};
ModelWork model_work(const Session& s);

// At `requests_per_s`: GFLOP/s and its share of Ceilings::peak_gflops(), GB/s and its share
// of the STREAM bandwidth; -1 where the work or the ceiling is unknown.
struct Efficiency {
  double gflops_per_s = -1, fma_share = -1, gbytes_per_s = -1, bandwidth_share = -1;
};
Efficiency efficiency(const ModelWork& w, double requests_per_s, const Ceilings& c);

// "FMA 190.0 GFLOP/s per core x 2 = 380.0 GFLOP/s, STREAM triad 23.3 GB/s" or "not calibrated".
std::string describe(const Ceilings& c);
// "41%" or "-".
std::string percent(double share);

}  // namespace braid::bench
