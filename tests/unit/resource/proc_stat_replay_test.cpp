// Replays /proc/stat timelines captured on the 2-core build machine at a 10 ms period
// (tests/data/resource/replay, recorded by capture_stat_timeline.py) through
// ProcStatSource and the AvailabilityEstimator: the acceptance criterion "cores
// available drops from ~2 to ~1 within 3 sample periods of a CPU-bound process starting
// and comes back within 3 after it stops", deterministically and without flapping.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "resource/availability_estimator.h"
#include "resource/proc_stat_source.h"
#include "resource/text_file.h"
#include "resource_test_util.h"

namespace braid::detail {
namespace {

struct Block {
  int64_t t_ns = 0;
  int64_t own_ns = 0;
  std::string event;
  std::string stat;
};

std::vector<Block> load_timeline(const std::string& name) {
  auto text = read_whole_file(testing::resource_data("replay/" + name));
  EXPECT_TRUE(text.ok()) << text.status().to_string();
  std::vector<Block> blocks;
  std::istringstream in(text.ok() ? *text : std::string());
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("@ ", 0) == 0) {
      Block b;
      std::istringstream header(line.substr(2));
      header >> b.t_ns >> b.own_ns >> b.event;
      blocks.push_back(std::move(b));
    } else if (!blocks.empty()) {
      blocks.back().stat += line + "\n";
    }
  }
  return blocks;
}

struct Trace {
  std::vector<double> cores_available;
  int started = -1;
  int stopped = -1;
};

Trace replay(const std::string& name) {
  const std::vector<Block> blocks = load_timeline(name);
  testing::ScratchRoot root;
  size_t index = 0;
  ProcStatSourceOptions o;
  o.root = root.path();
  o.user_hz = 100;
  o.now_ns = [&] { return blocks[index].t_ns; };
  o.own_cpu_ns = [&] { return blocks[index].own_ns; };
  ProcStatSource source(o);
  AvailabilityEstimator estimator;
  Trace trace;
  const bool print = std::getenv("BRAID_PRINT_TRACE") != nullptr;
  for (index = 0; index < blocks.size(); ++index) {
    root.write("/proc/stat", blocks[index].stat);
    ResourceVector v;
    Status s = source.sample(v);
    EXPECT_TRUE(s.ok()) << s.to_string();
    estimator.update(v, std::nan(""));
    trace.cores_available.push_back(v.cores_available);
    if (blocks[index].event == "hog-started") trace.started = static_cast<int>(index);
    if (blocks[index].event == "hog-stopped") trace.stopped = static_cast<int>(index);
    if (print) {
      std::printf("%4zu %8.1f ms  cores_available %.2f  other_busy cpu0 %.2f cpu1 %.2f  %s\n", index,
                  (blocks[index].t_ns - blocks[0].t_ns) * 1e-6, v.cores_available, v.other_busy[0], v.other_busy[1],
                  blocks[index].event.c_str());
    }
  }
  return trace;
}

void expect_steps(const Trace& t) {
  ASSERT_GT(t.started, 5);
  ASSERT_GT(t.stopped, t.started + 10);
  const int n = static_cast<int>(t.cores_available.size());
  ASSERT_GT(n, t.stopped + 10);
  // Idle before the competitor, apart from other processes' real bursts: a burst that
  // lasts two periods is a step as far as any filter reacting within 2 periods can tell.
  int dips = 0;
  for (int i = 2; i < t.started; ++i) dips += t.cores_available[i] <= 1.7;
  EXPECT_LE(dips, (t.started - 2) / 10) << "more than 10% of the idle samples dip";
  // Within 3 periods of the start it reads ~1 and stays there: no flapping.
  for (int i = t.started + 3; i < t.stopped; ++i) {
    EXPECT_GT(t.cores_available[i], 0.7) << "sample " << i;
    EXPECT_LT(t.cores_available[i], 1.3) << "sample " << i;
  }
  // Within 3 periods of the stop it is back to ~2 and stays.
  for (int i = t.stopped + 3; i < n; ++i) EXPECT_GT(t.cores_available[i], 1.7) << "sample " << i;
  // How fast: the first sample reading ~1 after the start, ~2 after the stop.
  int on = t.started, off = t.stopped;
  while (on < n && t.cores_available[on] > 1.3) ++on;
  while (off < n && t.cores_available[off] < 1.7) ++off;
  std::printf("competitor seen %d samples after the first sample that followed its start, gone %d after its stop\n",
              on - t.started, off - t.stopped);
}

TEST(ProcStatReplay, PhaseLockedTicksFollowStepsWithin3Periods) { expect_steps(replay("stat_hog_10ms.txt")); }

TEST(ProcStatReplay, JitteringTicksAndMigrationDoNotFlap) { expect_steps(replay("stat_hog_jitter.txt")); }

}  // namespace
}  // namespace braid::detail
