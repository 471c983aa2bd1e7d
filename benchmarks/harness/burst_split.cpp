#include "burst_split.h"

#include <algorithm>

namespace braid::bench {

BurstSplit split_by_bursts(const std::vector<RequestSpan>& spans, std::vector<int64_t> starts) {
  BurstSplit out;
  if (spans.empty()) return out;
  int64_t first = spans.front().start_ns, last = spans.front().end_ns;
  for (const RequestSpan& s : spans) {
    first = std::min(first, s.start_ns);
    last = std::max(last, s.end_ns);
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::remove_if(starts.begin(), starts.end(), [&](int64_t t) { return t < first || t >= last; }),
               starts.end());
  out.bursts = static_cast<int>(starts.size());
  for (const RequestSpan& s : spans) {
    const double ms = static_cast<double>(s.end_ns - s.start_ns) * 1e-6;
    // The first burst start at or after the request's start: inside it when before its end.
    const auto it = std::lower_bound(starts.begin(), starts.end(), s.start_ns);
    (it != starts.end() && *it < s.end_ns ? out.hit_ms : out.other_ms).push_back(ms);
  }
  return out;
}

}  // namespace braid::bench
