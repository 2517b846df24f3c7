// Unary elementwise ops and activations. Backward formulas use fused kernels for first-order
// gradients and differentiable compositions when create_graph asks for higher order.
#include <cmath>

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/reduce_common.h"
#include "ember/ops/trace.h"

namespace ember {

using autograd::SavedTensor;
using backend::UnaryArgs;
using backend::UnaryOp;

namespace {

// The trace attributes of a unary op (ember/ops/trace.h): its name and parameters.
std::vector<trace::Attr> unary_attrs(UnaryOp op, const char* name, const UnaryArgs& args) {
  std::vector<trace::Attr> a{trace::str("op", name), trace::integer("kind", static_cast<int64_t>(op)),
                             trace::num("slope", args.slope)};
  if (args.lo) a.push_back(trace::num("lo", args.lo->d));
  if (args.hi) a.push_back(trace::num("hi", args.hi->d));
  return a;
}

// out = op(x) without autograd, of x's dtype (the kernel checks the dtype).
Tensor unary_kernel(UnaryOp op, const char* name, const Tensor& x, const UnaryArgs& args = {}) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  Tensor out = detail::make_tensor(x.shape(), x.dtype(), x.device());
  EMBER_KERNEL(unary, name, out)(op, out, x, args);
  return out;
}();
  if (scope) scope.record("unary", {x}, {out_}, unary_attrs(op, name, args));
  return out_;
}

// gx = g * op'(v) for a first-order backward; v is converted to g's dtype and broadcast to its shape.
Tensor unary_grad(UnaryOp op, const char* name, const Tensor& g, const Tensor& v_in, const UnaryArgs& args = {}) {
  Tensor v = v_in.dtype() == g.dtype() ? v_in : v_in.detach().to(g.dtype());
  if (v.shape() != g.shape()) {
    NoGradGuard ng;
    v = v.expand(g.shape());
  }
  Tensor gx = detail::make_tensor(g.shape(), g.dtype(), g.device());
  EMBER_KERNEL(unary_backward, name, gx)(op, gx, g, v, args);
  return gx;
}

// Integer and bool inputs of float-valued functions compute in float32, as PyTorch does.
Tensor float_input(const Tensor& a, const char* op) {
  detail::check_compute_dtype(a, op);
  return is_floating(a.dtype()) ? a : a.to(kFloat32);
}

Tensor unary_float(const Tensor& a, UnaryOp op, const char* name) { return unary_kernel(op, name, float_input(a, name)); }

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
  Tensor out = unary_kernel(UnaryOp::Neg, "neg", a);
  if (needs(a)) record(out, a, "NegBackward", [](const Tensor& g, const Tensor&, const Tensor&) { return -g; }, false, false);
  return out;
}
Tensor operator-(const Tensor& a) { return neg(a); }

Tensor exp(const Tensor& a) {
  Tensor out = unary_float(a, UnaryOp::Exp, "exp");
  if (needs(a)) record(out, a, "ExpBackward", [](const Tensor& g, const Tensor&, const Tensor& o) { return g * o; }, false, true);
  return out;
}

Tensor log(const Tensor& a) {
  Tensor out = unary_float(a, UnaryOp::Log, "log");
  if (needs(a)) record(out, a, "LogBackward", [](const Tensor& g, const Tensor& x, const Tensor&) { return g / x; }, true, false);
  return out;
}

Tensor log1p(const Tensor& a) {
  Tensor out = unary_float(a, UnaryOp::Log1p, "log1p");
  if (needs(a)) record(out, a, "Log1pBackward", [](const Tensor& g, const Tensor& x, const Tensor&) { return g / (x + 1.0); }, true, false);
  return out;
}

Tensor erf(const Tensor& a) {
  Tensor out = unary_float(a, UnaryOp::Erf, "erf");
  if (needs(a))
    record(out, a, "ErfBackward", [](const Tensor& g, const Tensor& x, const Tensor&) {
      return g * exp(square(x) * -1.0) * 1.1283791670955126;  // 2 / sqrt(pi)
    }, true, false);
  return out;
}

Tensor sqrt(const Tensor& a) {
  Tensor out = unary_float(a, UnaryOp::Sqrt, "sqrt");
  if (needs(a)) record(out, a, "SqrtBackward", [](const Tensor& g, const Tensor&, const Tensor& o) { return g / (o * 2.0); }, false, true);
  return out;
}

Tensor rsqrt(const Tensor& a) {
  Tensor out = unary_float(a, UnaryOp::Rsqrt, "rsqrt");
  if (needs(a))
    record(out, a, "RsqrtBackward", [](const Tensor& g, const Tensor&, const Tensor& o) { return g * o * o * o * -0.5; }, false, true);
  return out;
}

Tensor square(const Tensor& a) { return is_floating(a.dtype()) ? pow(a, 2) : mul(a, a); }

Tensor abs(const Tensor& a) {
  detail::check_compute_dtype(a, "abs");
  Tensor out = unary_kernel(UnaryOp::Abs, "abs", a);
  if (needs(a)) record(out, a, "AbsBackward", [](const Tensor& g, const Tensor& x, const Tensor&) { return g * sign(x); }, true, false);
  return out;
}

Tensor sign(const Tensor& a) {
  detail::check_compute_dtype(a, "sign");
  Tensor out = unary_kernel(UnaryOp::Sign, "sign", a);
  if (needs(a)) record(out, a, "SignBackward", [](const Tensor& g, const Tensor&, const Tensor&) { return zeros_like(g); }, false, false);
  return out;
}

Tensor sin(const Tensor& a) {
  Tensor out = unary_float(a, UnaryOp::Sin, "sin");
  if (needs(a)) record(out, a, "SinBackward", [](const Tensor& g, const Tensor& x, const Tensor&) { return g * cos(x); }, true, false);
  return out;
}

Tensor cos(const Tensor& a) {
  Tensor out = unary_float(a, UnaryOp::Cos, "cos");
  if (needs(a)) record(out, a, "CosBackward", [](const Tensor& g, const Tensor& x, const Tensor&) { return -g * sin(x); }, true, false);
  return out;
}

Tensor tanh(const Tensor& a) {
  Tensor out = unary_float(a, UnaryOp::Tanh, "tanh");
  if (needs(a))
    record(out, a, "TanhBackward", [](const Tensor& g, const Tensor&, const Tensor& o) {
      if (GradMode::is_enabled()) return g * (1.0 - o * o);
      return unary_grad(UnaryOp::Tanh, "tanh_backward", g, o);
    }, false, true);
  return out;
}

Tensor sigmoid(const Tensor& a) {
  Tensor out = unary_float(a, UnaryOp::Sigmoid, "sigmoid");
  if (needs(a))
    record(out, a, "SigmoidBackward", [](const Tensor& g, const Tensor&, const Tensor& o) {
      if (GradMode::is_enabled()) return g * o * (1.0 - o);
      return unary_grad(UnaryOp::Sigmoid, "sigmoid_backward", g, o);
    }, false, true);
  return out;
}

Tensor relu(const Tensor& a) {
  detail::check_compute_dtype(a, "relu");
  Tensor out = unary_kernel(UnaryOp::Relu, "relu", a);
  if (needs(a))
    record(out, a, "ReluBackward", [](const Tensor& g, const Tensor&, const Tensor& o) {
      if (GradMode::is_enabled()) return where(gt(o, 0), g, zeros_like(g));
      return unary_grad(UnaryOp::Relu, "relu_backward", g, o);
    }, false, true);
  return out;
}

Tensor leaky_relu(const Tensor& a, double slope) {
  Tensor x = float_input(a, "leaky_relu");
  Tensor out = unary_kernel(UnaryOp::LeakyRelu, "leaky_relu", x, {.slope = slope});
  if (needs(a))
    record(out, a, "LeakyReluBackward", [slope](const Tensor& g, const Tensor& in, const Tensor&) {
      if (GradMode::is_enabled()) return where(gt(in, 0), g, g * slope);
      return unary_grad(UnaryOp::LeakyRelu, "leaky_relu_backward", g, in, {.slope = slope});
    }, true, false);
  return out;
}

// GELU's constants: sqrt(2/pi), 1/sqrt(2 pi) (for the differentiable backward).
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

Tensor gelu(const Tensor& a, const std::string& approximate) {
  EMBER_CHECK(approximate == "none" || approximate == "tanh", "gelu", "approximate must be 'none' or 'tanh', got '",
              approximate, "'");
  Tensor x = float_input(a, "gelu");
  bool tanh_approx = approximate == "tanh";
  // Contiguous input: float32 tanh-GELU then runs on the vectorized kernel (backend/cpu/gelu.h).
  Tensor out = unary_kernel(tanh_approx ? UnaryOp::GeluTanh : UnaryOp::Gelu, "gelu", x.contiguous());
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
      if (g.shape() == v.shape() && g.dtype() == v.dtype())  // contiguous: the vectorized float32 tanh path
        return unary_grad(tanh_approx ? UnaryOp::GeluTanh : UnaryOp::Gelu, "gelu_backward", g.contiguous(), v.contiguous());
      return unary_grad(tanh_approx ? UnaryOp::GeluTanh : UnaryOp::Gelu, "gelu_backward", g, v);
    }, true, false);
  return out;
}

Tensor silu(const Tensor& a) {
  Tensor x = float_input(a, "silu");
  Tensor out = unary_kernel(UnaryOp::Silu, "silu", x);
  if (needs(a))
    record(out, a, "SiluBackward", [](const Tensor& g, const Tensor& in, const Tensor&) {
      if (GradMode::is_enabled()) {
        Tensor s = sigmoid(in);
        return g * s * (1.0 + in * (1.0 - s));
      }
      return unary_grad(UnaryOp::Silu, "silu_backward", g, in);
    }, true, false);
  return out;
}

Tensor clamp(const Tensor& a, std::optional<Scalar> lo, std::optional<Scalar> hi) {
  EMBER_CHECK(lo || hi, "clamp", "at least one of min and max must be given");
  detail::check_compute_dtype(a, "clamp");
  Tensor out = unary_kernel(UnaryOp::Clamp, "clamp", a, {.lo = lo, .hi = hi});
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
