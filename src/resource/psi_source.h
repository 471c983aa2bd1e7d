// PsiSource: pressure stall information of one resource, /proc/pressure/cpu or
// /proc/pressure/memory (kernel >= 4.20 with CONFIG_PSI and not booted with psi=0).
// avg10 is the share of the last 10 s in which some (or all) runnable tasks stalled; the
// kernel recomputes it every 2 s, so the file is read every `refresh_every_samples`
// samples (10 = 100 ms at the default period) and the last values are written between.
#pragma once

#include <string>
#include <string_view>

#include "braid/resource.h"
#include "resource/text_file.h"

namespace braid::detail {

struct PsiLine {
  double avg10 = ResourceVector::kUnknown;
  double avg60 = ResourceVector::kUnknown;
  double avg300 = ResourceVector::kUnknown;
  int64_t total_us = -1;
};

struct Psi {
  PsiLine some;
  PsiLine full;  // absent (NaN) for cpu before kernel 5.13
};

// Requires a "some" line; rejects garbage values, averages outside [0, 100] and unknown
// line kinds. Thread-safe.
Result<Psi> parse_psi(std::string_view text);

enum class PsiResource { kCpu, kMemory };

class PsiSource final : public ResourceSource {
 public:
  PsiSource(const std::string& root, PsiResource resource, int refresh_every_samples = 10);
  // Writes cpu_pressure_* or memory_pressure_*. Not thread-safe.
  Status sample(ResourceVector& inout) override;
  const char* name() const override { return resource_ == PsiResource::kCpu ? "psi_cpu" : "psi_memory"; }
  ResourceSourceKind kind() const override {
    return resource_ == PsiResource::kCpu ? ResourceSourceKind::kPsiCpu : ResourceSourceKind::kPsiMemory;
  }

 private:
  PsiResource resource_;
  TextFile file_;
  int refresh_every_samples_;
  int samples_since_refresh_ = 0;
  bool have_ = false;
  Psi last_;
};

}  // namespace braid::detail
