// Unary elementwise ops and activations. Backward formulas use fused kernels for first-order
// gradients and differentiable compositions when create_graph asks for higher order.
#include <cmath>

#include "backend/cpu/gelu_kernel.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/map.h"
#include "ops/reduce_common.h"

namespace ember {

using autograd::SavedTensor;
using detail::map2_floating;
using detail::map_floating;

namespace {

// Integer and bool inputs of float-valued functions compute in float32, as PyTorch does.
Tensor float_input(const Tensor& a, const char* op) {
  detail::check_compute_dtype(a, op);
  return is_floating(a.dtype()) ? a : a.to(kFloat32);
}

template <typename F>
Tensor unary_float(const Tensor& a, const char* op, F f) {
  return map_floating(float_input(a, op), op, f);
}

bool needs(const Tensor& a) { return autograd::any_requires_grad({&a}); }

// Records a unary node: grad_in = backward(g, saved input, saved output).
template <typename B>
void record(Tensor& out, const Tensor& a, const char* name, B backward, bool save_in, bool save_out) {
  autograd::set_history(out, name, {a}, [sa = save_in ? SavedTensor(a) : SavedTensor(),
                                         so = save_out ? SavedTensor(out.detach()) : SavedTensor(), backward, save_out,
                                         name](const Tensor& g, const autograd::Node& n) {
    // With create_graph the saved output must lead back to this node, or the second derivative
    // would miss the path through it (d/dx of g * (1 - tanh(x)^2) needs tanh(x)'s history).
    Tensor o = save_out ? detail::output_with_history(so.get(name), n) : Tensor();
    return std::vector<Tensor>{backward(g, sa.get(name), o)};
  });
}

}  // namespace

Tensor neg(const Tensor& a) {
  detail::check_compute_dtype(a, "neg");
  EMBER_CHECK(a.dtype() != kBool, "neg", "negation of a bool tensor is not supported; use logical_not");
  Tensor out = EMBER_DISPATCH_NUMERIC(a.dtype(), "neg", [&]<typename T>() {
    Tensor o = detail::make_tensor(a.shape(), a.dtype());
    cpu::map<T, T, 1>(o, {&a}, [](T x) { return -x; });
    return o;
  });
  if (needs(a)) record(out, a, "NegBackward", [](const Tensor& g, const Tensor&, const Tensor&) { return -g; }, false, false);
  return out;
}
Tensor operator-(const Tensor& a) { return neg(a); }

Tensor exp(const Tensor& a) {
  Tensor out = unary_float(a, "exp", [](auto x) { return std::exp(x); });
  if (needs(a)) record(out, a, "ExpBackward", [](const Tensor& g, const Tensor&, const Tensor& o) { return g * o; }, false, true);
  return out;
}

Tensor log(const Tensor& a) {
  Tensor out = unary_float(a, "log", [](auto x) { return std::log(x); });
  if (needs(a)) record(out, a, "LogBackward", [](const Tensor& g, const Tensor& x, const Tensor&) { return g / x; }, true, false);
  return out;
}

Tensor log1p(const Tensor& a) {
  Tensor out = unary_float(a, "log1p", [](auto x) { return std::log1p(x); });
  if (needs(a)) record(out, a, "Log1pBackward", [](const Tensor& g, const Tensor& x, const Tensor&) { return g / (x + 1.0); }, true, false);
  return out;
}

Tensor erf(const Tensor& a) {
  Tensor out = unary_float(a, "erf", [](auto x) { return std::erf(x); });
  if (needs(a))
    record(out, a, "ErfBackward", [](const Tensor& g, const Tensor& x, const Tensor&) {
      return g * exp(square(x) * -1.0) * 1.1283791670955126;  // 2 / sqrt(pi)
    }, true, false);
  return out;
}

Tensor sqrt(const Tensor& a) {
  Tensor out = unary_float(a, "sqrt", [](auto x) { return std::sqrt(x); });
  if (needs(a)) record(out, a, "SqrtBackward", [](const Tensor& g, const Tensor&, const Tensor& o) { return g / (o * 2.0); }, false, true);
  return out;
}

Tensor rsqrt(const Tensor& a) {
  Tensor out = unary_float(a, "rsqrt", [](auto x) { return decltype(x)(1) / std::sqrt(x); });
  if (needs(a))
    record(out, a, "RsqrtBackward", [](const Tensor& g, const Tensor&, const Tensor& o) { return g * o * o * o * -0.5; }, false, true);
  return out;
}

Tensor square(const Tensor& a) { return is_floating(a.dtype()) ? pow(a, 2) : mul(a, a); }

Tensor abs(const Tensor& a) {
  detail::check_compute_dtype(a, "abs");
  Tensor out = EMBER_DISPATCH_ALL(a.dtype(), "abs", [&]<typename T>() {
    Tensor o = detail::make_tensor(a.shape(), a.dtype());
    if constexpr (std::is_same_v<T, bool>) cpu::map<T, T, 1>(o, {&a}, [](T x) { return x; });
    else cpu::map<T, T, 1>(o, {&a}, [](T x) { return x < T(0) ? T(-x) : x; });
    return o;
  });
  if (needs(a)) record(out, a, "AbsBackward", [](const Tensor& g, const Tensor& x, const Tensor&) { return g * sign(x); }, true, false);
  return out;
}

Tensor sign(const Tensor& a) {
  detail::check_compute_dtype(a, "sign");
  Tensor out = EMBER_DISPATCH_ALL(a.dtype(), "sign", [&]<typename T>() {
    Tensor o = detail::make_tensor(a.shape(), a.dtype());
    if constexpr (std::is_same_v<T, bool>) cpu::map<T, T, 1>(o, {&a}, [](T x) { return x; });
    else cpu::map<T, T, 1>(o, {&a}, [](T x) { return static_cast<T>((T(0) < x) - (x < T(0))); });
    return o;
  });
  if (needs(a)) record(out, a, "SignBackward", [](const Tensor& g, const Tensor&, const Tensor&) { return zeros_like(g); }, false, false);
  return out;
}

Tensor sin(const Tensor& a) {
  Tensor out = unary_float(a, "sin", [](auto x) { return std::sin(x); });
  if (needs(a)) record(out, a, "SinBackward", [](const Tensor& g, const Tensor& x, const Tensor&) { return g * cos(x); }, true, false);
  return out;
}

Tensor cos(const Tensor& a) {
  Tensor out = unary_float(a, "cos", [](auto x) { return std::cos(x); });
  if (needs(a)) record(out, a, "CosBackward", [](const Tensor& g, const Tensor& x, const Tensor&) { return -g * sin(x); }, true, false);
  return out;
}

Tensor tanh(const Tensor& a) {
  Tensor out = unary_float(a, "tanh", [](auto x) { return std::tanh(x); });
  if (needs(a))
    record(out, a, "TanhBackward", [](const Tensor& g, const Tensor&, const Tensor& o) {
      if (GradMode::is_enabled()) return g * (1.0 - o * o);
      return map2_floating(g, o, "tanh_backward", [](auto gg, auto y) { return gg * (1 - y * y); });
    }, false, true);
  return out;
}

Tensor sigmoid(const Tensor& a) {
  Tensor out = unary_float(a, "sigmoid", [](auto x) { return decltype(x)(1) / (decltype(x)(1) + std::exp(-x)); });
  if (needs(a))
    record(out, a, "SigmoidBackward", [](const Tensor& g, const Tensor&, const Tensor& o) {
      if (GradMode::is_enabled()) return g * o * (1.0 - o);
      return map2_floating(g, o, "sigmoid_backward", [](auto gg, auto y) { return gg * y * (1 - y); });
    }, false, true);
  return out;
}

Tensor relu(const Tensor& a) {
  detail::check_compute_dtype(a, "relu");
  Tensor out = EMBER_DISPATCH_NUMERIC(a.dtype(), "relu", [&]<typename T>() {
    Tensor o = detail::make_tensor(a.shape(), a.dtype());
    cpu::map<T, T, 1>(o, {&a}, [](T x) { return x > T(0) ? x : T(0); });
    return o;
  });
  if (needs(a))
    record(out, a, "ReluBackward", [](const Tensor& g, const Tensor&, const Tensor& o) {
      if (GradMode::is_enabled()) return where(gt(o, 0), g, zeros_like(g));
      return map2_floating(g, o, "relu_backward", [](auto gg, auto y) { return y > 0 ? gg : decltype(gg)(0); });
    }, false, true);
  return out;
}

Tensor leaky_relu(const Tensor& a, double slope) {
  Tensor x = float_input(a, "leaky_relu");
  Tensor out = map_floating(x, "leaky_relu", [slope](auto v) { return v > 0 ? v : static_cast<decltype(v)>(v * slope); });
  if (needs(a))
    record(out, a, "LeakyReluBackward", [slope](const Tensor& g, const Tensor& in, const Tensor&) {
      if (GradMode::is_enabled()) return where(gt(in, 0), g, g * slope);
      return map2_floating(g, in, "leaky_relu_backward", [slope](auto gg, auto v) {
        return v > 0 ? gg : static_cast<decltype(gg)>(gg * slope);
      });
    }, true, false);
  return out;
}

// GELU's constants: 1/sqrt(2), sqrt(2/pi), 1/sqrt(2 pi).
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

Tensor gelu(const Tensor& a, const std::string& approximate) {
  EMBER_CHECK(approximate == "none" || approximate == "tanh", "gelu", "approximate must be 'none' or 'tanh', got '",
              approximate, "'");
  Tensor x = float_input(a, "gelu");
  bool tanh_approx = approximate == "tanh";
  // float32 tanh-GELU: the vectorized kernel (backend/cpu/gelu_kernel.h); the generic path
  // below is its float64 reference.
  const bool fast = tanh_approx && x.dtype() == DType::Float32;
  Tensor out = fast ? [&] {
    Tensor xc = x.contiguous(), o = detail::make_tensor(x.shape(), DType::Float32);
    cpu::gelu_tanh_forward(xc.data_ptr<float>(), o.data_ptr<float>(), xc.numel());
    return o;
  }()
    : tanh_approx ? map_floating(x, "gelu", [](auto v) {
                               using T = decltype(v);
                               T inner = T(kSqrt2OverPi) * (v + T(0.044715) * v * v * v);
                               return T(0.5) * v * (T(1) + std::tanh(inner));
                             })
                           : map_floating(x, "gelu", [](auto v) {
                               using T = decltype(v);
                               return T(0.5) * v * (T(1) + std::erf(v * T(kInvSqrt2)));
                             });
  if (needs(a))
    record(out, a, "GeluBackward", [tanh_approx](const Tensor& g, const Tensor& in, const Tensor&) {
      Tensor v = in;
      if (GradMode::is_enabled()) {
        if (tanh_approx) {
          Tensor inner = (v + pow(v, 3) * 0.044715) * kSqrt2OverPi;
          Tensor t = tanh(inner);
          Tensor dinner = (square(v) * (3 * 0.044715) + 1.0) * kSqrt2OverPi;
          return g * (0.5 * (t + 1.0) + v * 0.5 * (1.0 - t * t) * dinner);
        }
        Tensor cdf = (1.0 + erf(v)) * 0.5;
        return g * (cdf + v * exp(square(v) * -0.5) * kInvSqrt2Pi);
      }
      if (tanh_approx && g.dtype() == DType::Float32 && v.dtype() == DType::Float32 && g.shape() == v.shape()) {
        Tensor gc = g.contiguous(), vc = v.contiguous(), gx = detail::make_tensor(v.shape(), DType::Float32);
        cpu::gelu_tanh_backward(gc.data_ptr<float>(), vc.data_ptr<float>(), gx.data_ptr<float>(), vc.numel());
        return gx;
      }
      if (tanh_approx)
        return map2_floating(g, v, "gelu_backward", [](auto gg, auto x0) {
          using T = decltype(x0);
          T inner = T(kSqrt2OverPi) * (x0 + T(0.044715) * x0 * x0 * x0);
          T t = std::tanh(inner);
          T dinner = T(kSqrt2OverPi) * (T(1) + T(3 * 0.044715) * x0 * x0);
          return gg * (T(0.5) * (T(1) + t) + T(0.5) * x0 * (T(1) - t * t) * dinner);
        });
      return map2_floating(g, v, "gelu_backward", [](auto gg, auto x0) {
        using T = decltype(x0);
        T cdf = T(0.5) * (T(1) + std::erf(x0 * T(kInvSqrt2)));
        T pdf = T(kInvSqrt2Pi) * std::exp(T(-0.5) * x0 * x0);
        return gg * (cdf + x0 * pdf);
      });
    }, true, false);
  return out;
}

Tensor silu(const Tensor& a) {
  Tensor x = float_input(a, "silu");
  Tensor out = map_floating(x, "silu", [](auto v) { return v / (decltype(v)(1) + std::exp(-v)); });
  if (needs(a))
    record(out, a, "SiluBackward", [](const Tensor& g, const Tensor& in, const Tensor&) {
      if (GradMode::is_enabled()) {
        Tensor s = sigmoid(in);
        return g * s * (1.0 + in * (1.0 - s));
      }
      return map2_floating(g, in, "silu_backward", [](auto gg, auto v) {
        using T = decltype(v);
        T s = T(1) / (T(1) + std::exp(-v));
        return gg * s * (T(1) + v * (T(1) - s));
      });
    }, true, false);
  return out;
}

Tensor clamp(const Tensor& a, std::optional<Scalar> lo, std::optional<Scalar> hi) {
  EMBER_CHECK(lo || hi, "clamp", "at least one of min and max must be given");
  detail::check_compute_dtype(a, "clamp");
  Tensor out = EMBER_DISPATCH_NUMERIC(a.dtype(), "clamp", [&]<typename T>() {
    Tensor o = detail::make_tensor(a.shape(), a.dtype());
    T l = lo ? lo->to<T>() : std::numeric_limits<T>::lowest();
    T h = hi ? hi->to<T>() : std::numeric_limits<T>::max();
    bool has_lo = lo.has_value(), has_hi = hi.has_value();
    cpu::map<T, T, 1>(o, {&a}, [=](T x) {
      if (x != x) return x;  // NaN stays NaN
      if (has_lo && x < l) x = l;
      if (has_hi && x > h) x = h;
      return x;
    });
    return o;
  });
  if (needs(a))
    record(out, a, "ClampBackward", [lo, hi](const Tensor& g, const Tensor& x, const Tensor&) {
      Tensor mask = ones_like(x).to(kBool);
      if (lo) mask = logical_and(mask, ge(x, *lo));
      if (hi) mask = logical_and(mask, le(x, *hi));
      return where(mask, g, zeros_like(g));
    }, true, false);
  return out;
}

Tensor isnan(const Tensor& a) { return ne(a, a); }

}  // namespace ember
