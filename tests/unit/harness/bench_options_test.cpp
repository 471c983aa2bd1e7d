// braid-bench's command line: every option parses, bad values get a clear error naming
// the option (never an exception or a crash), and the scenario rules hold.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench_options.h"

using namespace braid;
using namespace braid::bench;

namespace {

Result<BenchOptions> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "braid-bench");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  return parse_options(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST(BenchOptions, ScenariosAndTheirParameters) {
  auto o = parse({"m.onnx", "--scenario", "server", "--qps", "250", "--latency-bound", "12.5", "--concurrency", "6",
                  "--memory-budget", "512MiB", "--mode", "adaptive"});
  ASSERT_TRUE(o.ok()) << o.status().to_string();
  EXPECT_EQ(o->scenario, Scenario::kServer);
  EXPECT_DOUBLE_EQ(o->qps, 250);
  EXPECT_DOUBLE_EQ(o->latency_bound_ms, 12.5);
  EXPECT_EQ(o->concurrency, 6);
  EXPECT_EQ(o->memory_budget, size_t{512} << 20);
  ASSERT_EQ(o->models.size(), 1u);
  ASSERT_EQ(o->modes.size(), 1u);
  EXPECT_EQ(o->modes[0], ExecutionMode::kAdaptive);
  for (const char* s : {"single-stream", "multi-stream", "offline"}) {
    auto p = parse({"--scenario", s});
    ASSERT_TRUE(p.ok()) << s;
    EXPECT_STREQ(scenario_name(p->scenario), s);
  }
}

TEST(BenchOptions, BadValuesAreClearErrors) {
  struct Case {
    std::vector<std::string> args;
    const char* mentions;
  };
  const std::vector<Case> cases = {
      {{"--scenario", "batch"}, "--scenario"},
      {{"--scenario", "server"}, "--qps"},
      {{"--qps", "-3"}, "--qps"},
      {{"--qps", "abc"}, "--qps"},
      {{"--concurrency", "0"}, "--concurrency"},
      {{"--concurrency", "99999"}, "--concurrency"},
      {{"--latency-bound"}, "--latency-bound"},
      {{"--memory-budget", "12XB"}, "--memory-budget"},
      {{"--threads", "-1"}, "--threads"},
      {{"--duration", "0"}, "--duration"},
      {{"--interference", "cpu:"}, "--interference"},
      {{"--interference", "bursty:1:50"}, "--interference"},
      {{"--mode", "turbo"}, "--mode"},
      {{"--frobnicate"}, "--frobnicate"},
      {{"--interference", "mem:"}, "--interference"},
      {{"--interference", "mem:-1"}, "--interference"},
      {{"--interference", "mem:lots"}, "--interference"},
      {{"--shape", "data"}, "--shape"},
      {{"--shape", "data:1xx3"}, "--shape"},
      {{"--shape", "data:1x-3"}, "--shape"},
      {{"--shape", "a:1", "--shape", "a:2"}, "--shape"},
      {{"--batch", "0"}, "--batch"},
      {{"--batch", "two"}, "--batch"},
      {{"--input", "=x.pb"}, "--input"},
      {{"--input", "data="}, "--input"},
      {{"--json"}, "--json"},
      {{"--trace"}, "--trace"},
      {{"--html"}, "--html"},
  };
  for (const Case& c : cases) {
    auto o = parse(c.args);
    ASSERT_FALSE(o.ok()) << c.args[0];
    EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(o.status().message().find(c.mentions), std::string::npos)
        << "'" << o.status().message() << "' should mention " << c.mentions;
  }
}

TEST(BenchOptions, ByteSizesAndInterference) {
  EXPECT_EQ(parse_bytes("1024").value(), 1024u);
  EXPECT_EQ(parse_bytes("2GiB").value(), size_t{2} << 30);
  EXPECT_FALSE(parse_bytes("").ok());
  auto cpu = parse_interference("cpu:2");
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ(cpu->kind, Interference::Kind::kCpu);
  EXPECT_EQ(cpu->threads, 2);
  auto bursty = parse_interference("bursty:1:50:50");
  ASSERT_TRUE(bursty.ok());
  EXPECT_EQ(bursty->kind, Interference::Kind::kBursty);
  EXPECT_EQ(bursty->on_ms, 50);
  EXPECT_EQ(bursty->off_ms, 50);
}

TEST(BenchOptions, MemoryInterference) {
  auto mem = parse_interference("mem:2");
  ASSERT_TRUE(mem.ok()) << mem.status().to_string();
  EXPECT_EQ(mem->kind, Interference::Kind::kMemory);
  EXPECT_EQ(mem->memory_bytes, size_t{2} << 30);
  auto half = parse_interference("mem:0.25");
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(half->memory_bytes, size_t{1} << 28);
  EXPECT_STREQ(interference_kind_name(Interference::Kind::kMemory), "mem");
  auto o = parse({"--interference", "mem:1"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->interference.kind, Interference::Kind::kMemory);
  EXPECT_FALSE(parse_interference("mem:1:2").ok());
}

TEST(BenchOptions, ShapesBatchInputsAndReports) {
  auto o = parse({"m.onnx", "--shape", "input_ids:1x128", "--shape", "mask:4x0", "--batch", "8", "--input",
                  "pixels=in0.pb", "--input", "only.pb", "--json", "r.json", "--trace", "t.json", "--html", "r.html",
                  "--no-progress"});
  ASSERT_TRUE(o.ok()) << o.status().to_string();
  ASSERT_EQ(o->shapes.size(), 2u);
  EXPECT_EQ(o->shapes[0].name, "input_ids");
  EXPECT_EQ(o->shapes[0].dims, (std::vector<int64_t>{1, 128}));
  EXPECT_EQ(o->shapes[1].dims, (std::vector<int64_t>{4, 0}));
  EXPECT_EQ(o->batch, 8);
  ASSERT_EQ(o->input_files.size(), 2u);
  EXPECT_EQ(o->input_files[0].name, "pixels");
  EXPECT_EQ(o->input_files[0].path, "in0.pb");
  EXPECT_EQ(o->input_files[1].name, "");
  EXPECT_EQ(o->input_files[1].path, "only.pb");
  EXPECT_EQ(o->json_path, "r.json");
  EXPECT_EQ(o->trace_path, "t.json");
  EXPECT_EQ(o->html_path, "r.html");
  EXPECT_EQ(o->progress, BenchOptions::Progress::kOff);
  // A name with colons keeps them: the dims follow the last one.
  auto ns = parse_shape("encoder:input:2x3");
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(ns->name, "encoder:input");
  EXPECT_EQ(ns->dims, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(parse({"--progress"})->progress, BenchOptions::Progress::kOn);
  EXPECT_EQ(parse({})->progress, BenchOptions::Progress::kAuto);
  EXPECT_FALSE(parse({})->together);
  EXPECT_TRUE(parse({"--model", "a.onnx", "--model", "b.onnx", "--together"})->together);
}

TEST(BenchOptions, PrecisionOneModeOrAll) {
  auto d = parse({"m.onnx"});
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->precisions.size(), 1u);
  EXPECT_EQ(d->precisions[0], PrecisionMode::kF32);  // the default: outputs as in f32
  for (const char* p : {"f32", "bf16", "int8", "adaptive"}) {
    auto o = parse({"--precision", p});
    ASSERT_TRUE(o.ok()) << p << ": " << o.status().to_string();
    ASSERT_EQ(o->precisions.size(), 1u) << p;
    EXPECT_STREQ(precision_mode_name(o->precisions[0]), p);
  }
  auto all = parse({"--precision", "all"});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->precisions.size(), 4u);
  EXPECT_EQ(all->precisions[0], PrecisionMode::kF32);
  EXPECT_EQ(all->precisions[1], PrecisionMode::kBF16);
  EXPECT_EQ(all->precisions[2], PrecisionMode::kInt8);
  EXPECT_EQ(all->precisions[3], PrecisionMode::kAdaptive);
  auto last = parse({"--precision", "all", "--precision", "int8"});  // the last one wins
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->precisions.size(), 1u);
  EXPECT_EQ(last->precisions[0], PrecisionMode::kInt8);
  for (const char* bad : {"fp16", "F32", "", "all,int8"}) {
    auto o = parse({"--precision", bad});
    ASSERT_FALSE(o.ok()) << bad;
    EXPECT_NE(o.status().message().find("--precision"), std::string::npos) << o.status().message();
  }
  EXPECT_FALSE(parse({"--precision"}).ok());
}

TEST(BenchOptions, SchedulingPolicy) {
  auto d = parse({"m.onnx"});
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->policy_given);  // the default runtime
  const std::vector<std::pair<const char*, SchedulingPolicyOption>> names = {
      {"hybrid", SchedulingPolicyOption::kHybrid},
      {"critical-path", SchedulingPolicyOption::kCriticalPath},
      {"compute-first", SchedulingPolicyOption::kComputeFirst},
      {"memory-first", SchedulingPolicyOption::kMemoryFirst}};
  for (const auto& [name, policy] : names) {
    auto o = parse({"--policy", name});
    ASSERT_TRUE(o.ok()) << name << ": " << o.status().to_string();
    EXPECT_TRUE(o->policy_given);
    EXPECT_EQ(o->policy, policy) << name;
    EXPECT_STREQ(scheduling_policy_name(o->policy), name);
  }
  for (const char* bad : {"critical_path", "fifo", "Hybrid", ""}) {
    auto o = parse({"--policy", bad});
    ASSERT_FALSE(o.ok()) << bad;
    EXPECT_NE(o.status().message().find("--policy"), std::string::npos) << o.status().message();
  }
  EXPECT_FALSE(parse({"--policy"}).ok());
}

TEST(BenchOptions, CompareOrtAndItsRules) {
  auto o = parse({"m.onnx", "--compare", "ort", "--rounds", "3", "--interference", "cpu:1"});
  ASSERT_TRUE(o.ok()) << o.status().to_string();
  EXPECT_EQ(o->compare, Peer::kOrt);
  EXPECT_EQ(o->rounds, 3);
  EXPECT_EQ(o->interference.kind, Interference::Kind::kCpu);
  auto d = parse({"m.onnx"});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->compare, Peer::kNone);
  EXPECT_EQ(d->rounds, 4);
  auto tvm = parse({"--compare", "tvm"});
  ASSERT_FALSE(tvm.ok());
  EXPECT_NE(tvm.status().message().find("--compare"), std::string::npos);
  for (const char* r : {"0", "-1", "x", "1001"}) EXPECT_FALSE(parse({"--rounds", r}).ok()) << r;
  // Every scenario is compared (ORT runs it in ort_serve.mjs's `scenario` request); server
  // still needs its rate.
  for (const char* s : {"multi-stream", "offline"}) {
    auto k = parse({"--compare", "ort", "--scenario", s, "--concurrency", "3"});
    ASSERT_TRUE(k.ok()) << s << ": " << k.status().message();
    EXPECT_EQ(k->concurrency, 3);
  }
  auto server = parse({"--compare", "ort", "--scenario", "server", "--qps", "50", "--latency-bound", "20"});
  ASSERT_TRUE(server.ok()) << server.status().message();
  EXPECT_DOUBLE_EQ(server->qps, 50);
  EXPECT_FALSE(parse({"--compare", "ort", "--scenario", "server"}).ok());
  // A rate per model (by file stem), the others at --qps; server needs one or the other.
  auto per_model = parse({"--scenario", "server", "--qps", "inception=20", "--qps", "5", "--qps", "wide_mlp=200.5"});
  ASSERT_TRUE(per_model.ok()) << per_model.status().message();
  EXPECT_DOUBLE_EQ(per_model->qps_for("models/inception.onnx"), 20);
  EXPECT_DOUBLE_EQ(per_model->qps_for("/x/wide_mlp.onnx"), 200.5);
  EXPECT_DOUBLE_EQ(per_model->qps_for("resnet.onnx"), 5);
  EXPECT_TRUE(parse({"--scenario", "server", "--qps", "inception=20"}).ok());
  for (const char* bad : {"=5", "inception=", "inception=0", "inception=x"})
    EXPECT_FALSE(parse({"--scenario", "server", "--qps", bad}).ok()) << bad;
  EXPECT_FALSE(parse({"--qps", "a=1", "--qps", "a=2"}).ok());
  // --trace and --html go with --compare.
  auto reports = parse({"--compare", "ort", "--trace", "t.json", "--html", "r.html"});
  ASSERT_TRUE(reports.ok()) << reports.status().message();
  EXPECT_EQ(reports->trace_path, "t.json");
  // Models together: Braid on one Runtime, ORT a process per model (compare.cpp).
  auto together = parse({"--compare", "ort", "--together", "--model", "a.onnx", "--model", "b.onnx"});
  ASSERT_TRUE(together.ok()) << together.status().message();
  EXPECT_TRUE(together->together);
  EXPECT_FALSE(parse({"--compare", "ort", "--serve"}).ok());
  // --profile profiles braid-bench's own runs: not a comparison's or a server's.
  EXPECT_FALSE(parse({})->profile);
  EXPECT_TRUE(parse({"--profile", "--together", "--mode", "adaptive"})->profile);
  for (auto with : {std::vector<std::string>{"--compare", "ort"}, std::vector<std::string>{"--serve"}}) {
    with.push_back("--profile");
    auto r = parse(with);
    ASSERT_FALSE(r.ok()) << with.front();
    EXPECT_NE(r.status().message().find("--profile"), std::string::npos) << r.status().message();
  }
}
