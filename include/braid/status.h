// Status and Result<T>: the one error regime of Braid. Every fallible function returns
// one of these; exceptions never cross the public API.
//
//   braid::Result<braid::Session> s = braid::Session::load("model.onnx");
//   if (!s.ok()) std::cerr << s.status().message() << "\n";
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace braid {

// The closed set of error codes. Messages name the model, node, op and reason.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input from the caller: a wrong name, shape, dtype, file
  kUnsupportedOp,       // an op (or an op/dtype pair) Braid has no kernel for
  kUnsupportedHardware, // the CPU lacks a required feature
  kOutOfMemory,         // an allocation failed or the memory budget cannot fit a request
  kResourceExhausted,   // a bounded queue or buffer is full
  kCancelled,           // the request was cancelled or its deadline passed
  kInternal,            // a bug in Braid or a failure inside a kernel
};

// Short stable name of a code ("invalid_argument"). Thread-safe.
const char* status_code_name(StatusCode code) noexcept;

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return {}; }

  bool ok() const noexcept { return code_ == StatusCode::kOk; }
  StatusCode code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  // "invalid_argument: <message>", or "ok".
  std::string to_string() const;

  // Prefixes the message with context ("while loading m.onnx: ").
  Status with_context(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status unsupported_op(std::string m) { return {StatusCode::kUnsupportedOp, std::move(m)}; }
inline Status out_of_memory(std::string m) { return {StatusCode::kOutOfMemory, std::move(m)}; }
inline Status resource_exhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value or a non-ok Status (an expected-like type).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                       // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {                 // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) v_ = Status(StatusCode::kInternal, "Result built from an ok Status");
  }

  bool ok() const noexcept { return std::holds_alternative<T>(v_); }
  explicit operator bool() const noexcept { return ok(); }

  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { assert(ok()); return std::get<T>(v_); }
  const T& value() const& { assert(ok()); return std::get<T>(v_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace braid

// Returns early with the Status of `expr` when it is not ok.
#define BRAID_RETURN_IF_ERROR(expr)              \
  do {                                           \
    ::braid::Status braid_status_ = (expr);      \
    if (!braid_status_.ok()) return braid_status_; \
  } while (0)

#define BRAID_CONCAT_INNER_(a, b) a##b
#define BRAID_CONCAT_(a, b) BRAID_CONCAT_INNER_(a, b)
// `BRAID_ASSIGN_OR_RETURN(auto x, f());` declares x from a Result or returns its Status.
#define BRAID_ASSIGN_OR_RETURN(decl, expr)                                  \
  auto BRAID_CONCAT_(braid_result_, __LINE__) = (expr);                     \
  if (!BRAID_CONCAT_(braid_result_, __LINE__).ok())                         \
    return BRAID_CONCAT_(braid_result_, __LINE__).status();                 \
  decl = std::move(BRAID_CONCAT_(braid_result_, __LINE__)).value()
