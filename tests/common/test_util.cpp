#include "common/test_util.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>


namespace braid::testing {

std::string shared_models_dir() { return BRAID_SHARED_MODELS_DIR; }
std::string bundled_models_dir() { return BRAID_MODELS_DIR; }

void fill_random(Tensor& t, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  if (t.dtype() == DataType::kFloat32) {
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  } else if (t.dtype() == DataType::kInt64) {
    int64_t* p = t.data<int64_t>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<int64_t>(rng() % 7);
  } else {
    auto* p = static_cast<uint8_t*>(t.raw_data());
    for (size_t i = 0; i < t.byte_size(); ++i) p[i] = static_cast<uint8_t>(rng() % 3);
  }
}

namespace {
float half_to_float(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1F, man = h & 0x3FF;
  uint32_t bits;
  if (exp == 0) {
    if (man == 0) bits = sign;
    else {
      exp = 127 - 15 + 1;
      while ((man & 0x400) == 0) { man <<= 1; --exp; }
      bits = sign | (exp << 23) | ((man & 0x3FF) << 13);
    }
  } else if (exp == 31) bits = sign | 0x7F800000u | (man << 13);
  else bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
float bf16_to_float(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

double element_as_double(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kFloat32: return t.data<float>()[i];
    case DataType::kFloat64: return t.data<double>()[i];
    case DataType::kFloat16: return half_to_float(t.data<uint16_t>()[i]);
    case DataType::kBFloat16: return bf16_to_float(t.data<uint16_t>()[i]);
    default: return 0;
  }
}

bool is_float(DataType d) {
  return d == DataType::kFloat32 || d == DataType::kFloat64 || d == DataType::kFloat16 || d == DataType::kBFloat16;
}
}  // namespace

std::string compare_tensors(const Tensor& expected, const Tensor& actual, double rtol, double atol) {
  std::ostringstream os;
  if (expected.dtype() != actual.dtype()) {
    os << "dtype " << dtype_name(actual.dtype()) << " != expected " << dtype_name(expected.dtype());
    return os.str();
  }
  if (expected.shape() != actual.shape()) {
    os << "shape " << shape_to_string(actual.shape()) << " != expected " << shape_to_string(expected.shape());
    return os.str();
  }
  if (is_float(expected.dtype())) {
    int64_t bad = 0;
    for (int64_t i = 0; i < expected.numel(); ++i) {
      double e = element_as_double(expected, i), a = element_as_double(actual, i);
      bool ok = std::isnan(e) ? std::isnan(a)
                : std::isinf(e) ? a == e
                                : std::fabs(a - e) <= atol + rtol * std::fabs(e);
      if (!ok) {
        if (bad++ < 3) os << "[" << i << "] " << a << " != expected " << e << "; ";
      }
    }
    if (bad) os << bad << " of " << expected.numel() << " elements differ";
    return os.str();
  }
  if (std::memcmp(expected.raw_data(), actual.raw_data(), expected.byte_size()) != 0) {
    const size_t es = dtype_size(expected.dtype());
    for (int64_t i = 0; i < expected.numel(); ++i) {
      if (std::memcmp(static_cast<const char*>(expected.raw_data()) + i * es,
                      static_cast<const char*>(actual.raw_data()) + i * es, es) != 0) {
        os << "first difference at element " << i;
        break;
      }
    }
  }
  return os.str();
}

NamedTensors random_inputs(const Session& s, uint32_t seed, int64_t dynamic_dim) {
  NamedTensors in;
  for (const TensorInfo& info : s.inputs()) {
    Shape shape;
    for (int64_t d : info.shape) shape.push_back(d < 0 ? dynamic_dim : d);
    Tensor t = Tensor::empty(info.dtype, shape).value();
    fill_random(t, seed++);
    in[info.name] = t;
  }
  return in;
}

bool same_bits(const NamedTensors& a, const NamedTensors& b, std::string* which) {
  for (const auto& [name, t] : a) {
    auto it = b.find(name);
    if (it == b.end() || it->second.shape() != t.shape() || it->second.byte_size() != t.byte_size() ||
        std::memcmp(it->second.raw_data(), t.raw_data(), t.byte_size()) != 0) {
      if (which) *which = name;
      return false;
    }
  }
  if (a.size() != b.size() && which) *which = "(a different set of outputs)";
  return a.size() == b.size();
}

std::shared_ptr<Runtime> scripted_runtime(std::vector<FakeResourceSource::Step> timeline, int threads) {
  RuntimeOptions ro;
  ro.threads = threads;
  ro.monitor_machine = false;
  ro.calibrate = false;
  ro.monitor_period = std::chrono::milliseconds(1);
  auto rt = Runtime::create(ro);
  EXPECT_TRUE(rt.ok()) << rt.status().message();
  if (!rt.ok()) return nullptr;
  ResourceMonitor& monitor = (*rt)->monitor();
  EXPECT_TRUE(monitor.add_source(std::make_unique<FakeResourceSource>(std::move(timeline))).ok());
  // add_source and sampling hold one lock: every sample numbered after this count has it.
  const uint64_t before = monitor.samples_taken();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (monitor.current().sample_index <= before && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_GT(monitor.current().sample_index, before) << "the monitor published no sample with the scripted source";
  return *rt;
}

}  // namespace braid::testing
