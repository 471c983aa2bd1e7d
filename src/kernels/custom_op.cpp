// Custom ops (include/braid/custom_op.h): a host's kernel behind the OpKernel interface.
#include "braid/custom_op.h"

#include <map>
#include <memory>
#include <shared_mutex>

#include "kernels/attributes.h"
#include "kernels/custom_op_registry.h"
#include "kernels/registry.h"

namespace braid {

class CustomOpKernelAccess {
 public:
  static CustomOpContext make(detail::KernelContext& ctx) { return CustomOpContext(ctx); }
};

size_t CustomOpContext::num_inputs() const noexcept { return ctx_.inputs.size(); }
bool CustomOpContext::has_input(size_t i) const noexcept { return ctx_.input(i) != nullptr; }
const Tensor& CustomOpContext::input(size_t i) const { return *ctx_.input(i); }
size_t CustomOpContext::num_outputs() const noexcept { return ctx_.outputs.size(); }
Result<Tensor*> CustomOpContext::allocate_output(size_t i, DataType dtype, Shape shape) {
  return ctx_.allocate_output(i, dtype, std::move(shape));
}
void CustomOpContext::set_output(size_t i, Tensor t) {
  if (i < ctx_.outputs.size()) ctx_.set_output(i, std::move(t));
}
int CustomOpContext::threads() const noexcept { return ctx_.max_threads; }
const std::string& CustomOpContext::node_name() const noexcept { return ctx_.node->name; }
int64_t CustomOpContext::attr_int(const std::string& name, int64_t def) const {
  return detail::attr_int(*ctx_.node, name, def);
}
float CustomOpContext::attr_float(const std::string& name, float def) const {
  return detail::attr_float(*ctx_.node, name, def);
}
std::string CustomOpContext::attr_string(const std::string& name, const std::string& def) const {
  return detail::attr_string(*ctx_.node, name, def);
}
std::vector<int64_t> CustomOpContext::attr_ints(const std::string& name) const {
  return detail::attr_ints(*ctx_.node, name);
}

namespace {

struct CustomTable {
  std::shared_mutex mu;  // registration (rare) vs lookups at load time; never on the run path
  std::map<std::pair<std::string, std::string>, std::map<int, std::shared_ptr<const CustomOp>>> ops;
};

CustomTable& table() {
  static CustomTable* t = new CustomTable;  // intentionally never destroyed
  return *t;
}

class CustomKernel final : public detail::OpKernel {
 public:
  explicit CustomKernel(std::shared_ptr<const CustomOp> op) : op_(std::move(op)) {}

  Status compute(detail::KernelContext& ctx) const override {
    for (size_t i = 0; i < ctx.inputs.size(); ++i)
      if (ctx.inputs[i] == nullptr && i < ctx.node->inputs.size() && ctx.node->inputs[i] != detail::kNoValue)
        return internal_error(ctx.node->describe() + ": input " + std::to_string(i) + " is missing");
    CustomOpContext c = CustomOpKernelAccess::make(ctx);
    Status st = op_->compute(c);
    if (!st.ok()) return st.with_context(ctx.node->describe());
    for (size_t i = 0; i < ctx.outputs.size(); ++i)
      if (ctx.node->outputs[i] != detail::kNoValue && !ctx.outputs[i].defined())
        return internal_error(ctx.node->describe() + ": custom kernel did not set output " + std::to_string(i));
    return {};
  }

 private:
  std::shared_ptr<const CustomOp> op_;
};

}  // namespace

Status register_custom_op(CustomOp op) {
  if (op.op_type.empty()) return invalid_argument("register_custom_op: empty op_type");
  if (!op.compute) return invalid_argument("register_custom_op: " + op.domain + "::" + op.op_type + " has no compute");
  if (op.since_version < 1) return invalid_argument("register_custom_op: since_version must be >= 1");
  auto shared = std::make_shared<const CustomOp>(std::move(op));
  {
    std::unique_lock lock(table().mu);
    table().ops[{shared->domain, shared->op_type}][shared->since_version] = shared;
  }
  // One factory for every custom op: it finds the node's op in the table at load time.
  detail::KernelDef def{shared->domain, shared->op_type, shared->since_version, 1 << 30,
                        [](const detail::KernelInit& init) -> Result<std::unique_ptr<detail::OpKernel>> {
                          auto found = detail::find_custom_op(init.node->domain, init.node->op_type, init.node->opset);
                          if (!found) return internal_error(init.node->describe() + ": custom op vanished");
                          return std::unique_ptr<detail::OpKernel>(new CustomKernel(std::move(found)));
                        }};
  detail::OpRegistry::global().add(std::move(def));
  return {};
}

namespace detail {

std::shared_ptr<const CustomOp> find_custom_op(std::string_view domain, std::string_view op_type, int opset) {
  std::shared_lock lock(table().mu);
  auto it = table().ops.find({std::string(domain), std::string(op_type)});
  if (it == table().ops.end()) return nullptr;
  auto v = it->second.upper_bound(opset);  // first since_version > opset
  if (v == it->second.begin()) return nullptr;
  return std::prev(v)->second;
}

std::optional<double> custom_op_flops(std::string_view domain, std::string_view op_type, int opset,
                                      const std::vector<Shape>& input_shapes) {
  auto op = find_custom_op(domain, op_type, opset);
  if (!op || !op->flops) return std::nullopt;
  try {
    const double f = op->flops(input_shapes);
    if (f >= 0 && f < 1e18) return f;
  } catch (...) {
  }
  return std::nullopt;
}

}  // namespace detail

}  // namespace braid
