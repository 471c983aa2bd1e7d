#include "compare_print.h"

#include <algorithm>
#include <cstdio>

#include "efficiency.h"

namespace braid::bench {
namespace {

std::string mib(int64_t bytes_or_kib, double unit, const char* fmt = "%.1f") {
  if (bytes_or_kib < 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, static_cast<double>(bytes_or_kib) / unit);
  return buf;
}

}  // namespace

void print_phase(const ComparePhase& ph, const std::string& title, const BenchOptions& o) {
  const bool concurrent = o.scenario != Scenario::kSingleStream;
  std::printf("\n== %s (load average %.2f -> %.2f) ==\n", title.c_str(), ph.load_avg_start, ph.load_avg_end);
  std::printf("%-14s %-7s %-20s %6s %9s %9s %9s %9s %15s %8s %8s %9s %5s %5s", "model", "runtime", "config", "runs",
              "per s", "p50 ms", "p99 ms", "max ms", "round p50 range", "peak MiB", "act MiB", "CPU ms/r", "cores",
              "%FMA");
  if (concurrent) std::printf(" %9s", "per s/ORT");
  std::printf(" %9s %9s %9s %9s\n", "p50/ORT", "p99/ORT", "p50 corr", "p99 corr");
  for (const CompareRow& r : ph.rows) {
    if (!r.error.empty()) {
      std::printf("%-14s %-7s %-20s FAILED: %s\n", r.model.c_str(), r.runtime.c_str(), r.config.c_str(), r.error.c_str());
      continue;
    }
    char cpu[16] = "-", cores[16] = "-";
    if (r.cpu_ms_per_request >= 0) std::snprintf(cpu, sizeof cpu, "%.3f", r.cpu_ms_per_request);
    if (r.cores_busy >= 0) std::snprintf(cores, sizeof cores, "%.2f", r.cores_busy);
    std::printf("%-14s %-7s %-20s %6zu %9.1f %9.3f %9.3f %9.3f %7.3f-%-7.3f %8s %8s %9s %5s %5s", r.model.c_str(),
                r.runtime.c_str(), r.config.c_str(), r.runs, r.throughput, r.latency.p50, r.latency.p99, r.latency.max,
                r.round_p50_min, r.round_p50_max, mib(r.peak_rss_kib, 1024).c_str(),
                mib(r.peak_activation_bytes, 1 << 20, "%.2f").c_str(), cpu, cores, percent(r.efficiency.fma_share).c_str());
    const CompareRatio* ratio = nullptr;
    bool best = false;
    for (const CompareRatio& k : ph.ratios) {
      if (k.model == r.model && k.braid_config == r.config && r.runtime == "braid") ratio = &k;
      best |= k.model == r.model && r.runtime == "ort" && k.ort_config == r.config;
    }
    if (ratio) {
      if (concurrent) std::printf(" %8.2fx", ratio->throughput_ratio);
      std::printf(" %8.2fx %8.2fx", ratio->p50_ratio, ratio->p99_ratio);
      if (ratio->p50_ratio_corrected >= 0)
        std::printf(" %8.2fx %8.2fx", ratio->p50_ratio_corrected, ratio->p99_ratio_corrected);
    } else if (best) {
      std::printf(" %9s", "(best)");
    }
    if (r.over_bound_share >= 0) std::printf("  %.1f%% over %.1f ms", 100.0 * r.over_bound_share, o.latency_bound_ms);
    std::printf("\n");
  }
  std::fflush(stdout);
}

int print_output_checks(const std::vector<OutputCheck>& checks) {
  int failures = 0;
  std::vector<std::string> models;
  for (const OutputCheck& k : checks)
    if (std::find(models.begin(), models.end(), k.model) == models.end()) models.push_back(k.model);
  for (const std::string& model : models) {
    std::string configs, ort;
    const OutputCheck* bad = nullptr;
    const OutputCheck* worst = nullptr;
    for (const OutputCheck& k : checks) {
      if (k.model != model || k.status == "unchecked") continue;
      configs += (configs.empty() ? "" : ", ") + k.braid_config;
      ort = k.ort_config;
      if (k.status == "mismatch" && !bad) bad = &k;
      if (k.status == "ok" && (!worst || k.max_rel_err > worst->max_rel_err)) worst = &k;
    }
    if (bad) {
      ++failures;
      if (bad->max_rel_err < 0)
        std::printf("output check %s: MISMATCH (Braid %s vs ORT %s: %s)\n", model.c_str(), bad->braid_config.c_str(),
                    bad->ort_config.c_str(), bad->note.c_str());
      else
        std::printf("output check %s: MISMATCH (Braid %s vs ORT %s, %s, %lld values: max abs err %.3g, max rel err "
                    "%.3g of max |x| %.4g > tolerance %g)\n",
                    model.c_str(), bad->braid_config.c_str(), bad->ort_config.c_str(), bad->note.c_str(),
                    static_cast<long long>(bad->numel), bad->max_abs_err, bad->max_rel_err, bad->max_abs_ort,
                    bad->tolerance);
    } else if (worst) {
      std::printf("output check %s: OK (Braid %s vs ORT %s, %lld values: max abs err %.3g, max rel err %.3g of max |x| "
                  "%.4g, tolerance %g)\n",
                  model.c_str(), configs.c_str(), ort.c_str(), static_cast<long long>(worst->numel), worst->max_abs_err,
                  worst->max_rel_err, worst->max_abs_ort, worst->tolerance);
    }
    for (const OutputCheck& k : checks) {
      if (k.model != model || k.status != "unchecked") continue;
      if (k.max_rel_err >= 0)
        std::printf("output check %s %s: UNCHECKED (%s; max abs err %.3g, max rel err %.3g of max |x| %.4g vs ORT %s)\n",
                    model.c_str(), k.braid_config.c_str(), k.note.c_str(), k.max_abs_err, k.max_rel_err,
                    k.max_abs_ort, k.ort_config.c_str());
      else
        std::printf("output check %s %s: UNCHECKED (%s)\n", model.c_str(), k.braid_config.c_str(), k.note.c_str());
    }
  }
  return failures;
}

}  // namespace braid::bench
