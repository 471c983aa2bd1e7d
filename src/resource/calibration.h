// Calibration: the machine's peak f32 GFLOP/s per core (FMA probe) and memory bandwidth
// (triad probe), measured once and cached in a small key=value file so that later starts
// cost a file read. The cache is keyed by CPU model, CPU count and memory size; the
// environment variable BRAID_CALIBRATION overrides it with either a file path or inline
// values ("gflops_per_core=50,bandwidth_gbps=20").
#pragma once

#include <string>
#include <string_view>

#include "braid/resource.h"
#include "resource/bandwidth_probe.h"
#include "resource/report_once.h"

namespace braid::detail {

struct CalibrationFile {
  ResourceCalibration values;
  std::string machine;  // empty when the file does not say (hand-written overrides)
  bool complete() const noexcept { return values.gflops_per_core > 0 && values.bandwidth_gbps > 0; }
};

// key=value pairs separated by newlines or commas; '#' starts a comment. Keys:
// gflops_per_core, bandwidth_gbps, bandwidth_gbps_one_core, isa, machine, version
// (unknown keys are ignored). Bad numbers are errors. Thread-safe.
Result<CalibrationFile> parse_calibration(std::string_view text);
// The cache file format read by parse_calibration. Thread-safe.
std::string format_calibration(const CalibrationFile& file);

// "<cpu model>|cpus=<online>|mem_gib=<MemTotal in GiB>" for this machine. Thread-safe.
std::string machine_key();
// $XDG_CACHE_HOME/braid/calibration.txt, else $HOME/.cache/braid/calibration.txt, else "".
// Thread-safe.
std::string default_calibration_path();

// Runs the FMA probe (~100 ms of CPU time) and the bandwidth probe (~0.3-1 s with the
// default arrays; tests pass smaller ones). `contended` (optional) is set when other
// processes disturbed the bandwidth probe. Thread-safe.
Result<ResourceCalibration> run_calibration_probes(const BandwidthProbeOptions& bandwidth = {},
                                                   bool* contended = nullptr);

// The calibration to use, in order: explicit values in `options`; BRAID_CALIBRATION
// inline values; the file named by options.calibration_file, BRAID_CALIBRATION or the
// default cache path when it is complete and (if keyed) for this machine; else the probes,
// whose result is written to that file unless the machine was too busy to measure it
// (a failed or skipped write is reported once, not fatal).
// Fails only when no value is available at all. Thread-safe (apart from `reports`).
Result<ResourceCalibration> load_or_calibrate(const ResourceMonitorOptions& options, ReportOnce& reports,
                                              const BandwidthProbeOptions& bandwidth = {});

}  // namespace braid::detail
