// Einsum (opset 12+): the equation is parsed and checked at load. Two-operand contractions
// without diagonals or broadcasting (matmul, batched matmul, inner/outer products) become
// permute + batched GEMM + permute; everything else (transpose, reductions, diagonals,
// broadcasting, 3+ operands) runs one generic strided loop over all labels.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/attributes.h"
#include "kernels/dispatch.h"
#include "kernels/gemm/gemm.h"
#include "kernels/ops/nn_kernels.h"
#include "kernels/ops/nn_loops.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

constexpr int kLetters = 52;  // a-z, A-Z; ellipsis dims get ids kLetters + i

struct Term {
  std::vector<int> labels;  // letter ids; -1 marks the ellipsis position
  bool has_ellipsis = false;
};

struct Equation {
  std::vector<Term> inputs;
  Term output;
  bool explicit_output = false;
};

int letter_id(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
  return -2;
}

Result<Term> parse_term(const Node& node, const std::string& s) {
  Term t;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (t.has_ellipsis || s.compare(i, 3, "...") != 0) return bad_node(node, "malformed ellipsis in '" + s + "'");
      t.has_ellipsis = true;
      t.labels.push_back(-1);
      i += 2;
      continue;
    }
    const int id = letter_id(s[i]);
    if (id < 0) return bad_node(node, std::string("invalid label '") + s[i] + "' in equation");
    t.labels.push_back(id);
  }
  return t;
}

Result<Equation> parse_equation(const Node& node, std::string eq) {
  eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
  Equation e;
  const size_t arrow = eq.find("->");
  const std::string lhs = arrow == std::string::npos ? eq : eq.substr(0, arrow);
  size_t start = 0;
  while (true) {
    const size_t comma = lhs.find(',', start);
    BRAID_ASSIGN_OR_RETURN(Term t, parse_term(node, lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    e.inputs.push_back(std::move(t));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (arrow != std::string::npos) {
    e.explicit_output = true;
    BRAID_ASSIGN_OR_RETURN(e.output, parse_term(node, eq.substr(arrow + 2)));
  }
  return e;
}

// One call's resolved labels: per-label size, each operand's per-label element stride.
struct Plan {
  std::vector<int64_t> size;                 // per label id
  std::vector<std::vector<int>> in_labels;   // per operand, per dim
  std::vector<int> out_labels;               // per output dim
  Shape out_shape;
};

Result<Plan> make_plan(const Node& node, const Equation& e, const std::vector<const Tensor*>& in) {
  if (e.inputs.size() != in.size())
    return bad_node(node, "equation has " + std::to_string(e.inputs.size()) + " operands but the node has " +
                              std::to_string(in.size()) + " inputs");
  size_t ell = 0;  // broadcast rank of the ellipsis
  std::vector<size_t> ell_rank(in.size(), 0);
  for (size_t i = 0; i < in.size(); ++i) {
    const size_t explicit_dims = e.inputs[i].labels.size() - (e.inputs[i].has_ellipsis ? 1 : 0);
    const size_t rank = static_cast<size_t>(in[i]->rank());
    if (rank < explicit_dims || (!e.inputs[i].has_ellipsis && rank != explicit_dims))
      return bad_node(node, "operand " + std::to_string(i) + " of shape " + shape_to_string(in[i]->shape()) +
                                " does not match its subscripts");
    ell_rank[i] = rank - explicit_dims;
    ell = std::max(ell, ell_rank[i]);
  }
  Plan p;
  p.size.assign(kLetters + ell, -1);
  std::vector<int> count(kLetters + ell, 0);
  p.in_labels.resize(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    for (int l : e.inputs[i].labels) {
      if (l >= 0) {
        p.in_labels[i].push_back(l);
        continue;
      }
      for (size_t t = 0; t < ell_rank[i]; ++t) p.in_labels[i].push_back(static_cast<int>(kLetters + ell - ell_rank[i] + t));
    }
    for (size_t d = 0; d < p.in_labels[i].size(); ++d) {
      const int l = p.in_labels[i][d];
      const int64_t n = in[i]->dim(d);
      ++count[static_cast<size_t>(l)];
      int64_t& s = p.size[static_cast<size_t>(l)];
      if (s == -1 || s == 1) s = n;
      else if (n != s && n != 1)
        return bad_node(node, "label sizes differ (" + std::to_string(s) + " vs " + std::to_string(n) + ")");
    }
  }
  if (e.explicit_output) {
    for (int l : e.output.labels) {
      if (l < 0) {
        for (size_t t = 0; t < ell; ++t) p.out_labels.push_back(static_cast<int>(kLetters + t));
        continue;
      }
      if (p.size[static_cast<size_t>(l)] == -1) return bad_node(node, "output label does not appear in any input");
      if (std::count(p.out_labels.begin(), p.out_labels.end(), l) > 0)
        return bad_node(node, "output label repeated");
      p.out_labels.push_back(l);
    }
  } else {
    for (size_t t = 0; t < ell; ++t) p.out_labels.push_back(static_cast<int>(kLetters + t));
    // Implicit output: letters seen exactly once, in ASCII order (upper case first).
    std::vector<int> once;
    for (int l = 0; l < kLetters; ++l)
      if (count[static_cast<size_t>(l)] == 1) once.push_back(l);
    std::sort(once.begin(), once.end(), [](int a, int b) {
      auto ascii = [](int id) { return id < 26 ? 'a' + id : 'A' + (id - 26); };
      return ascii(a) < ascii(b);
    });
    p.out_labels.insert(p.out_labels.end(), once.begin(), once.end());
  }
  for (int l : p.out_labels) p.out_shape.push_back(std::max<int64_t>(p.size[static_cast<size_t>(l)], 0));
  return p;
}

// Element stride of each label in a tensor (0 for broadcast or absent labels).
std::vector<int64_t> label_strides(const Plan& p, const std::vector<int>& labels, const Shape& shape) {
  std::vector<int64_t> st(p.size.size(), 0);
  int64_t s = 1;
  for (size_t d = labels.size(); d-- > 0;) {
    if (shape[d] != 1) st[static_cast<size_t>(labels[d])] += s;
    s *= shape[d];
  }
  return st;
}

// Generic evaluation: out[o] = sum over the other labels of prod_i in_i[...].
template <class T>
void generic_einsum(const Plan& p, const std::vector<const Tensor*>& in, T* out) {
  // Floats sum in double; integers wrap around (unsigned).
  using Acc = typename LoopAccumulator<std::conditional_t<std::is_floating_point_v<T>, double, T>>::type;
  std::vector<int> loop = p.out_labels;
  const size_t n_out = loop.size();
  for (size_t l = 0; l < p.size.size(); ++l)
    if (p.size[l] > 0 && std::find(loop.begin(), loop.end(), static_cast<int>(l)) == loop.end())
      loop.push_back(static_cast<int>(l));
  const size_t nl = loop.size();
  std::vector<std::vector<int64_t>> strides(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const auto st = label_strides(p, p.in_labels[i], in[i]->shape());
    for (int l : loop) strides[i].push_back(st[static_cast<size_t>(l)]);
  }
  std::vector<int64_t> sizes;
  for (int l : loop) sizes.push_back(p.size[static_cast<size_t>(l)]);
  int64_t inner = 1, out_numel = 1;
  for (size_t d = n_out; d < nl; ++d) inner *= sizes[d];
  for (size_t d = 0; d < n_out; ++d) out_numel *= sizes[d];
  // One odometer over every label (output labels outermost): each run of `inner` steps
  // sums one output element.
  std::vector<int64_t> idx(nl, 0), off(in.size(), 0);
  Acc sum = 0;
  const int64_t total = out_numel * inner;
  for (int64_t t = 0; t < total; ++t) {
    Acc prod = 1;
    for (size_t i = 0; i < in.size(); ++i) prod *= static_cast<Acc>(in[i]->data<T>()[off[i]]);
    sum += prod;
    if ((t + 1) % inner == 0) {
      out[t / inner] = static_cast<T>(sum);
      sum = 0;
    }
    for (size_t d = nl; d-- > 0;) {
      for (size_t i = 0; i < in.size(); ++i) off[i] += strides[i][d];
      if (++idx[d] < sizes[d]) break;
      for (size_t i = 0; i < in.size(); ++i) off[i] -= strides[i][d] * sizes[d];
      idx[d] = 0;
    }
  }
}

// Copies `src` (labels src_labels, shape src_shape) into dst laid out in `dst_labels` order.
template <class T>
void permute_copy(const Plan& p, const T* src, const std::vector<int>& src_labels, const Shape& src_shape,
                  const std::vector<int>& dst_labels, T* dst) {
  const auto st = label_strides(p, src_labels, src_shape);
  const size_t r = dst_labels.size();
  std::vector<int64_t> sizes(r), strides(r), idx(r, 0);
  int64_t total = 1;
  for (size_t d = 0; d < r; ++d) {
    sizes[d] = p.size[static_cast<size_t>(dst_labels[d])];
    strides[d] = st[static_cast<size_t>(dst_labels[d])];
    total *= sizes[d];
  }
  int64_t off = 0;
  for (int64_t i = 0; i < total; ++i) {
    dst[i] = src[off];
    for (size_t d = r; d-- > 0;) {
      off += strides[d];
      if (++idx[d] < sizes[d]) break;
      off -= strides[d] * sizes[d];
      idx[d] = 0;
    }
  }
}

// Two operands, every label at most once per operand, no size-1 broadcasting, and every
// label in the output or in both operands: a batched GEMM.
template <class T>
bool try_contraction(const Gemm& gemm, const Plan& p, const std::vector<const Tensor*>& in, T* out, int threads) {
  if (in.size() != 2) return false;
  std::vector<int> batch, ml, nl, kl;
  auto has = [](const std::vector<int>& v, int l) { return std::find(v.begin(), v.end(), l) != v.end(); };
  for (size_t i = 0; i < 2; ++i) {
    const auto& labels = p.in_labels[i];
    for (size_t d = 0; d < labels.size(); ++d) {
      if (std::count(labels.begin(), labels.end(), labels[d]) > 1) return false;
      if (in[i]->dim(d) != p.size[static_cast<size_t>(labels[d])]) return false;
    }
  }
  for (int l : p.in_labels[0]) {
    const bool in_b = has(p.in_labels[1], l), in_out = has(p.out_labels, l);
    if (in_b && in_out) batch.push_back(l);
    else if (in_b) kl.push_back(l);
    else if (in_out) ml.push_back(l);
    else return false;  // summed over one operand only
  }
  for (int l : p.in_labels[1])
    if (!has(p.in_labels[0], l)) {
      if (!has(p.out_labels, l)) return false;
      nl.push_back(l);
    }
  auto prod = [&](const std::vector<int>& v) {
    int64_t x = 1;
    for (int l : v) x *= p.size[static_cast<size_t>(l)];
    return x;
  };
  const int64_t nb = prod(batch), m = prod(ml), n = prod(nl), k = prod(kl);
  std::vector<int> a_order = batch, b_order = batch, c_order = batch;
  a_order.insert(a_order.end(), ml.begin(), ml.end());
  a_order.insert(a_order.end(), kl.begin(), kl.end());
  b_order.insert(b_order.end(), kl.begin(), kl.end());
  b_order.insert(b_order.end(), nl.begin(), nl.end());
  c_order.insert(c_order.end(), ml.begin(), ml.end());
  c_order.insert(c_order.end(), nl.begin(), nl.end());
  std::vector<T> a(static_cast<size_t>(nb * m * k)), b(static_cast<size_t>(nb * k * n));
  permute_copy(p, in[0]->data<T>(), p.in_labels[0], in[0]->shape(), a_order, a.data());
  permute_copy(p, in[1]->data<T>(), p.in_labels[1], in[1]->shape(), b_order, b.data());
  const bool direct = c_order == p.out_labels;
  std::vector<T> c(direct ? 0 : static_cast<size_t>(nb * m * n));
  T* cp = direct ? out : c.data();
  for (int64_t i = 0; i < nb; ++i) {
    if constexpr (std::is_same_v<T, float>) {
      GemmArgs g;
      g.m = m;
      g.n = n;
      g.k = k;
      g.a = a.data() + i * m * k;
      g.lda = k;
      g.b = b.data() + i * k * n;
      g.ldb = n;
      g.c = cp + i * m * n;
      g.ldc = n;
      gemm.run(g, threads);
    } else {
      gemm_loop<T>(false, false, m, n, k, T(1), a.data() + i * m * k, k, b.data() + i * k * n, n, T(0),
                   cp + i * m * n, n);
    }
  }
  if (!direct) {
    Shape c_shape;
    for (int l : c_order) c_shape.push_back(p.size[static_cast<size_t>(l)]);
    permute_copy(p, c.data(), c_order, c_shape, p.out_labels, out);
  }
  return true;
}

class EinsumKernel final : public OpKernel {
 public:
  explicit EinsumKernel(Equation eq) : eq_(std::move(eq)) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    std::vector<const Tensor*> in;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      if (!ctx.input(i)) return bad_node(node, "missing input " + std::to_string(i));
      if (ctx.input(i)->dtype() != ctx.input(0)->dtype()) return bad_node(node, "inputs must share one dtype");
      in.push_back(ctx.input(i));
    }
    if (in.empty()) return bad_node(node, "needs at least one input");
    BRAID_ASSIGN_OR_RETURN(Plan p, make_plan(node, eq_, in));
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, in[0]->dtype(), p.out_shape));
    if (y->numel() == 0) return {};
    for (const Tensor* t : in)
      if (t->numel() == 0) {
        // An empty contraction: every output element is an empty sum.
        std::memset(y->raw_data(), 0, y->byte_size());
        return {};
      }
    return dispatch_dtype_or<float, double, int32_t, int64_t, uint32_t, uint64_t>(
        in[0]->dtype(),
        [&](auto tag) -> Status {
          using T = decltype(tag);
          if (!try_contraction<T>(gemm_, p, in, y->data<T>(), ctx.max_threads)) generic_einsum<T>(p, in, y->data<T>());
          return {};
        },
        [&] { return unsupported_dtype(node, in[0]->dtype()); });
  }

 private:
  Equation eq_;
  Gemm gemm_;
};

Result<std::unique_ptr<OpKernel>> make_einsum(const KernelInit& init) {
  const Node& node = *init.node;
  for (size_t i = 0; i < init.num_inputs(); ++i) {
    const DataType t = init.input_dtype(i);
    if (t != DataType::kUndefined && t != DataType::kFloat32 && t != DataType::kFloat64 && t != DataType::kInt32 &&
        t != DataType::kInt64 && t != DataType::kUInt32 && t != DataType::kUInt64)
      return unsupported_dtype(node, t);
  }
  if (!has_attr(node, "equation")) return bad_node(node, "missing attribute 'equation'");
  BRAID_ASSIGN_OR_RETURN(Equation eq, parse_equation(node, attr_string(node, "equation", "")));
  if (eq.inputs.size() != init.num_inputs())
    return bad_node(node, "equation has " + std::to_string(eq.inputs.size()) + " operands but the node has " +
                              std::to_string(init.num_inputs()) + " inputs");
  return std::unique_ptr<OpKernel>(new EinsumKernel(std::move(eq)));
}

}  // namespace

void register_nn_einsum(OpRegistry& r) { r.add({"", "Einsum", 12, 1 << 30, make_einsum}); }

}  // namespace braid::detail
