// Activations: Relu, LeakyRelu, Elu, Selu, Celu, Sigmoid, HardSigmoid, HardSwish, Tanh,
// Softplus, Softsign, ThresholdedRelu, Shrink and Clip (attributes before opset 11, optional
// min/max inputs from 11). Relu, Sigmoid and Tanh on float32 run the vectorized table loops.
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/attributes.h"
#include "kernels/ops/elementwise_common.h"
#include "kernels/ops/elementwise_kernels.h"
#include "kernels/parallel.h"
#include "kernels/registry.h"

namespace braid::detail {

using namespace ew;  // the family's shared helpers (elementwise_common.h)

namespace {

struct OpRelu {
  template <class C>
  static C apply(C x, const UnaryParams&) { return x < C{0} ? C{0} : x; }
};
struct OpLeakyRelu {
  template <class C>
  static C apply(C x, const UnaryParams& p) { return x < C{0} ? static_cast<C>(p.alpha) * x : x; }
};
struct OpElu {
  template <class C>
  static C apply(C x, const UnaryParams& p) { return x < C{0} ? static_cast<C>(p.alpha) * std::expm1(x) : x; }
};
struct OpSelu {  // alpha, gamma
  template <class C>
  static C apply(C x, const UnaryParams& p) {
    const C g = static_cast<C>(p.gamma);
    return x > C{0} ? g * x : g * static_cast<C>(p.alpha) * std::expm1(x);
  }
};
struct OpCelu {
  template <class C>
  static C apply(C x, const UnaryParams& p) {
    const C a = static_cast<C>(p.alpha);
    return x > C{0} ? x : a * std::expm1(x / a);
  }
};
struct OpSigmoid {
  template <class C>
  static C apply(C x, const UnaryParams&) {
    const C e = std::exp(-std::fabs(x));
    const C s = C{1} / (C{1} + e);
    return x < C{0} ? e * s : s;
  }
};
struct OpHardSigmoid {  // max(0, min(1, alpha*x + beta))
  template <class C>
  static C apply(C x, const UnaryParams& p) {
    C v = static_cast<C>(p.alpha) * x + static_cast<C>(p.beta);
    v = v > C{1} ? C{1} : v;
    return v < C{0} ? C{0} : v;
  }
};
struct OpHardSwish {  // x * max(0, min(1, x/6 + 1/2))
  template <class C>
  static C apply(C x, const UnaryParams&) {
    C v = x / C{6} + C{0.5};
    v = v > C{1} ? C{1} : v;
    v = v < C{0} ? C{0} : v;
    return x * v;
  }
};
struct OpTanh {
  template <class C>
  static C apply(C x, const UnaryParams&) { return std::tanh(x); }
};
struct OpSoftplus {  // log(1 + e^x) without overflow
  template <class C>
  static C apply(C x, const UnaryParams&) {
    return x > C{0} ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  }
};
struct OpSoftsign {
  template <class C>
  static C apply(C x, const UnaryParams&) { return x / (C{1} + std::fabs(x)); }
};
struct OpThresholdedRelu {
  template <class C>
  static C apply(C x, const UnaryParams& p) { return x > static_cast<C>(p.alpha) ? x : C{0}; }
};
struct OpShrink {  // alpha: lambd, beta: bias
  template <class C>
  static C apply(C x, const UnaryParams& p) {
    if constexpr (std::is_integral_v<C>) {
      const double v = static_cast<double>(x);
      const double r = v < -p.alpha ? v + p.beta : (v > p.alpha ? v - p.beta : 0.0);
      return from_double<C>(r);
    } else {
      const C l = static_cast<C>(p.alpha);
      const C b = static_cast<C>(p.beta);
      return x < -l ? x + b : (x > l ? x - b : C{0});
    }
  }
};

template <class Op>
UnaryFn resolve_float(DataType t) { return resolve_unary<Op, float, double, Float16, BFloat16>(t); }

UnaryFn resolve_relu(DataType t) {
  return resolve_unary<OpRelu, float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t>(t);
}

UnaryFn resolve_shrink(DataType t) {
  return resolve_unary<OpShrink, float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t,
                       uint16_t, uint32_t, uint64_t>(t);
}

template <UnaryResolver R, int Simd = -1>
Result<std::unique_ptr<OpKernel>> make_plain(const KernelInit& init) {
  UnarySpec spec;
  spec.resolve = R;
  spec.f32_simd = Simd;
  return make_unary_kernel(init, spec);
}

// An activation with attributes: defaults given as (alpha, beta, gamma) attribute names.
struct ParamDefault {
  const char* name;
  float value;
};

Result<std::unique_ptr<OpKernel>> make_with(const KernelInit& init, UnaryResolver resolve, ParamDefault alpha,
                                            ParamDefault beta = {nullptr, 0.0f},
                                            ParamDefault gamma = {nullptr, 0.0f}) {
  UnarySpec spec;
  spec.resolve = resolve;
  spec.params.alpha = alpha.name ? attr_float(*init.node, alpha.name, alpha.value) : alpha.value;
  spec.params.beta = beta.name ? attr_float(*init.node, beta.name, beta.value) : beta.value;
  spec.params.gamma = gamma.name ? attr_float(*init.node, gamma.name, gamma.value) : gamma.value;
  return make_unary_kernel(init, spec);
}

Result<std::unique_ptr<OpKernel>> make_leaky_relu(const KernelInit& init) {
  return make_with(init, resolve_float<OpLeakyRelu>, {"alpha", 0.01f});
}
Result<std::unique_ptr<OpKernel>> make_elu(const KernelInit& init) {
  return make_with(init, resolve_float<OpElu>, {"alpha", 1.0f});
}
Result<std::unique_ptr<OpKernel>> make_selu(const KernelInit& init) {
  return make_with(init, resolve_float<OpSelu>, {"alpha", 1.67326319217681884765625f}, {nullptr, 0.0f},
                   {"gamma", 1.05070102214813232421875f});
}
Result<std::unique_ptr<OpKernel>> make_celu(const KernelInit& init) {
  const float alpha = attr_float(*init.node, "alpha", 1.0f);
  if (alpha == 0.0f) return bad_node(*init.node, "alpha must not be 0");
  return make_with(init, resolve_float<OpCelu>, {"alpha", 1.0f});
}
Result<std::unique_ptr<OpKernel>> make_hard_sigmoid(const KernelInit& init) {
  return make_with(init, resolve_float<OpHardSigmoid>, {"alpha", 0.2f}, {"beta", 0.5f});
}
Result<std::unique_ptr<OpKernel>> make_thresholded_relu(const KernelInit& init) {
  return make_with(init, resolve_float<OpThresholdedRelu>, {"alpha", 1.0f});
}
Result<std::unique_ptr<OpKernel>> make_shrink(const KernelInit& init) {
  return make_with(init, resolve_shrink, {"lambd", 0.5f}, {"bias", 0.0f});
}

// ---------------------------------------------------------------- Clip
template <class T>
void clip_loop(const T* x, T* y, int64_t n, typename Arith<T>::type lo, typename Arith<T>::type hi) {
  for (int64_t i = 0; i < n; ++i) {
    auto v = Arith<T>::load(x[i]);
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    y[i] = Arith<T>::store(v);
  }
}

class ClipKernel final : public OpKernel {
 public:
  ClipKernel(bool from_attributes, float min, float max) : from_attributes_(from_attributes), min_(min), max_(max) {}

  Status compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return bad_node(*ctx.node, "missing input 0");
    return dispatch_dtype_or<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                             uint32_t, uint64_t>(
        x->dtype(), [&](auto tag) { return run(ctx, *x, tag); },
        [&] { return unsupported_dtype(*ctx.node, x->dtype()); });
  }

 private:
  template <class T>
  Status run(KernelContext& ctx, const Tensor& x, T) const {
    using C = typename Arith<T>::type;
    C lo = std::numeric_limits<C>::lowest();
    C hi = std::numeric_limits<C>::max();
    if (from_attributes_) {
      lo = from_double<C>(min_);
      hi = from_double<C>(max_);
    } else {
      BRAID_RETURN_IF_ERROR(bound(ctx, 1, x.dtype(), &lo));
      BRAID_RETURN_IF_ERROR(bound(ctx, 2, x.dtype(), &hi));
    }
    BRAID_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output_dims(0, x.dtype(), x.shape()));
    const T* in = x.data<T>();
    T* out = y->data<T>();
    parallel_for_range(x.numel(), kElementwiseGrain, ctx.max_threads,
                       [&](int64_t b, int64_t e) { clip_loop<T>(in + b, out + b, e - b, lo, hi); });
    return {};
  }

  template <class C>
  static Status bound(KernelContext& ctx, size_t i, DataType dtype, C* value) {
    const Tensor* t = ctx.input(i);
    if (t == nullptr) return {};
    if (t->dtype() != dtype)
      return bad_node(*ctx.node, std::string(i == 1 ? "min" : "max") + " has dtype " + dtype_name(t->dtype()) +
                                     ", the input has " + dtype_name(dtype));
    if (t->numel() != 1) return bad_node(*ctx.node, std::string(i == 1 ? "min" : "max") + " must be a scalar");
    return dispatch_dtype_or<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                             uint32_t, uint64_t>(
        dtype,
        [&](auto tag) {
          using T = decltype(tag);
          *value = static_cast<C>(Arith<T>::load(*t->data<T>()));
          return Status{};
        },
        [&] { return unsupported_dtype(*ctx.node, dtype); });
  }

  bool from_attributes_;
  float min_, max_;
};

Result<std::unique_ptr<OpKernel>> make_clip(const KernelInit& init) {
  if (!init.has_input(0)) return bad_node(*init.node, "needs one input");
  const DataType dt = init.input_dtype(0);
  const bool legacy = init.opset() < 11;
  const bool ok = is_float_dtype(dt) || (!legacy && is_integer_dtype(dt)) || dt == DataType::kUndefined;
  if (!ok) return unsupported_dtype(*init.node, dt);
  for (size_t i = 1; i < 3 && !legacy; ++i)
    if (init.has_input(i) && init.input_dtype(i) != DataType::kUndefined && dt != DataType::kUndefined &&
        init.input_dtype(i) != dt)
      return bad_node(*init.node, std::string(i == 1 ? "min" : "max") + " dtype differs from the input's");
  return std::unique_ptr<OpKernel>(new ClipKernel(legacy, attr_float(*init.node, "min", std::numeric_limits<float>::lowest()),
                                                  attr_float(*init.node, "max", std::numeric_limits<float>::max())));
}

}  // namespace

void register_elementwise_activation(OpRegistry& r) {
  constexpr int kAll = 1 << 30;
  r.add({"", "Relu", 1, kAll, make_plain<resolve_relu, kF32Relu>});
  r.add({"", "Sigmoid", 1, kAll, make_plain<resolve_float<OpSigmoid>, kF32Sigmoid>});
  r.add({"", "Tanh", 1, kAll, make_plain<resolve_float<OpTanh>, kF32Tanh>});
  r.add({"", "HardSwish", 14, kAll, make_plain<resolve_float<OpHardSwish>>});
  r.add({"", "Softplus", 1, kAll, make_plain<resolve_float<OpSoftplus>>});
  r.add({"", "Softsign", 1, kAll, make_plain<resolve_float<OpSoftsign>>});
  r.add({"", "LeakyRelu", 1, kAll, make_leaky_relu});
  r.add({"", "Elu", 1, kAll, make_elu});
  r.add({"", "Selu", 1, kAll, make_selu});
  r.add({"", "Celu", 12, kAll, make_celu});
  r.add({"", "HardSigmoid", 1, kAll, make_hard_sigmoid});
  r.add({"", "ThresholdedRelu", 1, kAll, make_thresholded_relu});
  r.add({"", "Shrink", 9, kAll, make_shrink});
  r.add({"", "Clip", 1, kAll, make_clip});
}

}  // namespace braid::detail
