// A host engine's own pipeline (decode, two independent heads, a merge) on Braid's scheduler.
#include <braid/braid.h>
#include <cstdio>
#include <vector>
int main() {
  std::vector<float> frame(1 << 16), left(frame.size()), right(frame.size());
  float merged = 0;
  braid::HostGraph g("pipeline");
  int decode = g.add("decode", [&](braid::HostTask&) {
    for (size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<float>(i % 255) / 255.0f;
    return braid::Status();
  });
  int a = g.add("left", [&](braid::HostTask&) {
    for (size_t i = 0; i < frame.size(); ++i) left[i] = frame[i] * 2.0f;
    return braid::Status();
  }, {decode}, {.flops = 65536, .bytes = 524288});  // a known cost; "right" has it learned
  int b = g.add("right", [&](braid::HostTask&) {
    for (size_t i = 0; i < frame.size(); ++i) right[i] = frame[i] + 1.0f;
    return braid::Status();
  }, {decode});
  g.add("merge", [&](braid::HostTask&) {
    for (size_t i = 0; i < frame.size(); ++i) merged += left[i] + right[i];
    return braid::Status();
  }, {a, b});
  auto session = braid::HostSession::create(std::move(g));
  if (!session.ok()) return std::printf("%s\n", session.status().to_string().c_str()), 1;
  if (auto r = session->run(); !r.ok()) return std::printf("%s\n", r.status().to_string().c_str()), 1;
  std::printf("merged = %.1f\n", merged);
  return merged > 0 ? 0 : 1;
}
