#include "resource/text_scan.h"

#include <gtest/gtest.h>

#include "resource/text_file.h"
#include "resource_test_util.h"

namespace braid::detail {
namespace {

TEST(TextScan, LinesIncludeAnUnterminatedLastLine) {
  std::string_view text = "a b\n\nc", line;
  std::vector<std::string> lines;
  while (next_line(text, line)) lines.emplace_back(line);
  EXPECT_EQ(lines, (std::vector<std::string>{"a b", "", "c"}));
}

TEST(TextScan, TokensSkipSpacesAndTabs) {
  std::string_view text = "  cpu0\t 1  2 ";
  EXPECT_EQ(next_token(text), "cpu0");
  EXPECT_EQ(next_token(text), "1");
  EXPECT_EQ(next_token(text), "2");
  EXPECT_EQ(next_token(text), "");
}

TEST(TextScan, NumbersMustBeWholeTokens) {
  struct Case {
    const char* text;
    bool ok;
    int64_t value;
  };
  for (const Case& c : {Case{"42", true, 42}, Case{"-1", true, -1}, Case{"", false, 0}, Case{"4x", false, 0},
                        Case{" 4", false, 0}, Case{"99999999999999999999", false, 0}, Case{"+3", false, 0}}) {
    auto v = parse_int64(c.text);
    EXPECT_EQ(v.has_value(), c.ok) << c.text;
    if (c.ok && v) { EXPECT_EQ(*v, c.value) << c.text; }
  }
  EXPECT_FALSE(parse_uint64("-1").has_value());
  EXPECT_EQ(parse_uint64("18446744073709551615").value(), 18446744073709551615ull);
  EXPECT_DOUBLE_EQ(parse_double("0.19").value(), 0.19);
  EXPECT_FALSE(parse_double("0.19x").has_value());
  EXPECT_FALSE(parse_double("").has_value());
}

TEST(TextScan, CpuListsFollowTheKernelFormat) {
  struct Case {
    const char* text;
    bool ok;
    std::vector<int> ids;
  };
  const Case cases[] = {
      {"0-1\n", true, {0, 1}},        {"0", true, {0}},           {"0-3,8,10-11", true, {0, 1, 2, 3, 8, 10, 11}},
      {"", true, {}},                 {"\n", true, {}},           {"3-1", false, {}},
      {"0-", false, {}},              {"banana", false, {}},      {"1,,2", false, {}},
      {"-1", false, {}},              {"0-99999999", false, {}},  {"2,1,1", true, {1, 2}},
  };
  for (const Case& c : cases) {
    auto ids = parse_cpu_list(c.text);
    EXPECT_EQ(ids.has_value(), c.ok) << '"' << c.text << '"';
    if (c.ok && ids) { EXPECT_EQ(*ids, c.ids) << c.text; }
  }
}

TEST(TextFile, RereadsChangedContentThroughTheSameDescriptor) {
  testing::ScratchRoot root;
  root.write("/f", "one\n");
  TextFile f(root.path() + "/f");
  auto a = f.read();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, "one\n");
  root.write("/f", std::string(10000, 'x'));  // larger than the first buffer
  auto b = f.read();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->size(), 10000u);
}

TEST(TextFile, MissingFileIsAnErrorNamingThePath) {
  TextFile f("/nonexistent/braid/file");
  auto r = f.read();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/braid/file"), std::string::npos);
}

TEST(TextFile, RootedPathJoinsWithoutDoubleSlashes) {
  EXPECT_EQ(rooted_path("", "/proc/stat"), "/proc/stat");
  EXPECT_EQ(rooted_path("/tmp/root/", "/proc/stat"), "/tmp/root/proc/stat");
  EXPECT_EQ(rooted_path("/tmp/root", "proc/stat"), "/tmp/root/proc/stat");
}

}  // namespace
}  // namespace braid::detail
