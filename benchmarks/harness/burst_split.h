// The requests a bursty competitor's bursts land on. With --interference bursty:K:ON:OFF
// the latency tail is made of the requests in flight when a burst starts: the competitor
// wakes on a core where a thread working on the request runs, and the kernel gives it that
// core for a scheduler slice (milliseconds) while the work the thread holds waits.
// Requests that run inside a busy or an idle phase see one or two cores, steadily.
// Splitting the samples says which of the two a change moved, and how many requests the
// tail is made of.
#pragma once

#include <cstdint>
#include <vector>

#include "scenarios.h"

namespace braid::bench {

struct BurstSplit {
  int bursts = 0;                // burst starts inside the measured part
  std::vector<double> hit_ms;    // latencies of the requests in flight at a burst start
  std::vector<double> other_ms;  // every other request's
};

// `spans`: the measured requests (steady_clock ns); `starts`: the competitor's burst starts
// on the same clock, any order, any range (those outside the first request's start and the
// last one's end are not counted). A request is hit when a start lies in [start, end).
BurstSplit split_by_bursts(const std::vector<RequestSpan>& spans, std::vector<int64_t> starts);

}  // namespace braid::bench
