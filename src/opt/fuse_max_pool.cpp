// MaxPool after a convolution (Conv -> [Relu ->] MaxPool 3x3/2 or 2x2/2) becomes the Conv's
// braid_fused_max_pool = [k, stride, pad]: the Conv kernel pools groups of its output rows
// while they are in cache, so the convolution's output is never written to memory nor
// read back (3.2 MB for a 224 x 224 stem, 2.4 MB for inception's 3x3 64 -> 192 at 56 x 56).
// Taken where the narrow-input kernel (nn_conv_narrow.h), which pools in place, runs the
// convolution: the RGB stems whatever the shape, wider layers where the input shape is
// known and this CPU has the kernel. Other Convs would only pool from a scratch.
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/ops/nn_conv_attrs.h"
#include "kernels/ops/nn_conv_narrow.h"
#include "opt/passes.h"
#include "opt/rewrite_util.h"

namespace braid::detail {
namespace {

// Up to this many input channels (the stems) the narrow-input kernel takes any shape.
constexpr int64_t kMaxInputChannels = 4;

const std::vector<int64_t>* ints_attr(const Node& n, const char* name) {
  const Attribute* a = n.find_attribute(name);
  return a != nullptr && a->kind == Attribute::Kind::kInts ? &a->ints : nullptr;
}

bool all_equal(const std::vector<int64_t>* v, size_t size, int64_t value, bool absent_ok) {
  if (v == nullptr) return absent_ok;
  if (v->size() != size) return false;
  for (int64_t x : *v)
    if (x != value) return false;
  return true;
}

// Whether the narrow-input kernel runs this Conv (weights `w`) with a fused pool: the
// stems, or a layer whose declared input shape gives a geometry it takes (the question
// the Conv kernel asks again at load, narrow_geometry).
bool narrow_kernel_takes(const Graph& g, const Node& conv, const Tensor& w) {
  if (w.dim(1) <= kMaxInputChannels) return true;
  if (narrow_conv_for(cpu_features()) == nullptr) return false;
  const auto& in = g.values[conv.inputs[0]].shape;
  if (!in) return false;
  Shape x;
  for (const Dim& d : *in) {
    if (!d.known()) return false;
    x.push_back(d.value);
  }
  auto attrs = parse_conv_attrs(conv, false);
  if (!attrs.ok()) return false;
  auto geometry = conv_geometry(conv, *attrs, x, w.shape());
  return geometry.ok() && narrow_geometry(*geometry, true);
}

// The pool's window k (3 with pads 1, or 2 with none; stride 2, floor rounding, no
// dilation, no Indices output), or 0 when it is anything else.
int64_t fusable_pool(const Node& pool) {
  if (pool.op_type != "MaxPool" || !pool.domain.empty() || pool.inputs.size() != 1 || !single_output(pool)) return 0;
  const std::vector<int64_t>* k = ints_attr(pool, "kernel_shape");
  if (k == nullptr || k->size() != 2 || (*k)[0] != (*k)[1] || ((*k)[0] != 2 && (*k)[0] != 3)) return 0;
  const int64_t window = (*k)[0];
  const Attribute* ceil = pool.find_attribute("ceil_mode");
  const Attribute* auto_pad = pool.find_attribute("auto_pad");
  if ((ceil != nullptr && !(ceil->kind == Attribute::Kind::kInt && ceil->i == 0)) ||
      (auto_pad != nullptr && !(auto_pad->kind == Attribute::Kind::kString && auto_pad->s == "NOTSET")))
    return 0;
  if (!all_equal(ints_attr(pool, "strides"), 2, 2, false) || !all_equal(ints_attr(pool, "dilations"), 2, 1, true) ||
      !all_equal(ints_attr(pool, "pads"), 4, window == 3 ? 1 : 0, window == 2))
    return 0;
  return window;
}

}  // namespace

Result<int> fuse_max_pool(Graph& g) {
  const std::vector<bool> is_output = graph_output_flags(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int fused = 0;
  for (NodeId c = 0; c < g.nodes.size(); ++c) {
    const Node& conv = g.nodes[c];
    if (conv.op_type != "Conv" || !conv.domain.empty() || !single_output(conv)) continue;
    if (conv.find_attribute("braid_fused_max_pool") != nullptr) continue;
    if (conv.inputs.size() < 2 || conv.inputs.size() > 3 || !is_f32_value(g, conv.inputs[0]) ||
        !is_f32_value(g, conv.outputs[0]))
      continue;
    const Attribute* group = conv.find_attribute("group");
    if (group != nullptr && !(group->kind == Attribute::Kind::kInt && group->i == 1)) continue;
    const Tensor* w = constant_input(g, conv, 1);
    if (w == nullptr || w->dtype() != DataType::kFloat32 || w->rank() != 4 || !narrow_kernel_takes(g, conv, *w)) continue;
    const NodeId p = sole_consumer(g, is_output, conv.outputs[0]);
    if (p == kNoNode || dead[p]) continue;
    const int64_t window = fusable_pool(g.nodes[p]);
    if (window == 0 || !is_f32_value(g, g.nodes[p].outputs[0])) continue;
    Attribute a;
    a.name = "braid_fused_max_pool";
    a.kind = Attribute::Kind::kInts;
    a.ints = {window, 2, window == 3 ? 1 : 0};
    g.nodes[c].attributes.push_back(std::move(a));
    absorb_follower(g, c, p, dead);
    ++fused;
  }
  if (fused > 0) BRAID_RETURN_IF_ERROR(remove_nodes(g, dead));
  return fused;
}

}  // namespace braid::detail
