// libFuzzer target: bytes -> a random HostGraph (subgraph count, dependency ids including
// invalid ones, tensor names read and written, costs, variants, callables that succeed,
// fail, throw or leave an output unset) -> HostSession::create and, when it is accepted,
// one run in the mode the bytes pick. Invalid graphs must be rejected with a Status and
// valid ones must run to completion (or fail that request only), never crash or hang.
#include "fuzz_targets.h"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "braid/host_graph.h"
#include "fuzz_common.h"

namespace {

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t next() { return pos_ < size_ ? data_[pos_++] : 0; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

constexpr int kTensorNames = 6;

std::string tensor_name(uint8_t b) { return "t" + std::to_string(b % kTensorNames); }

braid::HostFn make_fn(uint8_t behaviour, size_t outputs) {
  switch (behaviour % 8) {
    case 0: return [](braid::HostTask&) { return braid::Status(braid::StatusCode::kInternal, "fuzz: failing subgraph"); };
    case 1: return [](braid::HostTask&) -> braid::Status { throw std::runtime_error("fuzz: throwing subgraph"); };
    case 2: return [](braid::HostTask&) { return braid::Status(); };  // leaves its outputs unset
    case 3: return nullptr;                                           // create must reject it
    default:
      return [outputs](braid::HostTask& t) {
        for (size_t i = 0; i < outputs; ++i) {
          auto z = braid::Tensor::zeros(braid::DataType::kFloat32, {1});
          if (!z.ok()) return z.status();
          t.set_output(i, std::move(z).value());
        }
        return braid::Status();
      };
  }
}

}  // namespace

namespace braid::fuzz {

int host_graph_one(const uint8_t* data, size_t size) {
  ByteReader in(data, size);
  const int n = 1 + in.next() % 12;
  braid::HostSessionOptions options;
  options.mode = static_cast<braid::ExecutionMode>(in.next() % 3);
  options.threads = 1 + in.next() % 2;
  options.runtime = braid::fuzz::fuzz_runtime();
  const uint8_t precision = in.next();
  options.precision = static_cast<braid::PrecisionMode>(precision % 4);  // f32, bf16, int8, adaptive
  braid::HostGraph graph("fuzz");
  for (int i = 0; i < n; ++i) {
    braid::HostSubgraph s;
    s.name = "s" + std::to_string(i);
    for (int d = in.next() % 4; d > 0; --d) s.after.push_back(static_cast<int>(in.next() % (n + 2)) - 1);
    for (int k = in.next() % 3; k > 0; --k) s.inputs.push_back(tensor_name(in.next()));
    for (int k = in.next() % 3; k > 0; --k) s.outputs.push_back(tensor_name(in.next()));
    const uint8_t behaviour = in.next();
    s.fn = make_fn(behaviour, s.outputs.size());
    s.cost.flops = static_cast<int8_t>(in.next()) * 1e6;
    s.cost.bytes = static_cast<int8_t>(in.next()) * 1e5;
    s.cost.memory_bytes = static_cast<int8_t>(in.next()) * 1e5;
    s.critical = (behaviour & 0x80) != 0;
    if (behaviour & 0x40)
      s.variants.push_back({static_cast<braid::Precision>(1 + (behaviour >> 3) % 2), make_fn(4, s.outputs.size())});
    graph.add(std::move(s));
  }
  braid::NamedTensors inputs;
  const uint8_t given = in.next();
  for (int k = 0; k < kTensorNames; ++k)
    if (given & (1u << k)) inputs.emplace("t" + std::to_string(k), braid::Tensor::zeros(braid::DataType::kFloat32, {2}).value());
  auto session = braid::HostSession::create(std::move(graph), options);
  if (!session.ok()) return 0;
  auto out = session.value().run(inputs);
  (void)out;
  return 0;
}

}  // namespace braid::fuzz

#ifndef BRAID_FUZZ_NO_ENTRY
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return braid::fuzz::host_graph_one(data, size);
}
#endif
