// Builds one kernel from the registry on a one-node graph (load time: attributes parsed,
// constant weights packed) and runs it, for the kernel benchmarks.
#pragma once

#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include <memory>
#include <string>
#include <vector>

#include "braid/tensor.h"
#include "ir/graph.h"
#include "kernels/op_kernel.h"
#include "kernels/registry.h"

namespace braid::bench {

class BenchOp {
 public:
  BenchOp(std::string op, int opset) : op_(std::move(op)), opset_(opset) {}

  void input(const Tensor& t, bool constant) {
    inputs_.push_back(t);
    constant_.push_back(constant);
  }
  void attr_ints(const std::string& name, std::vector<int64_t> v) {
    detail::Attribute a;
    a.name = name;
    a.kind = detail::Attribute::Kind::kInts;
    a.ints = std::move(v);
    attrs_.push_back(std::move(a));
  }
  void attr_int(const std::string& name, int64_t v) {
    detail::Attribute a;
    a.name = name;
    a.kind = detail::Attribute::Kind::kInt;
    a.i = v;
    attrs_.push_back(std::move(a));
  }
  void attr_string(const std::string& name, std::string v) {
    detail::Attribute a;
    a.name = name;
    a.kind = detail::Attribute::Kind::kString;
    a.s = std::move(v);
    attrs_.push_back(std::move(a));
  }

  Status create() {
    detail::Node n;
    n.name = "bench";
    n.op_type = op_;
    n.opset = opset_;
    n.attributes = attrs_;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      detail::Value v;
      v.name = "in" + std::to_string(i);
      v.dtype = inputs_[i].dtype();
      std::vector<detail::Dim> dims;  // a static shape, as shape inference gives a session
      for (int64_t d : inputs_[i].shape()) dims.push_back(detail::Dim{d, {}});
      v.shape = std::move(dims);
      if (constant_[i]) v.constant = inputs_[i];
      n.inputs.push_back(graph_.add_value(std::move(v)));
    }
    detail::Value out;
    out.name = "out";
    n.outputs.push_back(graph_.add_value(std::move(out)));
    graph_.nodes.push_back(std::move(n));
    const detail::KernelDef* def = detail::OpRegistry::global().find("", op_, opset_);
    if (!def) return unsupported_op(op_);
    detail::KernelInit init;
    init.graph = &graph_;
    init.node = &graph_.nodes[0];
    auto k = def->create(init);
    if (!k.ok()) return k.status();
    kernel_ = std::move(k).value();
    for (const Tensor& t : inputs_) ptrs_.push_back(&t);
    outputs_.resize(1);
    return {};
  }

  Status run(int max_threads) {
    detail::KernelContext ctx;
    ctx.node = &graph_.nodes[0];
    ctx.inputs = ptrs_;
    ctx.outputs = outputs_;
    ctx.max_threads = max_threads;
    return kernel_->compute(ctx);
  }

 private:
  std::string op_;
  int opset_;
  std::vector<Tensor> inputs_;
  std::vector<bool> constant_;
  std::vector<detail::Attribute> attrs_;
  detail::Graph graph_;
  std::unique_ptr<detail::OpKernel> kernel_;
  std::vector<const Tensor*> ptrs_;
  std::vector<Tensor> outputs_;
};

// Creates `op` and runs it once per benchmark iteration inside an arena of `threads`; a
// failure ends the benchmark with its Status. Returns false if it could not run.
inline bool run_op_in_arena(benchmark::State& state, BenchOp& op, int threads) {
  if (Status s = op.create(); !s.ok()) {
    state.SkipWithError(s.to_string().c_str());
    return false;
  }
  bool ok = true;
  tbb::task_arena arena(threads);
  arena.execute([&] {
    for (auto _ : state) {
      if (Status s = op.run(threads); !s.ok()) {
        state.SkipWithError(s.to_string().c_str());
        ok = false;
        break;
      }
    }
  });
  return ok;
}

}  // namespace braid::bench
