#include "output_check.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

namespace braid::bench {
namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with '=' padding; false on any other character.
bool base64_decode(const std::string& in, std::string& out) {
  out.clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const int v = base64_value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

std::string uri_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

template <typename T>
void diff_floating(const Tensor& b, const std::string& ort_bytes, OutputDiff& d, const std::string& name) {
  const T* x = b.data<T>();
  const int64_t n = b.numel();
  double abs_err = 0, peak = 0;
  for (int64_t i = 0; i < n; ++i) {
    T o;
    std::memcpy(&o, ort_bytes.data() + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
    const double xo = static_cast<double>(o), xb = static_cast<double>(x[i]);
    peak = std::max(peak, std::fabs(xo));
    const double e = std::isnan(xo) && std::isnan(xb) ? 0.0 : std::fabs(xb - xo);
    abs_err = std::isnan(e) ? INFINITY : std::max(abs_err, e);
  }
  const double rel = abs_err == 0 ? 0.0 : abs_err / std::max(peak, 1e-30);
  d.max_abs_err = std::max(d.max_abs_err, abs_err);
  if (rel >= d.max_rel_err) {
    d.max_rel_err = rel;
    d.max_magnitude = peak;
    d.worst_output = name;
  }
}

}  // namespace

Result<std::vector<PeerOutput>> parse_outputs_reply(const std::string& line) {
  std::istringstream words(line);
  std::string ok;
  words >> ok;
  if (ok != "ok") return internal_error("bad reply to an outputs request: '" + line.substr(0, 200) + "'");
  std::vector<PeerOutput> outs;
  std::string name, dtype, numel, data;
  while (words >> name) {
    if (!(words >> dtype >> numel >> data)) return internal_error("truncated reply to an outputs request");
    PeerOutput o;
    o.name = uri_decode(name);
    o.dtype = dtype;
    try {
      o.numel = std::stoll(numel);
    } catch (...) {
      return internal_error("bad element count '" + numel + "' in an outputs reply");
    }
    if (data != "-" && !base64_decode(data, o.bytes)) return internal_error("bad base64 for output '" + o.name + "'");
    outs.push_back(std::move(o));
  }
  return outs;
}

OutputDiff diff_outputs(const NamedTensors& braid, const std::vector<PeerOutput>& ort) {
  OutputDiff d;
  if (braid.size() != ort.size()) {
    d.why = "Braid has " + std::to_string(braid.size()) + " outputs, ORT " + std::to_string(ort.size());
    return d;
  }
  for (const PeerOutput& o : ort) {
    auto it = braid.find(o.name);
    if (it == braid.end()) {
      d.why = "ORT's output '" + o.name + "' is not among Braid's";
      return d;
    }
    const Tensor& b = it->second;
    if (dtype_name(b.dtype()) != o.dtype) {
      d.why = "output '" + o.name + "': Braid " + dtype_name(b.dtype()) + ", ORT " + o.dtype;
      return d;
    }
    if (b.numel() != o.numel || (o.numel > 0 && b.byte_size() != o.bytes.size())) {
      d.why = "output '" + o.name + "': Braid " + std::to_string(b.numel()) + " elements, ORT " + std::to_string(o.numel);
      return d;
    }
    if (o.numel > 0 && o.bytes.empty()) {
      d.why = "output '" + o.name + "' (" + o.dtype + ") has no raw values to compare";
      return d;
    }
    d.numel += o.numel;
    if (b.dtype() == DataType::kFloat32) diff_floating<float>(b, o.bytes, d, o.name);
    else if (b.dtype() == DataType::kFloat64) diff_floating<double>(b, o.bytes, d, o.name);
    else if (o.numel > 0 && std::memcmp(b.raw_data(), o.bytes.data(), o.bytes.size()) != 0) {
      d.max_rel_err = std::max(d.max_rel_err, 1.0);  // integers and bools must be equal
      d.worst_output = o.name;
    }
  }
  d.comparable = true;
  return d;
}

}  // namespace braid::bench
