#include "resource/psi_source.h"

#include <gtest/gtest.h>

#include <cmath>

#include "resource/text_file.h"
#include "resource_test_util.h"

namespace braid::detail {
namespace {

using testing::resource_data;

TEST(PsiParser, FilesTableDriven) {
  struct Case {
    const char* file;
    bool ok;
    double some10;
    double full10;  // NaN = absent
  };
  const double nan = std::nan("");
  const Case cases[] = {
      {"this_machine/proc/pressure/cpu", true, -1, -1},
      {"this_machine/proc/pressure/memory", true, -1, -1},
      {"v2_limited/proc/pressure/cpu", true, 12.5, 3.25},
      {"hostile/psi.cpu_some_only", true, 1.5, nan},
      {"hostile/psi.over_100", false, 0, 0},
      {"hostile/psi.unknown_line", false, 0, 0},
      {"hostile/psi.no_some", false, 0, 0},
      {"hostile_garbage/proc/pressure/cpu", false, 0, 0},
      {"hostile_garbage/proc/pressure/memory", false, 0, 0},
      {"hostile_truncated/proc/pressure/cpu", false, 0, 0},
      {"hostile_truncated/proc/pressure/memory", false, 0, 0},
  };
  for (const Case& c : cases) {
    auto text = read_whole_file(resource_data(c.file));
    ASSERT_TRUE(text.ok()) << c.file;
    auto p = parse_psi(*text);
    EXPECT_EQ(p.ok(), c.ok) << c.file << ": " << p.status().to_string();
    if (!c.ok || !p.ok()) continue;
    if (c.some10 >= 0) { EXPECT_DOUBLE_EQ(p->some.avg10, c.some10) << c.file; }
    if (std::isnan(c.full10)) { EXPECT_TRUE(std::isnan(p->full.avg10)) << c.file; }
    if (c.full10 >= 0) { EXPECT_DOUBLE_EQ(p->full.avg10, c.full10) << c.file; }
    EXPECT_GE(p->some.avg10, 0) << c.file;
    EXPECT_GE(p->some.total_us, 0) << c.file;
  }
}

TEST(PsiSource, WritesItsOwnFieldsOnly) {
  PsiSource cpu(resource_data("v2_limited"), PsiResource::kCpu);
  PsiSource memory(resource_data("v2_limited"), PsiResource::kMemory);
  ResourceVector v;
  ASSERT_TRUE(cpu.sample(v).ok());
  EXPECT_DOUBLE_EQ(v.cpu_pressure_some, 12.5);
  EXPECT_DOUBLE_EQ(v.cpu_pressure_full, 3.25);
  EXPECT_TRUE(std::isnan(v.memory_pressure_some));
  ASSERT_TRUE(memory.sample(v).ok());
  EXPECT_DOUBLE_EQ(v.memory_pressure_some, 0.75);
  EXPECT_DOUBLE_EQ(v.memory_pressure_full, 0.25);
  EXPECT_EQ(cpu.kind(), ResourceSourceKind::kPsiCpu);
  EXPECT_EQ(memory.kind(), ResourceSourceKind::kPsiMemory);
}

TEST(PsiSource, RereadsEveryNSamplesAndRetriesFailuresAtOnce) {
  testing::ScratchRoot root;
  root.write("/proc/pressure/cpu", "some avg10=1.00 avg60=0 avg300=0 total=1\n");
  PsiSource s(root.path(), PsiResource::kCpu, /*refresh_every_samples=*/3);
  ResourceVector v;
  ASSERT_TRUE(s.sample(v).ok());
  EXPECT_EQ(v.cpu_pressure_some, 1.0);
  root.write("/proc/pressure/cpu", "some avg10=2.00 avg60=0 avg300=0 total=1\n");
  ASSERT_TRUE(s.sample(v).ok());
  ASSERT_TRUE(s.sample(v).ok());
  EXPECT_EQ(v.cpu_pressure_some, 1.0);  // cached
  ASSERT_TRUE(s.sample(v).ok());
  EXPECT_EQ(v.cpu_pressure_some, 2.0);  // re-read
  root.write("/proc/pressure/cpu", "garbage\n");
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(s.sample(v).ok());
  EXPECT_FALSE(s.sample(v).ok());  // due: the garbage is seen
  root.write("/proc/pressure/cpu", "some avg10=3.00 avg60=0 avg300=0 total=1\n");
  ResourceVector w;
  ASSERT_TRUE(s.sample(w).ok());  // retried on the very next sample
  EXPECT_EQ(w.cpu_pressure_some, 3.0);
}

TEST(PsiSource, MachineWithoutPsiFails) {
  // v1_limited has no /proc/pressure at all (kernel < 4.20 or psi=0).
  PsiSource cpu(resource_data("v1_limited"), PsiResource::kCpu);
  ResourceVector v;
  EXPECT_FALSE(cpu.sample(v).ok());
  EXPECT_TRUE(std::isnan(v.cpu_pressure_some));
}

}  // namespace
}  // namespace braid::detail
