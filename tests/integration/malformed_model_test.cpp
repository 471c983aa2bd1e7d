// Malformed models get a clear error from Session load, never a crash.
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "braid/session.h"
#include "model_builder/model_builder.h"

using namespace braid;
namespace mg = braid::modelgen;

namespace {

onnx::ModelProto valid_model() {
  mg::GraphBuilder g("m", 3);
  g.input("x", mg::DType::kFloat, {1, 4});
  std::string y = g.op("Relu", {"x"});
  g.output(g.rename(y, "y"), mg::DType::kFloat, {1, 4});
  onnx::ModelProto m = g.finish(13);
  EXPECT_TRUE(g.ok()) << g.error();
  return m;
}

Status load_bytes(const std::string& bytes) {
  auto s = Session::load_from_memory(bytes.data(), bytes.size());
  return s.ok() ? Status() : s.status();
}

Status load_proto(const onnx::ModelProto& m) { return load_bytes(m.SerializeAsString()); }

void expect_error(const Status& s, StatusCode code, const std::string& needle) {
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.to_string();
}

}  // namespace

TEST(MalformedModel, ValidModelLoads) { EXPECT_TRUE(load_proto(valid_model()).ok()); }

TEST(MalformedModel, TruncatedAtEveryLengthNeverCrashes) {
  std::string bytes = valid_model().SerializeAsString();
  for (size_t len = 0; len < bytes.size(); ++len) {
    Status s = load_bytes(bytes.substr(0, len));
    // Some prefixes happen to be valid protobuf; all must fail (no graph / no output).
    EXPECT_FALSE(s.ok()) << "prefix of " << len << " bytes loaded";
  }
}

TEST(MalformedModel, GarbageBytes) {
  std::string junk(4096, '\0');
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 2654435761u) >> 13);
  expect_error(load_bytes(junk), StatusCode::kInvalidArgument, "");
  expect_error(load_bytes(""), StatusCode::kInvalidArgument, "empty");
}

TEST(MalformedModel, MissingFileAndDirectory) {
  auto s = Session::load("/nonexistent/model.onnx");
  expect_error(s.status(), StatusCode::kInvalidArgument, "/nonexistent/model.onnx");
  auto d = Session::load("/tmp");
  EXPECT_FALSE(d.ok());
}

TEST(MalformedModel, NodeWithMissingInput) {
  onnx::ModelProto m = valid_model();
  m.mutable_graph()->mutable_node(0)->set_input(0, "nowhere");
  expect_error(load_proto(m), StatusCode::kInvalidArgument, "nowhere");
}

TEST(MalformedModel, UnknownOpNamesOpAndNode) {
  onnx::ModelProto m = valid_model();
  auto* node = m.mutable_graph()->mutable_node(0);
  node->set_op_type("FrobnicateXYZ");
  node->set_domain("com.example");
  node->set_name("the_node");
  auto* op = m.add_opset_import();
  op->set_domain("com.example");
  op->set_version(1);
  Status s = load_proto(m);
  expect_error(s, StatusCode::kUnsupportedOp, "FrobnicateXYZ");
  EXPECT_NE(s.message().find("the_node"), std::string::npos) << s.to_string();
}

TEST(MalformedModel, UnsupportedOpset) {
  onnx::ModelProto m = valid_model();
  m.mutable_opset_import(0)->set_version(99);
  expect_error(load_proto(m), StatusCode::kUnsupportedOp, "opset 99");
}

TEST(MalformedModel, InitializerWithWrongByteCount) {
  onnx::ModelProto m = valid_model();
  auto* init = m.mutable_graph()->add_initializer();
  init->set_name("w");
  init->set_data_type(onnx::TensorProto::FLOAT);
  init->add_dims(1000);
  init->set_raw_data(std::string(12, 'a'));
  expect_error(load_proto(m), StatusCode::kInvalidArgument, "w");
}

TEST(MalformedModel, OverflowingShape) {
  onnx::ModelProto m = valid_model();
  auto* init = m.mutable_graph()->add_initializer();
  init->set_name("huge");
  init->set_data_type(onnx::TensorProto::FLOAT);
  for (int i = 0; i < 4; ++i) init->add_dims(int64_t{1} << 20);
  Status s = load_proto(m);
  ASSERT_FALSE(s.ok());
}

TEST(MalformedModel, ExternalDataMustStayInsideTheModelDirectory) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "braid_malformed_ext";
  fs::create_directories(dir);
  for (const char* location : {"../secret.bin", "/etc/passwd", "sub/../../x.bin"}) {
    onnx::ModelProto m = valid_model();
    auto* init = m.mutable_graph()->add_initializer();
    init->set_name("ext");
    init->set_data_type(onnx::TensorProto::FLOAT);
    init->add_dims(4);
    init->set_data_location(onnx::TensorProto::EXTERNAL);
    auto* kv = init->add_external_data();
    kv->set_key("location");
    kv->set_value(location);
    fs::path file = dir / "model.onnx";
    std::ofstream(file, std::ios::binary) << m.SerializeAsString();
    auto s = Session::load(file.string());
    ASSERT_FALSE(s.ok()) << location;
  }
  // A symlink that points outside is refused too.
  fs::remove(dir / "link.bin");
  fs::create_symlink("/etc/hostname", dir / "link.bin");
  onnx::ModelProto m = valid_model();
  auto* init = m.mutable_graph()->add_initializer();
  init->set_name("ext");
  init->set_data_type(onnx::TensorProto::UINT8);
  init->add_dims(1);
  init->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = init->add_external_data();
  kv->set_key("location");
  kv->set_value("link.bin");
  std::ofstream(dir / "model.onnx", std::ios::binary) << m.SerializeAsString();
  auto s = Session::load((dir / "model.onnx").string());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("escapes"), std::string::npos) << s.status().to_string();
}

TEST(MalformedModel, ExternalDataInsideTheDirectoryLoads) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "braid_ext_ok";
  fs::create_directories(dir);
  std::vector<float> w{1, 2, 3, 4};
  std::ofstream(dir / "w.bin", std::ios::binary).write(reinterpret_cast<const char*>(w.data()), 16);
  onnx::ModelProto m = valid_model();
  auto* g = m.mutable_graph();
  auto* init = g->add_initializer();
  init->set_name("w");
  init->set_data_type(onnx::TensorProto::FLOAT);
  init->add_dims(1);
  init->add_dims(4);
  init->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = init->add_external_data();
  kv->set_key("location");
  kv->set_value("w.bin");
  // y2 = Relu(x) + w
  auto* add = g->add_node();
  add->set_op_type("Add");
  add->add_input("y");
  add->add_input("w");
  add->add_output("z");
  g->mutable_output(0)->set_name("z");
  std::ofstream(dir / "model.onnx", std::ios::binary) << m.SerializeAsString();
  auto s = Session::load((dir / "model.onnx").string());
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  Tensor x = Tensor::from_vector<float>({1, 4}, {-1, 1, -1, 1}).value();
  auto out = s->run({{"x", x}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const float* z = out->at("z").data<float>();
  EXPECT_EQ(z[0], 1);
  EXPECT_EQ(z[1], 3);
  EXPECT_EQ(z[2], 3);
  EXPECT_EQ(z[3], 5);
}
