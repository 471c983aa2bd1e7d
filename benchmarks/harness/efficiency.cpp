#include "efficiency.h"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>

namespace braid::bench {

Ceilings ceilings_of(const ResourceCalibration& c, int cores) {
  Ceilings out;
  out.gflops_per_core = c.gflops_per_core > 0 ? c.gflops_per_core : 0;
  out.bandwidth_gbps = c.bandwidth_gbps > 0 ? c.bandwidth_gbps : 0;
  out.cores = cores;
  return out;
}

Result<Ceilings> measure_ceilings(int cores) {
  char tmpl[] = "/tmp/braid_ceilings_XXXXXX";
  if (!mkdtemp(tmpl)) return internal_error("cannot make a temporary directory for the calibration");
  ResourceMonitorOptions mo;
  mo.default_sources = false;  // only the probes
  mo.calibration_file = std::string(tmpl) + "/calibration.txt";  // absent: measured, not loaded
  Ceilings c;
  {
    ResourceMonitor monitor(mo);
    Status st = monitor.start();
    if (st.ok()) {
      c = ceilings_of(monitor.calibration(), cores);
      monitor.stop();
    }
    std::error_code ec;
    std::filesystem::remove_all(tmpl, ec);
    if (!st.ok()) return st;
  }
  if (c.gflops_per_core <= 0) return internal_error("the calibration probes measured nothing");
  c.measured_now = true;
  return c;
}

ModelWork model_work(const Session& s) {
  ModelWork w;
  const std::vector<SubgraphProfile> profile = s.subgraph_profile();
  if (profile.empty()) return w;
  w.flops = w.bytes = 0;
  for (const SubgraphProfile& p : profile) {
    w.flops += p.flops;
    w.bytes += p.bytes;
  }
  return w;
}

Efficiency efficiency(const ModelWork& w, double requests_per_s, const Ceilings& c) {
  Efficiency e;
  if (!(requests_per_s > 0)) return e;
  if (w.flops > 0) {
    e.gflops_per_s = w.flops * requests_per_s / 1e9;
    if (c.peak_gflops() > 0) e.fma_share = e.gflops_per_s / c.peak_gflops();
  }
  if (w.bytes > 0) {
    e.gbytes_per_s = w.bytes * requests_per_s / 1e9;
    if (c.bandwidth_gbps > 0) e.bandwidth_share = e.gbytes_per_s / c.bandwidth_gbps;
  }
  return e;
}

std::string describe(const Ceilings& c) {
  if (c.gflops_per_core <= 0 && c.bandwidth_gbps <= 0) return "not calibrated";
  char buf[160];
  std::snprintf(buf, sizeof buf, "FMA %.1f GFLOP/s per core x %d = %.1f GFLOP/s, STREAM triad %.1f GB/s (%s)",
                c.gflops_per_core, c.cores, c.peak_gflops(), c.bandwidth_gbps,
                c.measured_now ? "measured at start" : "the runtime's cached calibration");
  return buf;
}

std::string percent(double share) {
  if (share < 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%", 100.0 * share);
  return buf;
}

}  // namespace braid::bench
