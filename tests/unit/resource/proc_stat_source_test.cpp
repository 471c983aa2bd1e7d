#include "resource/proc_stat_source.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "resource/text_file.h"
#include "resource_test_util.h"

namespace braid::detail {
namespace {

using testing::resource_data;
using testing::ScratchRoot;

std::string stat_text(std::initializer_list<std::array<uint64_t, 3>> cpus) {
  // {busy user ticks, idle ticks, steal ticks} per CPU.
  std::string s = "cpu  0 0 0 0 0 0 0 0 0 0\n";
  int id = 0;
  for (const auto& c : cpus) {
    s += "cpu" + std::to_string(id++) + " " + std::to_string(c[0]) + " 0 0 " + std::to_string(c[1]) + " 0 0 0 " +
         std::to_string(c[2]) + " 0 0\n";
  }
  return s + "intr 0\nprocs_running 1\nprocs_blocked 0\n";
}

TEST(ProcStatParser, ParsesFilesTableDriven) {
  struct Case {
    std::string file;
    bool ok;
    size_t cpus;
  };
  const Case cases[] = {
      {"this_machine/proc/stat", true, 2},
      {"hostile/stat.old_kernel_4_columns", true, 2},
      {"hostile/stat.future_12_columns", true, 1},
      {"hostile/stat.no_cpus", false, 0},
      {"hostile/stat.duplicate_cpu", false, 0},
      {"hostile/stat.negative", false, 0},
      {"hostile/stat.bad_cpu_id", false, 0},
      {"hostile_garbage/proc/stat", false, 0},
      {"hostile_truncated/proc/stat", false, 0},
  };
  for (const Case& c : cases) {
    auto text = read_whole_file(resource_data(c.file));
    ASSERT_TRUE(text.ok()) << text.status().to_string();
    ProcStat stat;
    Status s = parse_proc_stat(*text, stat);
    EXPECT_EQ(s.ok(), c.ok) << c.file << ": " << s.to_string();
    if (c.ok) { EXPECT_EQ(stat.cpus.size(), c.cpus) << c.file; }
  }
}

TEST(ProcStatParser, ReadsEveryColumnOfTheCapturedFile) {
  auto text = read_whole_file(resource_data("this_machine/proc/stat"));
  ASSERT_TRUE(text.ok());
  ProcStat stat;
  ASSERT_TRUE(parse_proc_stat(*text, stat).ok());
  EXPECT_EQ(stat.cpus[0].cpu, 0);
  EXPECT_EQ(stat.cpus[1].cpu, 1);
  EXPECT_GT(stat.all.idle, 0u);
  EXPECT_GE(stat.procs_running, 1);
  // The aggregate is converted to ticks separately, so it may round differently.
  EXPECT_NEAR(static_cast<double>(stat.all.user), static_cast<double>(stat.cpus[0].user + stat.cpus[1].user), 2);
}

TEST(ProcStatParser, OldKernelsMissingColumnsReadAsZero) {
  ProcStat stat;
  ASSERT_TRUE(parse_proc_stat("cpu 1 2 3 4\ncpu0 1 2 3 4\n", stat).ok());
  EXPECT_EQ(stat.cpus[0].idle, 4u);
  EXPECT_EQ(stat.cpus[0].steal, 0u);
  EXPECT_EQ(stat.cpus[0].busy(), 6u);
}

struct Replay {
  ScratchRoot root;
  int64_t now_ns = 0;
  int64_t own_ns = 0;
  std::unique_ptr<ProcStatSource> source;

  explicit Replay(int window = 1, std::optional<bool> count_niced = std::nullopt) {
    ProcStatSourceOptions o;
    o.count_niced = count_niced;
    o.root = root.path();
    o.window_intervals = window;
    o.user_hz = 100;
    o.now_ns = [this] { return now_ns; };
    o.own_cpu_ns = [this] { return own_ns; };
    source = std::make_unique<ProcStatSource>(o);
  }
  // Writes the file, advances the clocks and samples into a fresh vector.
  Result<ResourceVector> step(const std::string& stat, int64_t dt_ms, int64_t own_ms,
                              std::initializer_list<int> allowed = {}) {
    root.write("/proc/stat", stat);
    now_ns += dt_ms * 1'000'000;
    own_ns += own_ms * 1'000'000;
    ResourceVector v;
    for (int c : allowed) v.set_core_allowed(c, true);
    Status s = source->sample(v);
    if (!s.ok()) return s;
    return v;
  }
};

TEST(ProcStatSource, FirstSampleIsOnlyABaseline) {
  Replay r;
  auto v = r.step(stat_text({{0, 0, 0}, {0, 0, 0}}), 0, 0);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->cores_total, 2);
  EXPECT_EQ(v->allowed_core_count(), 2);
  EXPECT_EQ(v->core_count, 0);
  EXPECT_TRUE(std::isnan(v->cores_used_by_others));
}

TEST(ProcStatSource, OtherLoadIsBusyTimeOverWallTime) {
  Replay r;
  ASSERT_TRUE(r.step(stat_text({{0, 0, 0}, {0, 0, 0}}), 0, 0).ok());
  // 100 ms later: cpu0 busy 10 ticks (100%), cpu1 busy 5 ticks (50%), 2 of them stolen.
  auto v = r.step(stat_text({{10, 0, 2}, {5, 5, 0}}), 100, 0);
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_EQ(v->core_count, 2);
  // busy() counts steal: cpu0 = 10 user + 2 steal ticks, clamped to the 100 ms window.
  EXPECT_NEAR(v->other_busy[0], 1.0, 1e-6);
  EXPECT_NEAR(v->other_busy[1], 0.5, 1e-6);
  EXPECT_NEAR(v->cores_used_by_others, 1.5, 1e-6);
  EXPECT_NEAR(v->steal_fraction, 0.1, 1e-6);
  EXPECT_NEAR(v->cores_used_by_braid, 0.0, 1e-9);
}

// A niced batch job (the "nice" column) does not compete with a Braid at normal priority:
// CFS gives its core to us whenever we want it. A niced Braid counts it.
TEST(ProcStatSource, NicedLoadCountsOnlyForANicedBraid) {
  // user, nice, system, idle per CPU: cpu0 runs a nice-19 job all the time, cpu1 half
  // normal-priority load.
  auto text = [](uint64_t t) {
    return "cpu  0 0 0 0 0 0 0 0 0 0\ncpu0 0 " + std::to_string(t) + " 0 0 0 0 0 0 0 0\ncpu1 " +
           std::to_string(t / 2) + " 0 0 " + std::to_string(t / 2) + " 0 0 0 0 0 0\nintr 0\nprocs_running 1\n";
  };
  for (bool niced : {false, true}) {
    Replay r(1, niced);
    ASSERT_TRUE(r.step(text(0), 0, 0).ok());
    auto v = r.step(text(10), 100, 0);
    ASSERT_TRUE(v.ok()) << v.status().to_string();
    EXPECT_NEAR(v->other_busy[0], niced ? 1.0 : 0.0, 1e-6);
    EXPECT_NEAR(v->other_busy[1], 0.5, 1e-6);
    EXPECT_NEAR(v->cores_used_by_others, niced ? 1.5 : 0.5, 1e-6);
  }
}

TEST(ProcStatSource, OwnCpuTimeIsSubtractedInProportion) {
  Replay r;
  ASSERT_TRUE(r.step(stat_text({{0, 0, 0}, {0, 0, 0}}), 0, 0).ok());
  // Busy 1.5 cores in total, of which 0.5 is ours.
  auto v = r.step(stat_text({{10, 0, 0}, {5, 5, 0}}), 100, 50);
  ASSERT_TRUE(v.ok());
  EXPECT_NEAR(v->cores_used_by_braid, 0.5, 1e-6);
  EXPECT_NEAR(v->cores_used_by_others, 1.0, 1e-6);
  EXPECT_NEAR(v->other_busy[0], 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(v->other_busy[1], 1.0 / 3.0, 1e-6);
}

TEST(ProcStatSource, OwnTimeAboveTickTimeClampsOthersAtZero) {
  Replay r;
  ASSERT_TRUE(r.step(stat_text({{0, 0, 0}, {0, 0, 0}}), 0, 0).ok());
  auto v = r.step(stat_text({{1, 9, 0}, {0, 10, 0}}), 100, 30);  // ticks missed some of our time
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->cores_used_by_others, 0.0);
  EXPECT_EQ(v->other_busy[0], 0.0f);
}

TEST(ProcStatSource, OnlyAllowedCpusCountTowardsOthers) {
  Replay r;
  ASSERT_TRUE(r.step(stat_text({{0, 0, 0}, {0, 0, 0}}), 0, 0, {1}).ok());
  auto v = r.step(stat_text({{10, 0, 0}, {2, 8, 0}}), 100, 0, {1});
  ASSERT_TRUE(v.ok());
  EXPECT_NEAR(v->cores_used_by_others, 0.2, 1e-6);  // cpu0's hog is not in our way
  EXPECT_NEAR(v->other_busy[0], 1.0, 1e-6);         // but it is still shown per core
}

TEST(ProcStatSource, CountersGoingBackwardsOrNewCpusAreSkipped) {
  Replay r;
  ASSERT_TRUE(r.step(stat_text({{50, 0, 0}, {0, 0, 0}}), 0, 0).ok());
  // cpu0 went backwards (hotplug reset), cpu2 just came online.
  auto v = r.step(stat_text({{10, 0, 0}, {10, 0, 0}, {10, 0, 0}}), 100, 0);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->core_count, 3);
  EXPECT_EQ(v->other_busy[0], 0.0f);
  EXPECT_NEAR(v->other_busy[1], 1.0, 1e-6);
  EXPECT_EQ(v->other_busy[2], 0.0f);
  EXPECT_NEAR(v->cores_used_by_others, 1.0, 1e-6);
}

std::string with_running(std::string stat, int running) {
  const std::string key = "procs_running 1\n";
  return stat.replace(stat.find(key), key.size(), "procs_running " + std::to_string(running) + "\n");
}

// others_runnable = procs_running minus this process's threads in state R, at most the
// CPUs; unknown without a task list or when an affinity mask hides CPUs.
TEST(ProcStatSource, RunQueueCountsOtherProcessesRunnableThreads) {
  Replay r;
  auto task = [](char state) { return "7 (braid) " + std::string(1, state) + " 1 2 3\n"; };
  const std::string idle = stat_text({{0, 0, 0}, {0, 0, 0}});
  auto missing = r.step(with_running(idle, 3), 0, 0);
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(std::isnan(missing->others_runnable));  // no /proc/self/task: given up

  Replay q;
  q.root.write("/proc/self/task/7/stat", task('R'));
  q.root.write("/proc/self/task/8/stat", task('S'));
  q.root.write("/proc/self/task/9/stat", task('R'));
  auto a = q.step(with_running(idle, 3), 0, 0);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->others_runnable, 1.0);  // 3 runnable, 2 of them ours
  auto b = q.step(with_running(idle, 9), 10, 0);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->others_runnable, 2.0);  // 7 others on 2 CPUs: both busy
  q.root.write("/proc/self/task/9/stat", task('S'));
  auto c = q.step(with_running(idle, 1), 10, 0);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->others_runnable, 0.0);
  auto d = q.step(with_running(idle, 3), 10, 0, {1});  // only cpu1 is ours
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(std::isnan(d->others_runnable));
}

TEST(ProcStatSource, RatesSpanTheConfiguredWindow) {
  Replay r(/*window=*/2);
  ASSERT_TRUE(r.step(stat_text({{0, 0, 0}}), 0, 0).ok());
  auto a = r.step(stat_text({{0, 1, 0}}), 10, 0);   // idle interval
  auto b = r.step(stat_text({{1, 1, 0}}), 10, 0);   // busy interval: window = 1 of 2 busy
  auto c = r.step(stat_text({{2, 1, 0}}), 10, 0);   // window = 2 of 2 busy
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_NEAR(a->other_busy[0], 0.0, 1e-6);
  EXPECT_NEAR(b->other_busy[0], 0.5, 1e-6);
  EXPECT_NEAR(c->other_busy[0], 1.0, 1e-6);
}

TEST(ProcStatSource, MissingOrGarbageFileFailsWithoutTouchingTheVector) {
  ProcStatSourceOptions o;
  o.root = resource_data("missing");
  ProcStatSource missing(o);
  ResourceVector v;
  EXPECT_FALSE(missing.sample(v).ok());
  o.root = resource_data("hostile_garbage");
  ProcStatSource garbage(o);
  EXPECT_FALSE(garbage.sample(v).ok());
  EXPECT_TRUE(std::isnan(v.cores_total));
  EXPECT_EQ(v.allowed_core_count(), 0);
}

TEST(ProcStatSource, ReadsTheLiveMachine) {
  ProcStatSource source;
  ResourceVector v1, v2;
  ASSERT_TRUE(source.sample(v1).ok());
  usleep(30000);
  ASSERT_TRUE(source.sample(v2).ok());
  EXPECT_GE(v2.cores_total, 1);
  EXPECT_GE(v2.cores_used_by_others, 0);
  EXPECT_LE(v2.cores_used_by_others, v2.cores_total);
}

}  // namespace
}  // namespace braid::detail
