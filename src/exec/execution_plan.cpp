#include "exec/execution_plan.h"

#include <chrono>
#include <new>
#include <string_view>

#include "core/fault_injection.h"
#include "exec/activation_arena.h"
#include "kernels/registry.h"
#include "trace/node_trace.h"

namespace braid::detail {
namespace {

// What load-time graph fusion put into `node` besides its op (NodeRunEvent::fused).
std::string fused_label(const Node& node) {
  std::string label;
  auto add = [&label](std::string_view part) {
    if (!label.empty()) label += '+';
    label += part;
  };
  // A MatMul's third input is a fused bias, a Conv's or MatMul's fourth a fused residual.
  const bool matmul = node.domain.empty() && node.op_type == "MatMul";
  if (matmul && node.inputs.size() > 2 && node.inputs[2] != kNoValue) add("bias");
  if ((matmul || (node.domain.empty() && node.op_type == "Conv")) && node.inputs.size() > 3 &&
      node.inputs[3] != kNoValue)
    add("Add");
  if (const Attribute* a = node.find_attribute("braid_fused_activation"); a != nullptr) add(a->s);
  if (node.find_attribute("braid_fused_max_pool") != nullptr) add("MaxPool");
  return label;
}

}  // namespace

Result<ExecutionPlan> ExecutionPlan::build(const Graph& graph, const std::string& model_name) {
  ExecutionPlan plan;
  OpRegistry& registry = OpRegistry::global();
  plan.kernels.reserve(graph.nodes.size());
  plan.fused.reserve(graph.nodes.size());
  for (const Node& node : graph.nodes) {
    const KernelDef* def = registry.find(node.domain, node.op_type, node.opset);
    if (def == nullptr) {
      return Status(StatusCode::kUnsupportedOp,
                    model_name + ": unsupported op '" + (node.domain.empty() ? "" : node.domain + ".") +
                        node.op_type + "' (opset " + std::to_string(node.opset) + ") at node '" + node.name + "'");
    }
    KernelInit init{&graph, &node};
    Result<std::unique_ptr<OpKernel>> k = internal_error("kernel factory threw");
    try {
      k = def->create(init);
    } catch (const std::bad_alloc&) {
      return out_of_memory(model_name + ": out of memory creating the kernel of " + node.describe());
    } catch (const std::exception& e) {
      return internal_error(model_name + ": creating the kernel of " + node.describe() + " threw: " + e.what());
    }
    if (!k.ok()) return k.status().with_context(model_name);
    plan.kernels.push_back(std::move(k).value());
    plan.fused.push_back(fused_label(node));
  }
  plan.is_graph_output.assign(graph.values.size(), false);
  for (ValueId v : graph.outputs) plan.is_graph_output[v] = true;
  // A value dies after its last consumer unless it is a constant or a graph output.
  std::vector<int64_t> last_use(graph.values.size(), -1);
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    for (ValueId in : graph.nodes[n].inputs)
      if (in != kNoValue) last_use[in] = static_cast<int64_t>(n);
  plan.release_after.assign(graph.nodes.size(), {});
  for (size_t v = 0; v < graph.values.size(); ++v) {
    if (graph.values[v].constant || plan.is_graph_output[v]) continue;
    if (last_use[v] >= 0) plan.release_after[last_use[v]].push_back(static_cast<ValueId>(v));
  }
  return plan;
}

namespace {

Status run_node_untraced(const Graph& graph, const ExecutionPlan& plan, std::vector<Tensor>& values, NodeId n,
                         int max_threads, std::span<const ValueId> release, Precision precision,
                         ActivationMeter* meter, const ArenaView* arena) {
  const Node& node = graph.nodes[n];
  constexpr size_t kInline = 16;
  const Tensor* inline_inputs[kInline];
  std::vector<const Tensor*> heap_inputs;
  const Tensor** inputs = inline_inputs;
  if (node.inputs.size() > kInline) {
    heap_inputs.resize(node.inputs.size());
    inputs = heap_inputs.data();
  }
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    ValueId v = node.inputs[i];
    if (v == kNoValue) { inputs[i] = nullptr; continue; }
    const Value& val = graph.values[v];
    inputs[i] = val.constant ? &*val.constant : &values[v];
    if (!inputs[i]->defined())
      return internal_error(node.describe() + ": input '" + val.name + "' was not computed");
  }
  Tensor inline_outputs[4];
  std::vector<Tensor> heap_outputs;
  Tensor* outputs = inline_outputs;
  if (node.outputs.size() > 4) {
    heap_outputs.resize(node.outputs.size());
    outputs = heap_outputs.data();
  }
  KernelContext::OutputSlot slots[4];
  const bool placed = arena != nullptr && node.outputs.size() <= 4;
  if (placed) {
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      const ValueId v = node.outputs[o];
      if (v == kNoValue) continue;
      void* p = arena->plan != nullptr ? arena->plan->slot(arena->base, v, 0) : nullptr;
      if (p != nullptr) slots[o] = {p, arena->plan->bytes[v]};
      else if (arena->targets != nullptr && arena->targets[v].data != nullptr) slots[o] = arena->targets[v];
      // The (empty) value slot's shape capacity, for allocate_output_dims or
      // set_output_reshaped to fill in place.
      if (!values[v].defined()) std::swap(outputs[o], values[v]);
    }
  }
  KernelContext ctx;
  ctx.node = &node;
  if (placed) ctx.output_slots = std::span<const KernelContext::OutputSlot>(slots, node.outputs.size());
  ctx.inputs = std::span<const Tensor* const>(inputs, node.inputs.size());
  ctx.outputs = std::span<Tensor>(outputs, node.outputs.size());
  ctx.max_threads = max_threads;
  ctx.precision = effective_precision(plan, n, precision);
  Status st;
  try {
    if (should_fail_kernel_call()) return internal_error(node.describe() + ": injected kernel failure");
    st = plan.kernels[n]->compute(ctx);
  } catch (const std::bad_alloc&) {
    st = out_of_memory("out of memory");
  } catch (const std::exception& e) {
    st = internal_error(std::string("kernel threw: ") + e.what());
  }
  if (!st.ok()) {
    if (st.message().find(node.name) == std::string::npos) return st.with_context(node.describe());
    return st;
  }
  for (size_t o = 0; o < node.outputs.size(); ++o) {
    ValueId v = node.outputs[o];
    if (v == kNoValue) continue;
    if (!outputs[o].defined()) return internal_error(node.describe() + ": output " + std::to_string(o) + " not produced");
    if (arena != nullptr && arena->plan != nullptr && arena->contains(outputs[o].raw_data()) &&
        !arena->plan->in_own_slot(arena->base, v, outputs[o].raw_data(), outputs[o].byte_size())) {
      // A view of arena bytes the plan gave another group: they may be reused while this
      // value lives, so it gets storage of its own.
      auto copy = outputs[o].clone();
      if (!copy.ok()) return copy.status().with_context(node.describe());
      outputs[o] = std::move(copy).value();
    }
    if (meter) meter->add(static_cast<int64_t>(outputs[o].byte_size()));
    values[v] = std::move(outputs[o]);
  }
  for (ValueId dead : release) release_value(graph, values, dead, meter);
  return {};
}

int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Status run_node(const Graph& graph, const ExecutionPlan& plan, std::vector<Tensor>& values, NodeId n,
                int max_threads, std::span<const ValueId> release, Precision precision, ActivationMeter* meter,
                const ArenaView* arena) {
  const NodeTraceContext* trace = current_node_trace();
  if (trace == nullptr) return run_node_untraced(graph, plan, values, n, max_threads, release, precision, meter, arena);
  NodeRunEvent e;
  e.start_ns = steady_ns();
  Status st = run_node_untraced(graph, plan, values, n, max_threads, release, precision, meter, arena);
  e.end_ns = steady_ns();
  const Node& node = graph.nodes[n];
  e.request_id = trace->request_id;
  e.plan = trace->plan;
  e.node = n;
  e.name = node.name.c_str();
  e.op_type = node.op_type.c_str();
  e.fused = n < plan.fused.size() ? plan.fused[n].c_str() : "";
  e.threads = max_threads;
  e.precision = precision_name(effective_precision(plan, n, precision));
  e.ok = st.ok();
  trace->tracer->on_node_run(e);
  return st;
}

Status run_nodes(const Graph& graph, const ExecutionPlan& plan, std::vector<Tensor>& values, size_t first,
                 size_t last, int max_threads) {
  for (size_t n = first; n < last; ++n)
    BRAID_RETURN_IF_ERROR(run_node(graph, plan, values, static_cast<NodeId>(n), max_threads, plan.release_after[n]));
  return {};
}

}  // namespace braid::detail
