// The ORT side of braid-bench --compare that needs no ONNX Runtime: the reply parser of the
// serve protocol and the message when the peer is not installed.
#include "ort_peer.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

using namespace braid::bench;

TEST(OrtPeer, ParsesABlockReply) {
  auto b = parse_block_reply("ok 512 1250.44 1260.5 0.25 0.5 1.125");
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b->numel, 512);
  EXPECT_DOUBLE_EQ(b->sum, 1250.44);
  EXPECT_DOUBLE_EQ(b->sum_abs, 1260.5);
  ASSERT_EQ(b->ms.size(), 3u);
  EXPECT_DOUBLE_EQ(b->ms[2], 1.125);
}

TEST(OrtPeer, RejectsBrokenReplies) {
  for (const char* bad : {"", "err boom", "ok", "ok 1 2", "ok 1 2 3", "ok 1 2 3 0.5 x", "ko 1 2 3 0.5"})
    EXPECT_FALSE(parse_block_reply(bad).ok()) << "'" << bad << "'";
}

TEST(OrtPeer, MissingModuleSaysHowToInstallIt) {
  const char* old = getenv("BRAID_ORT_PREFIX");
  const std::string saved = old ? old : "";
  setenv("BRAID_ORT_PREFIX", "/nonexistent/braid-ort-prefix", 1);
  auto where = find_ort_peer();
  if (old) setenv("BRAID_ORT_PREFIX", saved.c_str(), 1);
  else unsetenv("BRAID_ORT_PREFIX");
  ASSERT_FALSE(where.ok());
  const std::string& m = where.status().message();
  // Either node is missing or the module is: both name the installer.
  EXPECT_NE(m.find("ensure_ort_peer"), std::string::npos) << m;
  EXPECT_NE(m.find("npm install --prefix /nonexistent/braid-ort-prefix --ignore-scripts onnxruntime-node@1.30.0"),
            std::string::npos)
      << m;
}

TEST(OrtPeer, ParsesAScenarioReply) {
  auto r = parse_scenario_reply("ok 0.512 1.5 2.25 3");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_DOUBLE_EQ(r->wall_s, 0.512);
  ASSERT_EQ(r->ms.size(), 3u);
  EXPECT_DOUBLE_EQ(r->ms[1], 2.25);
  for (const char* bad : {"", "err x", "ok", "ok 0.5", "ok -1 2", "ok 0.5 1 y"})
    EXPECT_FALSE(parse_scenario_reply(bad).ok()) << "'" << bad << "'";
}

TEST(OrtPeer, ReadsAProcessPeakRssByPid) {
  const int64_t peak = process_peak_rss_kib(getpid()), now = process_rss_kib(getpid());
  EXPECT_GT(now, 0);
  EXPECT_GE(peak, now);
  EXPECT_EQ(process_peak_rss_kib(-5), -1);
}

TEST(OrtPeer, ReadsAProcessCpuTimeByPid) {
  const double before = process_cpu_seconds(getpid());
  ASSERT_GE(before, 0);
  volatile double x = 0;  // about 0.1 s of work: several clock ticks
  for (long i = 0; i < 100000000L && process_cpu_seconds(getpid()) < before + 0.05; ++i)
    for (int k = 0; k < 1000; ++k) x = x + 1e-9 * k;
  EXPECT_GE(process_cpu_seconds(getpid()), before + 0.05);
  EXPECT_LT(process_cpu_seconds(-5), 0);
}
