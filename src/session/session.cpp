#include "braid/session.h"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <thread>

#include "core/log.h"

#include "onnx/onnx_importer.h"
#include "opt/graph_optimizer.h"
#include "partition/machine_balance.h"
#include "partition/partitioner.h"
#include "partition/shape_resolver.h"
#include "braid/runtime.h"
#include "core/tensor_access.h"
#include "session/session_impl.h"
#include "trace/node_trace.h"

namespace braid {

const char* execution_mode_name(ExecutionMode m) noexcept {
  switch (m) {
    case ExecutionMode::kSequential: return "sequential";
    case ExecutionMode::kStatic: return "static";
    case ExecutionMode::kAdaptive: return "adaptive";
  }
  return "unknown";
}

const char* version() noexcept { return "0.1.0"; }

namespace detail {

int available_cpu_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

namespace {
TensorInfo info_of(const Value& v) {
  TensorInfo info;
  info.name = v.name;
  info.dtype = v.dtype;
  if (v.shape) {
    info.has_shape = true;
    for (const Dim& d : *v.shape) {
      info.shape.push_back(d.known() ? d.value : -1);
      info.dim_symbols.push_back(d.symbol);
    }
  }
  return info;
}
}  // namespace

Result<std::unique_ptr<Session::Impl>> make_session_impl(Graph graph, std::string model_name,
                                                         const SessionOptions& options) {
  if (options.threads < 0) return invalid_argument("SessionOptions.threads must be >= 0");
  if (options.graph_optimization != GraphOptimization::kNone) {
    // A failed rewrite leaves the graph as imported: fusion is an optimisation only.
    Status st = optimize_graph(graph, GraphOptimizationOptions{});
    if (!st.ok()) log_warn("{}: graph optimisation skipped: {}", model_name, st.message());
  }
  auto impl = std::make_unique<Session::Impl>();
  impl->model_name = std::move(model_name);
  impl->options = options;
  impl->graph = std::move(graph);
  BRAID_ASSIGN_OR_RETURN(impl->plan, ExecutionPlan::build(impl->graph, impl->model_name));
  for (ValueId v : impl->graph.inputs) impl->input_info.push_back(info_of(impl->graph.values[v]));
  for (ValueId v : impl->graph.outputs) impl->output_info.push_back(info_of(impl->graph.values[v]));
  if (options.memory_budget_bytes > 0) {
    // A memory budget is enforced by the dispatcher's admission; a session with its own
    // budget gets its own dispatcher (same monitor).
    RuntimeConfig rc;
    rc.threads = options.threads;
    rc.memory_budget = static_cast<double>(options.memory_budget_bytes);
    rc.start_monitor = false;
    impl->runtime = std::make_shared<RuntimeCore>(rc, nullptr);
  } else if (options.runtime) {
    impl->runtime = options.runtime->core_ptr();
  } else {
    impl->runtime = RuntimeCore::default_runtime();
  }
  impl->threads = options.threads > 0 ? options.threads : impl->runtime->threads();
  // Subgraphs for the parallel modes: fork/join analysis with the merge threshold derived
  // from this machine's measured dispatch overhead.
  auto partition = detail::partition(impl->graph, PartitionOptions::for_this_machine());
  if (partition.ok()) {
    impl->partition = std::move(partition).value();
  } else {
    log_warn("{}: partitioning failed ({}); one subgraph per node", impl->model_name,
             partition.status().message());
    impl->partition = per_node_partition(impl->graph);
  }
  DsdgOptions dsdg_options;
  dsdg_options.balance = machine_balance();
  impl->dsdg = std::make_unique<Dsdg>(impl->partition, dsdg_options);
  impl->dynamic_inputs = std::any_of(impl->input_info.begin(), impl->input_info.end(), [](const TensorInfo& i) {
    return !i.has_shape || std::any_of(i.shape.begin(), i.shape.end(), [](int64_t d) { return d < 0; });
  });
  impl->executor = std::make_unique<ParallelExecutor>(impl->graph, impl->plan, impl->partition,
                                                      impl->runtime->dispatcher(), impl->threads, impl->dsdg.get());
  impl->precision = PrecisionPlan::build(impl->graph, impl->plan, impl->partition, options.precision_rules,
                                         options.precision_weight_budget_bytes);
  // Activations at the declared shapes (symbolic dims as 1 until a run binds them).
  impl->arena = std::make_unique<ActivationArena>(
      impl->graph.values.size(),
      std::make_shared<const MemoryPlan>(MemoryPlan::build(impl->graph, impl->plan, resolve_shapes(impl->graph),
                                                           MemoryPlan::Liveness::kDag)));
  if (const char* env = std::getenv("BRAID_ACTIVATION_ARENA"); env != nullptr && std::string(env) == "0")
    impl->use_arena = false;
  return impl;
}

}  // namespace detail

Status Session::Impl::bind_inputs(const NamedTensors& inputs, std::vector<Tensor>& values) const {
  for (const auto& [name, tensor] : inputs) {
    bool known = false;
    for (const TensorInfo& info : input_info) known = known || info.name == name;
    if (!known) {
      std::string expected;
      for (const TensorInfo& info : input_info) expected += (expected.empty() ? "'" : ", '") + info.name + "'";
      return invalid_argument(model_name + ": unknown input '" + name + "' (the model's inputs are " + expected + ")");
    }
  }
  std::map<std::string, int64_t> symbols;
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    const TensorInfo& info = input_info[i];
    auto it = inputs.find(info.name);
    if (it == inputs.end()) return invalid_argument(model_name + ": missing input '" + info.name + "'");
    const Tensor& t = it->second;
    if (!t.defined() || (t.raw_data() == nullptr && t.numel() != 0))
      return invalid_argument(model_name + ": input '" + info.name + "' is an empty tensor handle");
    if (info.dtype != DataType::kUndefined && t.dtype() != info.dtype)
      return invalid_argument(model_name + ": input '" + info.name + "' has dtype " + dtype_name(t.dtype()) +
                              ", the model expects " + dtype_name(info.dtype));
    if (info.has_shape) {
      if (t.rank() != static_cast<int64_t>(info.shape.size()))
        return invalid_argument(model_name + ": input '" + info.name + "' has shape " + shape_to_string(t.shape()) +
                                " (rank " + std::to_string(t.rank()) + "), the model expects rank " +
                                std::to_string(info.shape.size()));
      for (size_t d = 0; d < info.shape.size(); ++d) {
        if (info.shape[d] >= 0 && info.shape[d] != t.dim(d))
          return invalid_argument(model_name + ": input '" + info.name + "' has shape " + shape_to_string(t.shape()) +
                                  ", dim " + std::to_string(d) + " must be " + std::to_string(info.shape[d]));
        if (!info.dim_symbols[d].empty()) {
          auto [pos, inserted] = symbols.emplace(info.dim_symbols[d], t.dim(d));
          if (!inserted && pos->second != t.dim(d))
            return invalid_argument(model_name + ": symbolic dim '" + info.dim_symbols[d] + "' is " +
                                    std::to_string(pos->second) + " in one input and " + std::to_string(t.dim(d)) +
                                    " in input '" + info.name + "'");
        }
      }
    }
    values[graph.inputs[i]] = t;
  }
  return {};
}

void Session::Impl::track_input_shapes(const std::vector<Tensor>& values) const {
  if (!dynamic_inputs) return;
  // FNV-1a over the input dims; 0 is reserved for "no run yet".
  uint64_t key = 1469598103934665603ull;
  for (detail::ValueId v : graph.inputs) {
    key = (key ^ static_cast<uint64_t>(values[v].rank())) * 1099511628211ull;
    for (int64_t d : values[v].shape()) key = (key ^ static_cast<uint64_t>(d)) * 1099511628211ull;
  }
  key |= 1;
  // Acquire/release: a run that sees the new key also sees the estimates made for it.
  if (shapes_key.load(std::memory_order_acquire) == key) return;
  std::lock_guard lock(reestimate_mu);
  if (shapes_key.load(std::memory_order_relaxed) == key) return;
  std::vector<std::pair<std::string, Shape>> shapes;
  for (detail::ValueId v : graph.inputs) shapes.emplace_back(graph.values[v].name, values[v].shape());
  auto bindings = detail::bind_input_shapes(graph, shapes);
  Status st = bindings.ok() ? dsdg->reestimate(graph, bindings.value()) : bindings.status();
  if (!st.ok()) detail::log_warn("{}: cost re-estimate for new input shapes failed: {}", model_name, st.message());
  if (bindings.ok())
    arena->set_plan(std::make_shared<const detail::MemoryPlan>(detail::MemoryPlan::build(
        graph, plan, detail::resolve_shapes(graph, bindings.value()), detail::MemoryPlan::Liveness::kDag)));
  shapes_key.store(key, std::memory_order_release);
}

std::vector<SubgraphProfile> Session::subgraph_profile() const {
  const Impl& impl = *impl_;
  std::vector<SubgraphProfile> out;
  const detail::Dsdg& dsdg = *impl.dsdg;
  auto node_name = [&](detail::NodeId n) {
    const detail::Node& node = impl.graph.nodes[n];
    return node.name.empty() ? node.op_type : node.name;
  };
  for (const detail::Subgraph& sg : dsdg.plan().subgraphs) {
    SubgraphProfile p = detail::learned_profile(dsdg, sg.id);
    p.nodes = static_cast<int>(sg.nodes.size());
    if (!sg.nodes.empty()) {
      p.first_node = node_name(sg.nodes.front());
      p.last_node = node_name(sg.nodes.back());
    }
    out.push_back(std::move(p));
  }
  return out;
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Result<Session> Session::load(const std::string& path, const SessionOptions& options) {
  BRAID_ASSIGN_OR_RETURN(detail::Graph graph, detail::import_onnx_file(path));
  BRAID_ASSIGN_OR_RETURN(auto impl, detail::make_session_impl(std::move(graph), path, options));
  return Session(std::move(impl));
}

Result<Session> Session::load_from_memory(const void* data, size_t size, const SessionOptions& options) {
  if (data == nullptr && size != 0) return invalid_argument("load_from_memory: null data");
  BRAID_ASSIGN_OR_RETURN(detail::Graph graph, detail::import_onnx_model(data, size, ""));
  BRAID_ASSIGN_OR_RETURN(auto impl, detail::make_session_impl(std::move(graph), "<memory>", options));
  return Session(std::move(impl));
}

const std::vector<TensorInfo>& Session::inputs() const { return impl_->input_info; }
const std::vector<TensorInfo>& Session::outputs() const { return impl_->output_info; }

Result<NamedTensors> Session::run(const NamedTensors& inputs, const RunOptions& options, RunStats* stats) const {
  const auto start = std::chrono::steady_clock::now();
  const Impl& impl = *impl_;
  // The request's values and activation block, from the session's pool.
  auto lease = impl.arena->acquire();
  if (!lease.ok()) return lease.status().with_context(impl.model_name);
  std::vector<Tensor>& values = (*lease)->values;
  BRAID_RETURN_IF_ERROR(impl.bind_inputs(inputs, values));
  auto out = impl.run_bound(values, options, stats, &**lease);
  if (out.ok() && stats)
    stats->wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return out;
}

Status Session::run_into(const NamedTensors& inputs, NamedTensors& outputs, const RunOptions& options,
                         RunStats* stats) const {
  const auto start = std::chrono::steady_clock::now();
  const Impl& impl = *impl_;
  auto lease = impl.arena->acquire();
  if (!lease.ok()) return lease.status().with_context(impl.model_name);
  detail::RequestMemory& memory = **lease;
  BRAID_RETURN_IF_ERROR(impl.bind_inputs(inputs, memory.values));
  impl.target_outputs(inputs, outputs, memory);
  auto out = impl.run_bound(memory.values, options, stats, &memory, &outputs);
  if (!out.ok()) return out.status();
  if (stats)
    stats->wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return {};
}

void Session::Impl::target_outputs(const NamedTensors& inputs, const NamedTensors& outputs,
                                   detail::RequestMemory& memory) const {
  for (detail::ValueId v : graph.outputs) {
    const detail::Value& val = graph.values[v];
    if (val.constant || val.producer == detail::kNoNode || val.dtype == DataType::kUndefined) continue;
    auto it = outputs.find(val.name);
    if (it == outputs.end()) continue;
    const Tensor& t = it->second;
    if (!t.defined() || t.dtype() != val.dtype || t.byte_size() == 0 || !TensorAccess::unshared(t)) continue;
    const auto* b = static_cast<const std::byte*>(t.raw_data());
    auto overlaps = [&](const void* p, size_t n) {
      const auto* q = static_cast<const std::byte*>(p);
      return q != nullptr && q < b + t.byte_size() && b < q + n;
    };
    // An input's bytes must not be overwritten while it is read, nor two outputs share.
    bool clash = false;
    for (const auto& [name, in] : inputs) clash = clash || overlaps(in.raw_data(), in.byte_size());
    for (detail::ValueId w : graph.outputs)
      clash = clash || (w != v && overlaps(memory.targets[w].data, memory.targets[w].bytes));
    if (!clash) memory.targets[v] = {const_cast<void*>(t.raw_data()), t.byte_size()};
  }
}

Result<NamedTensors> Session::Impl::run_bound(std::vector<Tensor>& values, const RunOptions& options,
                                              RunStats* stats, detail::RequestMemory* memory,
                                              NamedTensors* into) const {
  const ExecutionMode mode = options.mode.value_or(this->options.mode);
  // A run uses the plan its memory was leased with (a replan for new shapes applies to
  // the requests leased after it).
  track_input_shapes(values);
  std::optional<detail::ActivationArena::Lease> own;
  if (memory == nullptr) {
    auto lease = arena->acquire();
    if (!lease.ok()) return lease.status().with_context(model_name);
    own.emplace(std::move(lease).value());
    memory = &**own;
  }
  detail::ArenaView view = memory->view();
  if (!use_arena) view = {nullptr, nullptr, 0, view.targets};  // run_into's targets still apply
  const detail::ArenaView* arena_view = &view;
  detail::RunPrecision run_prec = run_precision(options);
  int64_t by_precision[kPrecisionCount] = {0, 0, 0};
  run_prec.kernels_by_precision = by_precision;
  detail::ActivationMeter activation;
  detail::ActivationMeter* meter = stats ? &activation : nullptr;
  Status st;
  if (mode != ExecutionMode::kSequential) {
    st = executor->run(values, mode, options, &run_prec, meter, arena_view);
  } else {
    // Sequential: each node in order, at its subgraph's precision when precisions apply.
    const detail::NodeTraceContext trace = detail::node_trace_for_request(run_tracer(), dsdg.get());
    detail::NodeTraceScope trace_scope(trace.tracer != nullptr ? &trace : nullptr);
    detail::PrecisionPressure pressure;
    detail::SubgraphId pressure_of = std::numeric_limits<detail::SubgraphId>::max();
    for (size_t n = 0; n < graph.nodes.size() && st.ok(); ++n) {
      if (options.cancel && options.cancel->load(std::memory_order_relaxed)) {
        st = cancelled(model_name + ": run cancelled");
        break;
      }
      if (options.deadline && std::chrono::steady_clock::now() > *options.deadline) {
        st = cancelled(model_name + ": deadline exceeded");
        break;
      }
      const auto node = static_cast<detail::NodeId>(n);
      Precision p = Precision::kF32;
      if (run_prec.plan != nullptr) {
        const detail::SubgraphId s = partition.subgraph_of_node[n];
        if (s != pressure_of) {  // the vector as each subgraph starts, as in the other modes
          pressure = run_prec.pressure_now();
          pressure_of = s;
        }
        p = detail::effective_precision(plan, node,
                                        precision->choose(s, run_prec.mode, pressure, dsdg->compute_bound(s)));
        ++by_precision[static_cast<int>(p)];
      }
      st = detail::run_node(graph, plan, values, node, 1, plan.release_after[n], p, meter, arena_view);
    }
  }
  if (!st.ok()) return st.with_context(model_name);
  NamedTensors out;
  for (size_t i = 0; into != nullptr && i < graph.outputs.size(); ++i) {
    detail::ValueId v = graph.outputs[i];
    const detail::Value& val = graph.values[v];
    auto it = into->find(val.name);
    if (!val.constant && !values[v].defined() && it != into->end()) continue;  // listed twice: done
    const Tensor& produced = val.constant ? *val.constant : values[v];
    if (!val.constant && it != into->end() && it->second.defined() &&
        produced.raw_data() == it->second.raw_data() && produced.dtype() == it->second.dtype()) {
      // Written in place (a target of target_outputs): only the shape may need telling.
      if (!std::ranges::equal(it->second.shape(), produced.shape()))
        TensorAccess::set_shape(it->second, produced.shape(), produced.numel());
    } else if (it != into->end()) {
      it->second = val.constant ? *val.constant : std::move(values[v]);
    } else {
      into->emplace(val.name, val.constant ? *val.constant : std::move(values[v]));
    }
  }
  for (size_t i = 0; into == nullptr && i < graph.outputs.size(); ++i) {
    detail::ValueId v = graph.outputs[i];
    const detail::Value& val = graph.values[v];
    // Graph outputs never live in the arena block (the plan gives them none; run_node
    // copies out an unplanned view), so they outlive its reuse by the next request.
    if (val.constant)
      out.try_emplace(val.name, *val.constant);
    else
      out.try_emplace(val.name, std::move(values[v]));
  }
  if (own) {
    // `values` is the caller's (a streamed request): drop the views into the block that
    // goes back to the pool now.
    for (Tensor& t : values) t = Tensor();
  }
  if (stats) {
    stats->kernels_run = static_cast<int64_t>(graph.nodes.size());
    if (run_prec.plan == nullptr) by_precision[0] = stats->kernels_run;
    stats->peak_activation_bytes = static_cast<size_t>(std::max<int64_t>(0, activation.peak.load()));
    std::copy(by_precision, by_precision + kPrecisionCount, stats->kernels_by_precision);
  }
  return out;
}

detail::RunPrecision Session::Impl::run_precision(const RunOptions& options) const {
  detail::RunPrecision r;
  r.mode = options.precision.value_or(this->options.precision);
  if (r.mode == PrecisionMode::kF32 || precision->all_f32()) return r;
  r.plan = precision.get();
  if (r.mode == PrecisionMode::kAdaptive) r.monitor = runtime->monitor();
  return r;
}

detail::AsyncRunner& Session::Impl::async_runner() const {
  std::call_once(async_once, [this] {
    // Capacity: max_in_flight, lowered so that that many requests' activations (the
    // values crossing subgraphs plus the largest working set: an estimate) fit half of
    // the memory available now.
    int capacity = std::max(1, options.max_in_flight);
    double request_bytes = 0, largest_ws = 0;
    for (size_t e = 0; e < dsdg->plan().edges.size(); ++e) request_bytes += dsdg->edge_bytes(e);
    for (const detail::Subgraph& sg : dsdg->plan().subgraphs)
      largest_ws = std::max(largest_ws, dsdg->peak_working_set(sg.id));
    request_bytes += largest_ws;
    const double available = static_cast<double>(runtime->monitor() ? runtime->monitor()->current().memory_bytes_available : -1);
    if (available > 0 && request_bytes > 0)
      capacity = std::clamp(static_cast<int>(0.5 * available / request_bytes), 1, capacity);
    auto run = [](const Session::Impl& impl, std::vector<Tensor>& values, const RunOptions& o) {
      return impl.run_bound(values, o, nullptr);
    };
    async = std::make_unique<detail::AsyncRunner>(*this, run, capacity, capacity);
  });
  return *async;
}

namespace {

Status submit_request(const Session::Impl& impl, NamedTensors inputs, RunOptions options, bool wait,
                      const std::shared_ptr<RunTicket::State>& state) {
  state->values.resize(impl.graph.values.size());
  BRAID_RETURN_IF_ERROR(impl.bind_inputs(inputs, state->values));
  state->options = std::move(options);
  return impl.async_runner().push(state, wait);
}

}  // namespace

Result<RunTicket> Session::submit(NamedTensors inputs, RunOptions options) const {
  auto state = std::make_shared<RunTicket::State>();
  BRAID_RETURN_IF_ERROR(submit_request(*impl_, std::move(inputs), std::move(options), true, state));
  return RunTicket(std::move(state));
}

Result<RunTicket> Session::try_submit(NamedTensors inputs, RunOptions options) const {
  auto state = std::make_shared<RunTicket::State>();
  BRAID_RETURN_IF_ERROR(submit_request(*impl_, std::move(inputs), std::move(options), false, state));
  return RunTicket(std::move(state));
}

RunTicket::RunTicket() = default;
RunTicket::RunTicket(std::shared_ptr<State> state) : state_(std::move(state)) {}
RunTicket::RunTicket(RunTicket&&) noexcept = default;
RunTicket& RunTicket::operator=(RunTicket&&) noexcept = default;
RunTicket::~RunTicket() = default;

bool RunTicket::ready() const noexcept {
  return state_ != nullptr && state_->done.load(std::memory_order_acquire) == 1;
}

Result<NamedTensors> RunTicket::wait() {
  if (state_ == nullptr) return invalid_argument("RunTicket::wait on an empty ticket");
  // Acquire: pairs with the driver's release of `done`.
  while (state_->done.load(std::memory_order_acquire) == 0) state_->done.wait(0, std::memory_order_acquire);
  if (state_->taken.exchange(true, std::memory_order_acq_rel))
    return invalid_argument("RunTicket::wait: the result was already taken");
  return std::move(state_->result);
}

}  // namespace braid
