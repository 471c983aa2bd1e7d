// LSTM, GRU and RNN (opsets 1-21): forward, reverse and bidirectional, sequence_lens,
// initial_h / initial_c, LSTM peepholes and input_forget, GRU linear_before_reset, clip,
// activation lists, and the batch-major layout of opset 14.
//
// Per direction, the input projection of every time step is one GEMM (X * W^T, biases
// folded in); each step then adds H_{t-1} * R^T and applies the gates. Batch rows past
// their sequence length keep their state and write zeros to Y. Matrix products use Eigen
// on the tensors' memory (no copies of W / R).
#include <Eigen/Core>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/attributes.h"
#include "kernels/dispatch.h"
#include "kernels/ops/misc_kernels.h"
#include "kernels/ops/misc_rnn_activation.h"
#include "kernels/registry.h"

namespace braid::detail {
namespace {

using misc::Activation;

enum class Cell { kLstm, kGru, kRnn };
enum class Direction { kForward, kReverse, kBidirectional };

int gate_count(Cell c) { return c == Cell::kLstm ? 4 : c == Cell::kGru ? 3 : 1; }

struct RnnAttributes {
  Cell cell = Cell::kLstm;
  int64_t hidden = 0;  // 0: taken from R at run time
  Direction direction = Direction::kForward;
  int num_directions = 1;
  std::vector<Activation> activations;  // per direction: LSTM f,g,h; GRU f,g; RNN f
  bool has_clip = false;
  float clip = 0;
  bool input_forget = false;         // LSTM
  bool linear_before_reset = false;  // GRU
  bool batch_major = false;          // layout = 1
};

// Input slots.
constexpr size_t kX = 0, kW = 1, kR = 2, kB = 3, kSeqLens = 4, kInitH = 5, kInitC = 6, kP = 7;

template <class T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Validated shapes of one call.
struct RnnDims {
  int64_t seq = 0, batch = 0, input = 0, hidden = 0, gates = 0;  // gates = count * hidden
};

template <class T>
void clip_row(T* x, int64_t n, bool enabled, float clip) {
  if (!enabled) return;
  const T c = static_cast<T>(clip);
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] < -c ? -c : x[i] > c ? c : x[i];
}

class RnnKernel final : public OpKernel {
 public:
  explicit RnnKernel(RnnAttributes a) : a_(std::move(a)) {}

  Status compute(KernelContext& ctx) const override {
    const Node& node = *ctx.node;
    const Tensor* x = ctx.input(kX);
    if (x == nullptr || ctx.input(kW) == nullptr || ctx.input(kR) == nullptr)
      return bad_node(node, "needs inputs X, W and R");
    return dispatch_dtype_or<float, double>(
        x->dtype(), [&](auto tag) { return run<decltype(tag)>(ctx); },
        [&] { return unsupported_dtype(node, x->dtype()); });
  }

 private:
  Status check_dims(const KernelContext& ctx, RnnDims& d) const {
    const Node& node = *ctx.node;
    const Tensor *x = ctx.input(kX), *w = ctx.input(kW), *r = ctx.input(kR);
    const int64_t dirs = a_.num_directions, g = gate_count(a_.cell);
    for (const Tensor* t : {w, r})
      if (t->dtype() != x->dtype()) return bad_node(node, "W and R must have the dtype of X");
    if (x->rank() != 3) return bad_node(node, "X must have rank 3, got " + shape_to_string(x->shape()));
    d.seq = a_.batch_major ? x->dim(1) : x->dim(0);
    d.batch = a_.batch_major ? x->dim(0) : x->dim(1);
    d.input = x->dim(2);
    if (r->rank() != 3) return bad_node(node, "R must have rank 3, got " + shape_to_string(r->shape()));
    d.hidden = a_.hidden > 0 ? a_.hidden : r->dim(2);
    d.gates = g * d.hidden;
    auto expect = [&](const Tensor* t, const char* name, Shape want) -> Status {
      if (t != nullptr && t->shape() != want)
        return bad_node(node, std::string(name) + " has shape " + shape_to_string(t->shape()) + ", expected " +
                                  shape_to_string(want));
      if (t != nullptr && t->dtype() != x->dtype() && std::string(name) != "sequence_lens")
        return bad_node(node, std::string(name) + " must have the dtype of X");
      return {};
    };
    BRAID_RETURN_IF_ERROR(expect(w, "W", {dirs, d.gates, d.input}));
    BRAID_RETURN_IF_ERROR(expect(r, "R", {dirs, d.gates, d.hidden}));
    BRAID_RETURN_IF_ERROR(expect(ctx.input(kB), "B", {dirs, 2 * d.gates}));
    const Shape state = a_.batch_major ? Shape{d.batch, dirs, d.hidden} : Shape{dirs, d.batch, d.hidden};
    BRAID_RETURN_IF_ERROR(expect(ctx.input(kInitH), "initial_h", state));
    if (a_.cell == Cell::kLstm) {
      BRAID_RETURN_IF_ERROR(expect(ctx.input(kInitC), "initial_c", state));
      BRAID_RETURN_IF_ERROR(expect(ctx.input(kP), "P", {dirs, 3 * d.hidden}));
    }
    if (const Tensor* sl = ctx.input(kSeqLens)) {
      if (sl->dtype() != DataType::kInt32) return unsupported_dtype(node, sl->dtype(), "sequence_lens");
      BRAID_RETURN_IF_ERROR(expect(sl, "sequence_lens", {d.batch}));
      for (int64_t b = 0; b < d.batch; ++b) {
        const int32_t len = sl->data<int32_t>()[b];
        if (len < 0 || len > d.seq)
          return bad_node(node, "sequence_lens[" + std::to_string(b) + "] = " + std::to_string(len) +
                                    " is outside [0, " + std::to_string(d.seq) + "]");
      }
    }
    return {};
  }

  template <class T>
  Status run(KernelContext& ctx) const {
    const Node& node = *ctx.node;
    RnnDims d;
    BRAID_RETURN_IF_ERROR(check_dims(ctx, d));
    const int64_t dirs = a_.num_directions;
    const Shape y_shape = a_.batch_major ? Shape{d.batch, d.seq, dirs, d.hidden} : Shape{d.seq, dirs, d.batch, d.hidden};
    const Shape state_shape = a_.batch_major ? Shape{d.batch, dirs, d.hidden} : Shape{dirs, d.batch, d.hidden};
    const DataType dtype = ctx.input(kX)->dtype();
    auto want = [&](size_t i) { return ctx.outputs.size() > i && node.outputs[i] != kNoValue; };
    T* y = nullptr;
    T* y_h = nullptr;
    T* y_c = nullptr;
    if (want(0)) {
      BRAID_ASSIGN_OR_RETURN(Tensor * t, ctx.allocate_output(0, dtype, y_shape));
      y = t->template data<T>();
      std::fill(y, y + t->numel(), T(0));
    }
    if (want(1)) {
      BRAID_ASSIGN_OR_RETURN(Tensor * t, ctx.allocate_output(1, dtype, state_shape));
      y_h = t->template data<T>();
    }
    if (a_.cell == Cell::kLstm && want(2)) {
      BRAID_ASSIGN_OR_RETURN(Tensor * t, ctx.allocate_output(2, dtype, state_shape));
      y_c = t->template data<T>();
    }
    if (d.batch == 0 || d.hidden == 0) return {};

    std::vector<int64_t> lens(static_cast<size_t>(d.batch), d.seq);
    if (const Tensor* sl = ctx.input(kSeqLens))
      for (int64_t b = 0; b < d.batch; ++b) lens[b] = sl->data<int32_t>()[b];

    for (int64_t dir = 0; dir < dirs; ++dir) {
      const bool reverse = a_.direction == Direction::kReverse || dir == 1;
      run_direction<T>(ctx, d, dir, reverse, lens, y, y_h, y_c);
    }
    return {};
  }

  // Offsets of (time, batch) rows of X, of (time, dir, batch) rows of Y and (dir, batch) of states.
  int64_t x_row(const RnnDims& d, int64_t t, int64_t b) const { return a_.batch_major ? b * d.seq + t : t * d.batch + b; }
  int64_t y_row(const RnnDims& d, int64_t t, int64_t dir, int64_t b) const {
    return a_.batch_major ? (b * d.seq + t) * a_.num_directions + dir : (t * a_.num_directions + dir) * d.batch + b;
  }
  int64_t state_row(const RnnDims& d, int64_t dir, int64_t b) const {
    return a_.batch_major ? b * a_.num_directions + dir : dir * d.batch + b;
  }

  template <class T>
  void run_direction(KernelContext& ctx, const RnnDims& d, int64_t dir, bool reverse, const std::vector<int64_t>& lens,
                     T* y, T* y_h, T* y_c) const {
    using MapC = Eigen::Map<const Mat<T>>;
    const int64_t H = d.hidden, G = d.gates, B = d.batch, S = d.seq;
    const T* xd = ctx.input(kX)->template data<T>();
    const T* wd = ctx.input(kW)->template data<T>() + dir * G * d.input;
    const T* rd = ctx.input(kR)->template data<T>() + dir * G * H;
    const Tensor* bias_t = ctx.input(kB);
    const T* wb = bias_t ? bias_t->template data<T>() + dir * 2 * G : nullptr;
    const T* rb = wb ? wb + G : nullptr;
    const Activation* act = a_.activations.data() + dir * (a_.cell == Cell::kLstm ? 3 : a_.cell == Cell::kGru ? 2 : 1);

    // Input projection of every (time, batch) row, with the biases that sit outside any gate
    // product folded in (GRU with linear_before_reset keeps Rb_h for the per-step term).
    Mat<T> xw(S * B, G);
    if (S * B > 0 && d.input > 0) xw.noalias() = MapC(xd, S * B, d.input) * MapC(wd, G, d.input).transpose();
    else xw.setZero();
    if (wb != nullptr) {
      for (int64_t j = 0; j < G; ++j) {
        const bool keep_rb_out = a_.cell == Cell::kGru && a_.linear_before_reset && j >= 2 * H;
        const T add = wb[j] + (keep_rb_out ? T(0) : rb[j]);
        xw.col(j).array() += add;
      }
    }

    // State: h (and c) of every batch row, [B, H].
    Mat<T> h(B, H), c;
    const Tensor* init_h = ctx.input(kInitH);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < H; ++i) h(b, i) = init_h ? init_h->template data<T>()[state_row(d, dir, b) * H + i] : T(0);
    if (a_.cell == Cell::kLstm) {
      c.resize(B, H);
      const Tensor* init_c = ctx.input(kInitC);
      for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < H; ++i) c(b, i) = init_c ? init_c->template data<T>()[state_row(d, dir, b) * H + i] : T(0);
    }
    const Tensor* p_t = ctx.input(kP);
    const T* peep = p_t ? p_t->template data<T>() + dir * 3 * H : nullptr;

    Mat<T> hr = Mat<T>::Zero(B, G);    // H_{t-1} * R^T
    Mat<T> rh = Mat<T>::Zero(B, H);    // GRU: r (.) H_{t-1}
    Mat<T> hr_h = Mat<T>::Zero(B, H);  // GRU: (r (.) H_{t-1}) * R_h^T
    std::vector<T> gate(static_cast<size_t>(G));
    const int64_t max_len = *std::max_element(lens.begin(), lens.end());

    for (int64_t step = 0; step < max_len; ++step) {
      if (a_.cell == Cell::kGru && !a_.linear_before_reset)
        hr.leftCols(2 * H).noalias() = h * MapC(rd, 2 * H, H).transpose();
      else
        hr.noalias() = h * MapC(rd, G, H).transpose();
      for (int64_t b = 0; b < B; ++b) {
        if (step >= lens[b]) continue;
        const int64_t t = reverse ? lens[b] - 1 - step : step;
        const T* xrow = xw.data() + x_row(d, t, b) * G;
        T* g = gate.data();
        for (int64_t j = 0; j < G; ++j) g[j] = xrow[j] + hr(b, j);
        T* hb = h.data() + b * H;
        switch (a_.cell) {
          case Cell::kLstm: lstm_gates(g, hb, c.data() + b * H, peep, act, H); break;
          case Cell::kGru: gru_gates_zr(g, act, H); break;
          case Cell::kRnn:
            clip_row(g, H, a_.has_clip, a_.clip);
            misc::apply_activation(act[0], g, H);
            std::copy(g, g + H, hb);
            break;
        }
        if (a_.cell == Cell::kGru) {
          // The candidate needs r first: finish after the per-row gates (below) unless LBR.
          if (a_.linear_before_reset) {
            for (int64_t i = 0; i < H; ++i) g[2 * H + i] = xrow[2 * H + i] + g[H + i] * (hr(b, 2 * H + i) + (rb ? rb[2 * H + i] : T(0)));
            gru_finish(g, hb, act, H);
          } else {
            for (int64_t i = 0; i < H; ++i) rh(b, i) = g[H + i] * hb[i];
            std::copy(g, g + 2 * H, hr.data() + b * G);  // keep z, r for gru_finish
          }
        }
      }
      if (a_.cell == Cell::kGru && !a_.linear_before_reset) {
        hr_h.noalias() = rh * MapC(rd + 2 * H * H, H, H).transpose();
        for (int64_t b = 0; b < B; ++b) {
          if (step >= lens[b]) continue;
          const int64_t t = reverse ? lens[b] - 1 - step : step;
          const T* xrow = xw.data() + x_row(d, t, b) * G;
          T* g = gate.data();
          std::copy(hr.data() + b * G, hr.data() + b * G + 2 * H, g);
          for (int64_t i = 0; i < H; ++i) g[2 * H + i] = xrow[2 * H + i] + hr_h(b, i);
          gru_finish(g, h.data() + b * H, act, H);
        }
      }
      if (y != nullptr) {
        for (int64_t b = 0; b < B; ++b) {
          if (step >= lens[b]) continue;
          const int64_t t = reverse ? lens[b] - 1 - step : step;
          std::copy(h.data() + b * H, h.data() + (b + 1) * H, y + y_row(d, t, dir, b) * H);
        }
      }
    }
    for (int64_t b = 0; b < B; ++b) {
      if (y_h) std::copy(h.data() + b * H, h.data() + (b + 1) * H, y_h + state_row(d, dir, b) * H);
      if (y_c) std::copy(c.data() + b * H, c.data() + (b + 1) * H, y_c + state_row(d, dir, b) * H);
    }
  }

  // g = [i, o, f, c] pre-activations; updates c and h of one batch row.
  template <class T>
  void lstm_gates(T* g, T* h, T* c, const T* peep, const Activation* act, int64_t H) const {
    T *gi = g, *go = g + H, *gf = g + 2 * H, *gc = g + 3 * H;
    if (peep != nullptr)
      for (int64_t k = 0; k < H; ++k) {
        gi[k] += peep[k] * c[k];
        gf[k] += peep[2 * H + k] * c[k];
      }
    clip_row(gi, H, a_.has_clip, a_.clip);
    misc::apply_activation(act[0], gi, H);
    if (a_.input_forget) {
      for (int64_t k = 0; k < H; ++k) gf[k] = T(1) - gi[k];
    } else {
      clip_row(gf, H, a_.has_clip, a_.clip);
      misc::apply_activation(act[0], gf, H);
    }
    clip_row(gc, H, a_.has_clip, a_.clip);
    misc::apply_activation(act[1], gc, H);
    for (int64_t k = 0; k < H; ++k) c[k] = gf[k] * c[k] + gi[k] * gc[k];
    if (peep != nullptr)
      for (int64_t k = 0; k < H; ++k) go[k] += peep[H + k] * c[k];
    clip_row(go, H, a_.has_clip, a_.clip);
    misc::apply_activation(act[0], go, H);
    for (int64_t k = 0; k < H; ++k) gc[k] = c[k];  // reuse gc as h(C) scratch
    misc::apply_activation(act[2], gc, H);
    for (int64_t k = 0; k < H; ++k) h[k] = go[k] * gc[k];
  }

  // GRU: activates z and r in place.
  template <class T>
  void gru_gates_zr(T* g, const Activation* act, int64_t H) const {
    clip_row(g, 2 * H, a_.has_clip, a_.clip);
    misc::apply_activation(act[0], g, 2 * H);
  }

  // GRU: g = [z, r, candidate pre-activation]; h = (1 - z) (.) g(candidate) + z (.) h.
  template <class T>
  void gru_finish(T* g, T* h, const Activation* act, int64_t H) const {
    T* cand = g + 2 * H;
    clip_row(cand, H, a_.has_clip, a_.clip);
    misc::apply_activation(act[1], cand, H);
    for (int64_t k = 0; k < H; ++k) h[k] = (T(1) - g[k]) * cand[k] + g[k] * h[k];
  }

  RnnAttributes a_;
};

Result<std::unique_ptr<OpKernel>> make_rnn(const KernelInit& init, Cell cell) {
  const Node& node = *init.node;
  for (size_t i : {kX, kW, kR})
    if (!init.has_input(i)) return bad_node(node, "needs inputs X, W and R");
  for (size_t i : {kX, kW, kR, kB, kInitH, kInitC, kP}) {
    const DataType d = init.input_dtype(i);
    if (d != DataType::kUndefined && d != DataType::kFloat32 && d != DataType::kFloat64) return unsupported_dtype(node, d);
  }
  if (init.has_input(kSeqLens)) {
    const DataType d = init.input_dtype(kSeqLens);
    if (d != DataType::kUndefined && d != DataType::kInt32) return unsupported_dtype(node, d, "sequence_lens");
  }
  RnnAttributes a;
  a.cell = cell;
  a.hidden = attr_int(node, "hidden_size", 0);
  if (has_attr(node, "hidden_size") && a.hidden <= 0) return bad_node(node, "hidden_size must be positive");
  const std::string direction = attr_string(node, "direction", "forward");
  if (direction == "forward") a.direction = Direction::kForward;
  else if (direction == "reverse") a.direction = Direction::kReverse;
  else if (direction == "bidirectional") a.direction = Direction::kBidirectional;
  else return bad_node(node, "unknown direction '" + direction + "'");
  a.num_directions = a.direction == Direction::kBidirectional ? 2 : 1;
  std::vector<std::string> defaults;
  switch (cell) {
    case Cell::kLstm: defaults = {"Sigmoid", "Tanh", "Tanh"}; break;
    case Cell::kGru: defaults = {"Sigmoid", "Tanh"}; break;
    case Cell::kRnn: defaults = {"Tanh"}; break;
  }
  BRAID_ASSIGN_OR_RETURN(a.activations, misc::parse_activations(node, defaults, a.num_directions));
  if (has_attr(node, "clip")) {
    a.has_clip = true;
    a.clip = attr_float(node, "clip", 0);
    if (!(a.clip > 0)) return bad_node(node, "clip must be positive");
  }
  a.input_forget = cell == Cell::kLstm && attr_int(node, "input_forget", 0) != 0;
  a.linear_before_reset = cell == Cell::kGru && attr_int(node, "linear_before_reset", 0) != 0;
  const int64_t layout = init.opset() >= 14 ? attr_int(node, "layout", 0) : 0;
  if (layout != 0 && layout != 1) return bad_node(node, "layout must be 0 or 1");
  a.batch_major = layout == 1;
  // Static checks of constant weights, so a bad model fails at load.
  if (const Tensor* r = init.constant_input(kR)) {
    const int64_t hidden = a.hidden > 0 ? a.hidden : (r->rank() == 3 ? r->dim(2) : 0);
    const Shape want{a.num_directions, gate_count(cell) * hidden, hidden};
    if (r->shape() != want)
      return bad_node(node, "R has shape " + shape_to_string(r->shape()) + ", expected " + shape_to_string(want));
  }
  return std::unique_ptr<OpKernel>(new RnnKernel(std::move(a)));
}

Result<std::unique_ptr<OpKernel>> make_lstm(const KernelInit& init) { return make_rnn(init, Cell::kLstm); }
Result<std::unique_ptr<OpKernel>> make_gru(const KernelInit& init) { return make_rnn(init, Cell::kGru); }
Result<std::unique_ptr<OpKernel>> make_simple_rnn(const KernelInit& init) { return make_rnn(init, Cell::kRnn); }

}  // namespace

void register_misc_rnn_kernels(OpRegistry& r) {
  r.add({"", "LSTM", 1, 21, make_lstm});
  r.add({"", "GRU", 1, 21, make_gru});
  r.add({"", "RNN", 1, 21, make_simple_rnn});
}

}  // namespace braid::detail
