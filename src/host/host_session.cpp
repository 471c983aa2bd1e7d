// HostSession: a host engine's subgraphs on Braid's scheduler (include/braid/host_graph.h).
// The graph becomes a PartitionPlan with one subgraph per host subgraph (topological
// order), then a Dsdg, then runs through the same UnitExecutor as ONNX sessions.
#include "braid/host_graph.h"

#include <algorithm>
#include <map>

#include "braid/runtime.h"
#include "dsdg/dsdg.h"
#include "exec/precision_plan.h"
#include "exec/unit_executor.h"
#include "partition/machine_balance.h"
#include "partition/partition_plan.h"
#include "sched/runtime_core.h"

namespace braid {

namespace detail {
class HostTaskAccess {
 public:
  static void set(HostTask& t, int threads, braid::Precision p, void* request) {
    t.threads_ = threads;
    t.precision_ = p;
    t.request_ = request;
  }
  static std::vector<const Tensor*>& inputs(HostTask& t) { return t.inputs_; }
  static std::vector<Tensor*>& outputs(HostTask& t) { return t.outputs_; }
};
}  // namespace detail

int HostGraph::add(HostSubgraph subgraph) {
  subgraphs_.push_back(std::move(subgraph));
  return static_cast<int>(subgraphs_.size()) - 1;
}

int HostGraph::add(std::string name, HostFn fn, std::vector<int> after, HostCost cost) {
  HostSubgraph sg;
  sg.name = std::move(name);
  sg.fn = std::move(fn);
  sg.after = std::move(after);
  sg.cost = cost;
  return add(std::move(sg));
}

struct HostSession::Impl {
  std::string name;
  HostSessionOptions options;
  std::vector<HostSubgraph> subgraphs;  // in unit (topological) order
  std::vector<int> unit_of;             // host id -> unit
  // Tensor slots: graph inputs first, then every produced tensor.
  std::vector<std::string> slot_names;
  std::vector<std::vector<uint32_t>> unit_inputs, unit_outputs;  // slots per unit
  std::vector<uint32_t> result_slots;                             // tensors no unit reads
  size_t num_graph_inputs = 0;
  std::shared_ptr<detail::RuntimeCore> runtime;
  std::unique_ptr<detail::Dsdg> dsdg;
  std::unique_ptr<detail::UnitExecutor> executor;
};

namespace {

Status bad_graph(const std::string& graph, const std::string& why) {
  return invalid_argument("host graph '" + graph + "': " + why);
}

class HostBody final : public detail::UnitBody {
 public:
  HostBody(const HostSession::Impl& impl, std::vector<Tensor>& slots, void* request, PrecisionMode mode)
      : impl_(impl), slots_(slots), request_(request), mode_(mode) {
    if (mode_ == PrecisionMode::kAdaptive && impl_.runtime->monitor() != nullptr)
      pressure_ = detail::PrecisionPressure::from(impl_.runtime->monitor()->current());
    if (mode_ != PrecisionMode::kF32) chosen_.reset(new Precision[impl_.subgraphs.size()]());
  }

  Status run(uint32_t unit, int threads) override {
    const HostSubgraph& sg = impl_.subgraphs[unit];
    HostFn const* fn = &sg.fn;
    Precision p = Precision::kF32;
    if (!sg.critical && mode_ != PrecisionMode::kF32) {
      uint32_t allowed = 1u << static_cast<unsigned>(Precision::kF32);
      for (const HostSubgraph::Variant& v : sg.variants)
        if (v.fn) allowed |= 1u << static_cast<unsigned>(v.precision);
      const Precision want =
          detail::choose_precision(allowed, mode_, pressure_, impl_.dsdg->compute_bound(unit), detail::native_bf16());
      for (const HostSubgraph::Variant& v : sg.variants)
        if (v.precision == want && v.fn) {
          fn = &v.fn;
          p = v.precision;
        }
      chosen_[unit] = p;
    }
    HostTask task;
    detail::HostTaskAccess::set(task, threads, p, request_);
    for (uint32_t s : impl_.unit_inputs[unit]) detail::HostTaskAccess::inputs(task).push_back(&slots_[s]);
    for (uint32_t s : impl_.unit_outputs[unit]) detail::HostTaskAccess::outputs(task).push_back(&slots_[s]);
    Status st = (*fn)(task);
    if (!st.ok()) return st.with_context("host subgraph '" + sg.name + "'");
    for (size_t i = 0; i < impl_.unit_outputs[unit].size(); ++i)
      if (!slots_[impl_.unit_outputs[unit][i]].defined())
        return internal_error("host subgraph '" + sg.name + "' did not set its output '" + sg.outputs[i] + "'");
    return {};
  }

  Precision precision_of(uint32_t unit) const override { return chosen_ ? chosen_[unit] : Precision::kF32; }

 private:
  const HostSession::Impl& impl_;
  std::vector<Tensor>& slots_;
  void* request_;
  const PrecisionMode mode_;
  detail::PrecisionPressure pressure_;     // read once per request (adaptive only)
  std::unique_ptr<Precision[]> chosen_;   // per unit, when not all f32
};

}  // namespace

Result<HostSession> HostSession::create(HostGraph graph, const HostSessionOptions& options) {
  const std::string& gname = graph.name();
  std::vector<HostSubgraph> in = graph.subgraphs();
  const int n = static_cast<int>(in.size());
  if (options.threads < 0) return invalid_argument("HostSessionOptions.threads must be >= 0");
  // Producers of named tensors.
  std::map<std::string, int> producer;
  for (int i = 0; i < n; ++i) {
    if (!in[static_cast<size_t>(i)].fn) return bad_graph(gname, "subgraph '" + in[static_cast<size_t>(i)].name + "' has no callable");
    for (const std::string& o : in[static_cast<size_t>(i)].outputs)
      if (!producer.emplace(o, i).second) return bad_graph(gname, "tensor '" + o + "' is produced twice");
  }
  // Dependencies: explicit ones and producer -> reader.
  std::vector<std::vector<int>> preds(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const HostSubgraph& sg = in[static_cast<size_t>(i)];
    for (int d : sg.after) {
      if (d < 0 || d >= n) return bad_graph(gname, "subgraph '" + sg.name + "' waits for unknown id " + std::to_string(d));
      if (d == i) return bad_graph(gname, "subgraph '" + sg.name + "' waits for itself");
      preds[static_cast<size_t>(i)].push_back(d);
    }
    for (const std::string& name : sg.inputs)
      if (auto it = producer.find(name); it != producer.end()) {
        if (it->second == i) return bad_graph(gname, "subgraph '" + sg.name + "' reads its own output '" + name + "'");
        preds[static_cast<size_t>(i)].push_back(it->second);
      }
    std::sort(preds[static_cast<size_t>(i)].begin(), preds[static_cast<size_t>(i)].end());
    preds[static_cast<size_t>(i)].erase(std::unique(preds[static_cast<size_t>(i)].begin(), preds[static_cast<size_t>(i)].end()),
                                        preds[static_cast<size_t>(i)].end());
  }
  // Topological order (Kahn, lowest id first: deterministic).
  std::vector<std::vector<int>> succs(static_cast<size_t>(n));
  std::vector<int> indegree(static_cast<size_t>(n), 0);
  for (int i = 0; i < n; ++i)
    for (int p : preds[static_cast<size_t>(i)]) {
      succs[static_cast<size_t>(p)].push_back(i);
      ++indegree[static_cast<size_t>(i)];
    }
  std::vector<int> order, ready;
  for (int i = n - 1; i >= 0; --i)
    if (indegree[static_cast<size_t>(i)] == 0) ready.push_back(i);
  while (!ready.empty()) {
    std::sort(ready.begin(), ready.end(), std::greater<int>());
    int i = ready.back();
    ready.pop_back();
    order.push_back(i);
    for (int s : succs[static_cast<size_t>(i)])
      if (--indegree[static_cast<size_t>(s)] == 0) ready.push_back(s);
  }
  if (static_cast<int>(order.size()) != n) {
    std::string stuck;
    for (int i = 0; i < n; ++i)
      if (indegree[static_cast<size_t>(i)] > 0) stuck += (stuck.empty() ? "'" : ", '") + in[static_cast<size_t>(i)].name + "'";
    return bad_graph(gname, "the dependencies have a cycle through " + stuck);
  }

  auto impl = std::make_unique<Impl>();
  impl->name = gname;
  impl->options = options;
  impl->unit_of.assign(static_cast<size_t>(n), 0);
  for (int u = 0; u < n; ++u) impl->unit_of[static_cast<size_t>(order[static_cast<size_t>(u)])] = u;
  // Slots: graph inputs (read, never produced), then produced tensors.
  std::map<std::string, uint32_t> slot;
  std::map<std::string, int> readers;
  for (int h : order)
    for (const std::string& name : in[static_cast<size_t>(h)].inputs) {
      ++readers[name];
      if (!producer.count(name) && slot.emplace(name, static_cast<uint32_t>(impl->slot_names.size())).second)
        impl->slot_names.push_back(name);
    }
  impl->num_graph_inputs = impl->slot_names.size();
  for (int h : order)
    for (const std::string& name : in[static_cast<size_t>(h)].outputs) {
      slot.emplace(name, static_cast<uint32_t>(impl->slot_names.size()));
      impl->slot_names.push_back(name);
      if (!readers.count(name)) impl->result_slots.push_back(slot[name]);
    }

  // The plan: one subgraph per host subgraph, in topological order.
  detail::PartitionPlan plan;
  const detail::MachineBalance& balance = detail::machine_balance();
  for (int u = 0; u < n; ++u) {
    const int h = order[static_cast<size_t>(u)];
    HostSubgraph& sg = in[static_cast<size_t>(h)];
    detail::Subgraph s;
    s.id = static_cast<detail::SubgraphId>(u);
    for (int p : preds[static_cast<size_t>(h)]) s.preds.push_back(static_cast<detail::SubgraphId>(impl->unit_of[static_cast<size_t>(p)]));
    for (int c : succs[static_cast<size_t>(h)]) s.succs.push_back(static_cast<detail::SubgraphId>(impl->unit_of[static_cast<size_t>(c)]));
    std::sort(s.preds.begin(), s.preds.end());
    std::sort(s.succs.begin(), s.succs.end());
    s.cost.flops = std::max(0.0, sg.cost.flops);
    s.cost.bytes_read = std::max(0.0, sg.cost.bytes);
    s.peak_working_set = std::max(0.0, sg.cost.memory_bytes);
    s.compute_bound = balance.balance() > 0 && s.cost.intensity() > balance.balance();
    plan.subgraphs.push_back(std::move(s));
    std::vector<uint32_t> ins, outs;
    for (const std::string& name : sg.inputs) ins.push_back(slot[name]);
    for (const std::string& name : sg.outputs) outs.push_back(slot[name]);
    impl->unit_inputs.push_back(std::move(ins));
    impl->unit_outputs.push_back(std::move(outs));
    impl->subgraphs.push_back(std::move(sg));
  }
  for (const detail::Subgraph& s : plan.subgraphs)
    for (detail::SubgraphId t : s.succs) plan.edges.push_back({s.id, t, 0});

  impl->runtime = options.runtime ? options.runtime->core_ptr() : detail::RuntimeCore::default_runtime();
  detail::DsdgOptions dsdg_options;
  dsdg_options.balance = balance;
  impl->dsdg = std::make_unique<detail::Dsdg>(std::move(plan), dsdg_options);
  const int threads = options.threads > 0 ? options.threads : impl->runtime->threads();
  impl->executor = std::make_unique<detail::UnitExecutor>(impl->runtime->dispatcher(), *impl->dsdg, threads);
  impl->executor->set_priority(options.priority);
  return HostSession(std::move(impl));
}

HostSession::HostSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HostSession::HostSession(HostSession&&) noexcept = default;
HostSession& HostSession::operator=(HostSession&&) noexcept = default;
HostSession::~HostSession() = default;

Result<NamedTensors> HostSession::run(const NamedTensors& inputs, void* request, const RunOptions& options) const {
  const Impl& impl = *impl_;
  std::vector<Tensor> slots(impl.slot_names.size());
  for (const auto& [name, t] : inputs) {
    auto it = std::find(impl.slot_names.begin(), impl.slot_names.begin() + static_cast<std::ptrdiff_t>(impl.num_graph_inputs), name);
    if (it == impl.slot_names.begin() + static_cast<std::ptrdiff_t>(impl.num_graph_inputs))
      return invalid_argument("host graph '" + impl.name + "': no subgraph reads an input named '" + name + "'");
    slots[static_cast<size_t>(it - impl.slot_names.begin())] = t;
  }
  for (size_t i = 0; i < impl.num_graph_inputs; ++i)
    if (!slots[i].defined())
      return invalid_argument("host graph '" + impl.name + "': missing input '" + impl.slot_names[i] + "'");
  HostBody body(impl, slots, request, options.precision.value_or(impl.options.precision));
  Status st = impl.executor->run(body, options.mode.value_or(impl.options.mode), options);
  if (!st.ok()) return st;
  NamedTensors out;
  for (uint32_t s : impl.result_slots) out[impl.slot_names[s]] = slots[s];
  return out;
}

std::vector<SubgraphProfile> HostSession::subgraph_profile() const {
  const Impl& impl = *impl_;
  std::vector<SubgraphProfile> out(impl.subgraphs.size());
  for (size_t h = 0; h < impl.unit_of.size(); ++h) {
    const auto u = static_cast<detail::SubgraphId>(impl.unit_of[h]);
    SubgraphProfile& p = out[h];
    p = detail::learned_profile(*impl.dsdg, u);
    p.id = static_cast<int>(h);  // the host's id, not the unit's
    p.nodes = 1;
    p.first_node = p.last_node = impl.subgraphs[u].name;
  }
  return out;
}

}  // namespace braid
