// A minimal streaming JSON writer for braid-bench's reports: objects, arrays, strings
// (escaped), numbers (NaN and infinities become null) and booleans.
//
//   JsonWriter j(os);
//   j.begin_object().field("p50_ms", 1.25).key("modes").begin_array().value("static").end_array().end_object();
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string_view>
#include <vector>

namespace braid::bench {

class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& os) : os_(os) {}

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }
  // The next value belongs to `name` (inside an object).
  JsonWriter& key(std::string_view name) {
    separate();
    string(name);
    os_ << ':';
    after_key_ = true;
    return *this;
  }
  JsonWriter& value(std::string_view s) {
    separate();
    string(s);
    return *this;
  }
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b) {
    separate();
    os_ << (b ? "true" : "false");
    return *this;
  }
  JsonWriter& value(double x) {
    separate();
    if (!std::isfinite(x)) {
      os_ << "null";
    } else {
      // The shortest text that reads back as x: a trace's microsecond timestamps (1e7 after
      // ten seconds) keep their nanoseconds, where "%.6g" kept tens of microseconds.
      char buf[32];
      const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
      os_ << std::string_view(buf, ec == std::errc() ? static_cast<size_t>(end - buf) : 0);
    }
    return *this;
  }
  JsonWriter& value(int64_t n) {
    separate();
    os_ << n;
    return *this;
  }
  JsonWriter& value(uint64_t n) {
    separate();
    os_ << n;
    return *this;
  }
  JsonWriter& value(int n) { return value(static_cast<int64_t>(n)); }
  JsonWriter& value(uint32_t n) { return value(static_cast<uint64_t>(n)); }
  JsonWriter& null() {
    separate();
    os_ << "null";
    return *this;
  }
  template <class T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }
  // Every element of `v` as a JSON array.
  template <class T>
  JsonWriter& array(std::string_view name, const std::vector<T>& v) {
    key(name).begin_array();
    for (const T& x : v) value(x);
    return end_array();
  }

 private:
  JsonWriter& open(char c) {
    separate();
    os_ << c;
    first_.push_back(true);
    return *this;
  }
  JsonWriter& close(char c) {
    first_.pop_back();
    os_ << c;
    if (first_.size() <= 2) os_ << (first_.empty() ? "\n" : "");
    return *this;
  }
  // A comma before every element but the first of its container (none after a key).
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) os_ << ',';
    if (first_.size() <= 2) os_ << '\n' << (first_.size() == 2 ? "  " : "");
    first_.back() = false;
  }
  void string(std::string_view s) {
    os_ << '"';
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        os_ << '\\' << ch;
      } else if (c == '\n') {
        os_ << "\\n";
      } else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        os_ << buf;
      } else {
        os_ << ch;
      }
    }
    os_ << '"';
  }

  std::ostream& os_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace braid::bench
