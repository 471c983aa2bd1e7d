// braid/log.h: Braid's messages go to stderr by default and never to stdout (which the
// host owns: braid-bench --serve's line protocol broke on a log line there), to a host's
// handler once one is set, and not at all below the handler's level.
#include "core/log.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace braid::detail {
namespace {

TEST(Log, DefaultIsOneLineOnStderrNothingOnStdout) {
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  log_warn("{}: shape inference failed ({})", "m.onnx", 3);
  log_info("resource monitor: {} available again", "psi_cpu");
  const std::string out = testing::internal::GetCapturedStdout();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out, "");
  EXPECT_EQ(err,
            "braid: warning: m.onnx: shape inference failed (3)\n"
            "braid: info: resource monitor: psi_cpu available again\n");
}

TEST(Log, HandlerGetsMessagesAtOrAboveItsLevelAndEmptyRestoresStderr) {
  std::vector<std::pair<LogLevel, std::string>> got;
  set_log_handler([&](LogLevel level, std::string_view m) { got.emplace_back(level, std::string(m)); },
                  LogLevel::kWarning);
  testing::internal::CaptureStderr();
  log_info("dropped {}", 1);
  log_warn("kept {}", 2);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, LogLevel::kWarning);
  EXPECT_EQ(got[0].second, "kept 2");

  set_log_handler(nullptr);
  testing::internal::CaptureStderr();
  log_info("back {}", 3);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "braid: info: back 3\n");
  EXPECT_EQ(got.size(), 1u);
}

}  // namespace
}  // namespace braid::detail
