#include "resource/psi_source.h"

#include <algorithm>

#include "resource/text_scan.h"

namespace braid::detail {
namespace {

Status parse_psi_line(std::string_view rest, std::string_view line, PsiLine& out) {
  bool seen_avg10 = false;
  for (std::string_view tok = next_token(rest); !tok.empty(); tok = next_token(rest)) {
    const size_t eq = tok.find('=');
    if (eq == std::string_view::npos) return invalid_argument("psi: bad field in '" + std::string(line) + "'");
    const std::string_view key = tok.substr(0, eq);
    const std::string_view value = tok.substr(eq + 1);
    if (key == "total") {
      auto v = parse_int64(value);
      if (!v || *v < 0) return invalid_argument("psi: bad total in '" + std::string(line) + "'");
      out.total_us = *v;
      continue;
    }
    double* slot = key == "avg10" ? &out.avg10 : key == "avg60" ? &out.avg60 : key == "avg300" ? &out.avg300 : nullptr;
    if (slot == nullptr) continue;  // a future field
    auto v = parse_double(value);
    if (!v || !(*v >= 0 && *v <= 100)) return invalid_argument("psi: bad average in '" + std::string(line) + "'");
    *slot = *v;
    seen_avg10 |= key == "avg10";
  }
  if (!seen_avg10) return invalid_argument("psi: no avg10 in '" + std::string(line) + "'");
  return Status::ok_status();
}

}  // namespace

Result<Psi> parse_psi(std::string_view text) {
  Psi out;
  bool have_some = false;
  std::string_view line;
  while (next_line(text, line)) {
    std::string_view rest = line;
    const std::string_view kind = next_token(rest);
    if (kind.empty()) continue;
    if (kind == "some") {
      BRAID_RETURN_IF_ERROR(parse_psi_line(rest, line, out.some));
      have_some = true;
    } else if (kind == "full") {
      BRAID_RETURN_IF_ERROR(parse_psi_line(rest, line, out.full));
    } else {
      return invalid_argument("psi: unknown line '" + std::string(line) + "'");
    }
  }
  if (!have_some) return invalid_argument("psi: no 'some' line");
  return out;
}

PsiSource::PsiSource(const std::string& root, PsiResource resource, int refresh_every_samples)
    : resource_(resource),
      file_(rooted_path(root, resource == PsiResource::kCpu ? "/proc/pressure/cpu" : "/proc/pressure/memory")),
      refresh_every_samples_(std::max(1, refresh_every_samples)) {}

Status PsiSource::sample(ResourceVector& inout) {
  if (!have_ || ++samples_since_refresh_ >= refresh_every_samples_) {
    samples_since_refresh_ = 0;
    have_ = false;
    BRAID_ASSIGN_OR_RETURN(std::string_view text, file_.read());
    BRAID_ASSIGN_OR_RETURN(last_, parse_psi(text));
    have_ = true;
  }
  const Psi& psi = last_;
  if (resource_ == PsiResource::kCpu) {
    inout.cpu_pressure_some = psi.some.avg10;
    inout.cpu_pressure_full = psi.full.avg10;
  } else {
    inout.memory_pressure_some = psi.some.avg10;
    inout.memory_pressure_full = psi.full.avg10;
  }
  return Status::ok_status();
}

}  // namespace braid::detail
