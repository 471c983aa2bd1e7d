#include "identity_model.h"

namespace braid::bench {
namespace {

// Protobuf wire format, just enough for identity_model().
void varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
std::string field_varint(int field, uint64_t v) {
  std::string out;
  varint(out, static_cast<uint64_t>(field) << 3);
  varint(out, v);
  return out;
}
std::string field_bytes(int field, const std::string& bytes) {
  std::string out;
  varint(out, (static_cast<uint64_t>(field) << 3) | 2);
  varint(out, bytes.size());
  return out + bytes;
}

}  // namespace

std::string identity_model(int64_t n) {
  auto value_info = [n](const std::string& name) {
    const std::string shape = field_bytes(1, field_varint(1, 1)) + field_bytes(1, field_varint(1, static_cast<uint64_t>(n)));
    const std::string tensor_type = field_varint(1, 1 /* FLOAT */) + field_bytes(2, shape);
    return field_bytes(1, name) + field_bytes(2, field_bytes(1, tensor_type));
  };
  const std::string node = field_bytes(1, "X") + field_bytes(2, "Y") + field_bytes(4, "Identity");
  const std::string graph = field_bytes(1, node) + field_bytes(2, "identity") + field_bytes(11, value_info("X")) +
                            field_bytes(12, value_info("Y"));
  return field_varint(1, 7) + field_bytes(7, graph) + field_bytes(8, field_varint(2, 13));
}

}  // namespace braid::bench
