// Runs one kernel of the registry on a hand-built one-node graph, for the nn kernel tests:
//   OpRunner r("Conv", 11);
//   r.input(x).constant(w).attr_ints("pads", {1, 1, 1, 1});
//   Result<std::vector<Tensor>> y = r.run();
#pragma once

#include <string>
#include <vector>

#include "braid/tensor.h"
#include "ir/graph.h"
#include "kernels/op_kernel.h"
#include "kernels/registry.h"

namespace braid::detail {

class OpRunner {
 public:
  OpRunner(std::string op, int opset, int outputs = 1) : op_(std::move(op)), opset_(opset), outputs_(outputs) {}

  OpRunner& input(const Tensor& t) { return add(t, false); }
  OpRunner& constant(const Tensor& t) { return add(t, true); }
  OpRunner& omitted() {
    tensors_.emplace_back();
    constant_.push_back(false);
    return *this;
  }
  OpRunner& attr_int(const std::string& name, int64_t v) {
    Attribute a;
    a.name = name;
    a.kind = Attribute::Kind::kInt;
    a.i = v;
    attrs_.push_back(a);
    return *this;
  }
  OpRunner& attr_float(const std::string& name, float v) {
    Attribute a;
    a.name = name;
    a.kind = Attribute::Kind::kFloat;
    a.f = v;
    attrs_.push_back(a);
    return *this;
  }
  OpRunner& attr_ints(const std::string& name, std::vector<int64_t> v) {
    Attribute a;
    a.name = name;
    a.kind = Attribute::Kind::kInts;
    a.ints = std::move(v);
    attrs_.push_back(a);
    return *this;
  }
  OpRunner& attr_string(const std::string& name, std::string v) {
    Attribute a;
    a.name = name;
    a.kind = Attribute::Kind::kString;
    a.s = std::move(v);
    attrs_.push_back(a);
    return *this;
  }

  // Creates the kernel (load time). Fails like a session load would.
  Status create() {
    graph_ = Graph();
    Node n;
    n.name = "node";
    n.op_type = op_;
    n.opset = opset_;
    n.attributes = attrs_;
    for (size_t i = 0; i < tensors_.size(); ++i) {
      if (!tensors_[i].defined()) {
        n.inputs.push_back(kNoValue);
        continue;
      }
      Value v;
      v.name = "in" + std::to_string(i);
      v.dtype = tensors_[i].dtype();
      std::vector<Dim> dims;
      for (int64_t d : tensors_[i].shape()) dims.push_back(Dim{d, {}});
      v.shape = dims;
      if (constant_[i]) v.constant = tensors_[i];
      n.inputs.push_back(graph_.add_value(std::move(v)));
    }
    for (int i = 0; i < outputs_; ++i) {
      Value v;
      v.name = "out" + std::to_string(i);
      n.outputs.push_back(graph_.add_value(std::move(v)));
    }
    graph_.nodes.push_back(std::move(n));
    const KernelDef* def = OpRegistry::global().find("", op_, opset_);
    if (def == nullptr) return unsupported_op(op_ + " is not registered");
    KernelInit init;
    init.graph = &graph_;
    init.node = &graph_.nodes[0];
    auto k = def->create(init);
    if (!k.ok()) return k.status();
    kernel_ = std::move(k).value();
    return {};
  }

  // Runs the kernel created by create() (creating it first if needed).
  Result<std::vector<Tensor>> run(int max_threads = 1) {
    if (!kernel_) BRAID_RETURN_IF_ERROR(create());
    std::vector<const Tensor*> in;
    for (const Tensor& t : tensors_) in.push_back(t.defined() ? &t : nullptr);
    std::vector<Tensor> out(static_cast<size_t>(outputs_));
    KernelContext ctx;
    ctx.node = &graph_.nodes[0];
    ctx.inputs = in;
    ctx.outputs = out;
    ctx.max_threads = max_threads;
    BRAID_RETURN_IF_ERROR(kernel_->compute(ctx));
    return out;
  }

 private:
  OpRunner& add(const Tensor& t, bool c) {
    tensors_.push_back(t);
    constant_.push_back(c);
    return *this;
  }

  std::string op_;
  int opset_;
  int outputs_;
  std::vector<Tensor> tensors_;
  std::vector<bool> constant_;
  std::vector<Attribute> attrs_;
  Graph graph_;
  std::unique_ptr<OpKernel> kernel_;
};

}  // namespace braid::detail
