// braid-bench --compare's element-wise output check (output_check.h): the parser of
// ort_serve.mjs's `outputs` reply and the comparison, with no ONNX Runtime needed.
#include "output_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

using namespace braid;
using namespace braid::bench;

namespace {

// What ort_serve.mjs sends for `values`: base64 of the raw little-endian bytes.
std::string base64(const void* data, size_t n) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = static_cast<const unsigned char*>(data);
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (i + 1 < n ? uint32_t{p[i + 1]} << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += i + 1 < n ? k[(v >> 6) & 63] : '=';
    out += i + 2 < n ? k[v & 63] : '=';
  }
  return out;
}

PeerOutput peer_f32(const std::string& name, const std::vector<float>& v) {
  PeerOutput o;
  o.name = name;
  o.dtype = "float32";
  o.numel = static_cast<int64_t>(v.size());
  o.bytes.assign(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  return o;
}

NamedTensors braid_f32(const std::string& name, const std::vector<float>& v) {
  NamedTensors out;
  out.emplace(name, Tensor::from_vector<float>({1, static_cast<int64_t>(v.size())}, v).value());
  return out;
}

}  // namespace

TEST(OutputCheck, ParsesTheOutputsReply) {
  const std::vector<float> v = {1.5f, -2.25f, 3.0f, 0.125f, 7.0f};  // 20 bytes: one '=' of padding
  const int64_t ids[2] = {4, -1};
  const std::string line = "ok out%3A0 float32 5 " + base64(v.data(), 20) + " idx int64 2 " + base64(ids, 16) +
                           " names string 1 -";
  auto r = parse_outputs_reply(line);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].name, "out:0");
  EXPECT_EQ((*r)[0].dtype, "float32");
  ASSERT_EQ((*r)[0].bytes.size(), 20u);
  float back[5];
  std::memcpy(back, (*r)[0].bytes.data(), 20);
  EXPECT_EQ(back[1], -2.25f);
  EXPECT_EQ(back[4], 7.0f);
  int64_t ids_back[2];
  ASSERT_EQ((*r)[1].bytes.size(), 16u);
  std::memcpy(ids_back, (*r)[1].bytes.data(), 16);
  EXPECT_EQ(ids_back[1], -1);
  EXPECT_TRUE((*r)[2].bytes.empty());
  for (const char* bad : {"", "err boom", "ok a float32", "ok a float32 x AAAA", "ok a float32 1 AA*A"})
    EXPECT_FALSE(parse_outputs_reply(bad).ok()) << "'" << bad << "'";
}

TEST(OutputCheck, EqualOutputsHaveNoError) {
  const std::vector<float> v = {0.5f, -4.0f, 2.0f};
  const OutputDiff d = diff_outputs(braid_f32("y", v), {peer_f32("y", v)});
  ASSERT_TRUE(d.comparable) << d.why;
  EXPECT_EQ(d.numel, 3);
  EXPECT_EQ(d.max_abs_err, 0);
  EXPECT_EQ(d.max_rel_err, 0);
}

TEST(OutputCheck, ErrorIsRelativeToTheOutputsLargestMagnitude) {
  // Summation-order noise passes; one element off by 1% of the peak fails.
  const std::vector<float> ort = {0.5f, -4.0f, 2.0f, 1e-3f};
  std::vector<float> close = ort;
  close[3] += 4.0f * 1e-6f;  // 100% of that element, 1e-6 of the output's peak
  OutputDiff d = diff_outputs(braid_f32("y", close), {peer_f32("y", ort)});
  ASSERT_TRUE(d.comparable);
  EXPECT_NEAR(d.max_abs_err, 4e-6, 1e-7);
  EXPECT_NEAR(d.max_rel_err, 1e-6, 1e-7);
  EXPECT_DOUBLE_EQ(d.max_magnitude, 4.0);
  EXPECT_LE(d.max_rel_err, kF32OutputTolerance);
  std::vector<float> wrong = ort;
  wrong[0] += 0.04f;
  d = diff_outputs(braid_f32("y", wrong), {peer_f32("y", ort)});
  ASSERT_TRUE(d.comparable);
  EXPECT_NEAR(d.max_rel_err, 0.01, 1e-6);
  EXPECT_GT(d.max_rel_err, kF32OutputTolerance);
  EXPECT_EQ(d.worst_output, "y");
}

TEST(OutputCheck, NanOnOneSideIsAnError) {
  std::vector<float> b = {1.0f, NAN};
  const OutputDiff d = diff_outputs(braid_f32("y", b), {peer_f32("y", {1.0f, 2.0f})});
  ASSERT_TRUE(d.comparable);
  EXPECT_GT(d.max_rel_err, kF32OutputTolerance);
}

TEST(OutputCheck, IntegerOutputsMustBeEqual) {
  NamedTensors b;
  b.emplace("idx", Tensor::from_vector<int64_t>({2}, {3, 7}).value());
  const int64_t same[2] = {3, 7}, other[2] = {3, 8};
  PeerOutput o{"idx", "int64", 2, std::string(reinterpret_cast<const char*>(same), 16)};
  EXPECT_EQ(diff_outputs(b, {o}).max_rel_err, 0);
  o.bytes.assign(reinterpret_cast<const char*>(other), 16);
  EXPECT_EQ(diff_outputs(b, {o}).max_rel_err, 1.0);
}

TEST(OutputCheck, DifferentOutputsAreNotComparable) {
  const std::vector<float> v = {1, 2, 3};
  EXPECT_FALSE(diff_outputs(braid_f32("y", v), {peer_f32("z", v)}).comparable);             // name
  EXPECT_FALSE(diff_outputs(braid_f32("y", v), {peer_f32("y", {1, 2})}).comparable);        // count
  EXPECT_FALSE(diff_outputs(braid_f32("y", v), {}).comparable);                             // number of outputs
  PeerOutput as_int = peer_f32("y", v);
  as_int.dtype = "int32";
  const OutputDiff d = diff_outputs(braid_f32("y", v), {as_int});                            // dtype
  EXPECT_FALSE(d.comparable);
  EXPECT_NE(d.why.find("int32"), std::string::npos) << d.why;
}
