// libFuzzer target: bytes split on NUL into an argv for braid-bench ->
// braid::bench::parse_options, and every argument through parse_bytes and
// parse_interference (the size and interference strings of the harness CLI). Bad
// arguments must give a Status, never a crash, an exception or undefined behaviour.
#include "fuzz_targets.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bench_options.h"

namespace braid::fuzz {

int bench_args_one(const uint8_t* data, size_t size) {
  std::vector<std::string> args{"braid-bench"};
  std::string current;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  if (!current.empty()) args.push_back(current);
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);  // like main's argv
  auto options = braid::bench::parse_options(static_cast<int>(args.size()), argv.data());
  (void)options;
  for (size_t i = 1; i < args.size(); ++i) {
    (void)braid::bench::parse_bytes(args[i]);
    (void)braid::bench::parse_interference(args[i]);
  }
  return 0;
}

}  // namespace braid::fuzz

#ifndef BRAID_FUZZ_NO_ENTRY
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return braid::fuzz::bench_args_one(data, size);
}
#endif
