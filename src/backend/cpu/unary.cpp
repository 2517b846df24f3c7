// Unary elementwise kernels (see unary.h). The float functions compute in the tensor's own type
// (float32 or float64) with the C library's functions, as PyTorch's CPU kernels do.
#include "backend/cpu/unary.h"

#include <cmath>
#include <limits>

#include "backend/cpu/gelu.h"
#include "backend/cpu/loops.h"
#include "core/op_helpers.h"

namespace ember::cpu {

namespace {

// GELU's constants: 1/sqrt(2), sqrt(2/pi), 1/sqrt(2 pi).
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

// out = f(x) in x's floating dtype.
template <typename F>
void map_floating(const Tensor& out, const Tensor& x, const char* op, F f) {
  EMBER_DISPATCH_FLOATING(x.dtype(), op, [&]<typename T>() {
    map<T, T, 1>(out, {&x}, [&](T v) { return static_cast<T>(f(v)); });
  });
}

// out = f(a, b), a and b of one floating dtype and shape.
template <typename F>
void map2_floating(const Tensor& out, const Tensor& a, const Tensor& b, const char* op, F f) {
  EMBER_DISPATCH_FLOATING(a.dtype(), op, [&]<typename T>() {
    map<T, T, 2>(out, {&a, &b}, [&](T x, T y) { return static_cast<T>(f(x, y)); });
  });
}

bool contiguous_float32(std::initializer_list<const Tensor*> ts) {
  for (const Tensor* t : ts)
    if (t->dtype() != DType::Float32 || !t->is_contiguous()) return false;
  return true;
}

}  // namespace

void unary(UnaryOp op, const Tensor& out, const Tensor& x, const UnaryArgs& a) {
  switch (op) {
    case UnaryOp::Neg:
      EMBER_DISPATCH_NUMERIC(x.dtype(), "neg", [&]<typename T>() { map<T, T, 1>(out, {&x}, [](T v) { return -v; }); });
      return;
    case UnaryOp::Abs:
      EMBER_DISPATCH_ALL(x.dtype(), "abs", [&]<typename T>() {
        if constexpr (std::is_same_v<T, bool>) map<T, T, 1>(out, {&x}, [](T v) { return v; });
        else map<T, T, 1>(out, {&x}, [](T v) { return v < T(0) ? T(-v) : v; });
      });
      return;
    case UnaryOp::Sign:
      EMBER_DISPATCH_ALL(x.dtype(), "sign", [&]<typename T>() {
        if constexpr (std::is_same_v<T, bool>) map<T, T, 1>(out, {&x}, [](T v) { return v; });
        else map<T, T, 1>(out, {&x}, [](T v) { return static_cast<T>((T(0) < v) - (v < T(0))); });
      });
      return;
    case UnaryOp::Relu:
      EMBER_DISPATCH_NUMERIC(x.dtype(), "relu", [&]<typename T>() {
        map<T, T, 1>(out, {&x}, [](T v) { return v > T(0) ? v : T(0); });
      });
      return;
    case UnaryOp::Clamp:
      EMBER_DISPATCH_NUMERIC(x.dtype(), "clamp", [&]<typename T>() {
        T l = a.lo ? a.lo->to<T>() : std::numeric_limits<T>::lowest();
        T h = a.hi ? a.hi->to<T>() : std::numeric_limits<T>::max();
        bool has_lo = a.lo.has_value(), has_hi = a.hi.has_value();
        map<T, T, 1>(out, {&x}, [=](T v) {
          if (v != v) return v;  // NaN stays NaN
          if (has_lo && v < l) v = l;
          if (has_hi && v > h) v = h;
          return v;
        });
      });
      return;
    case UnaryOp::Exp: return map_floating(out, x, "exp", [](auto v) { return std::exp(v); });
    case UnaryOp::Log: return map_floating(out, x, "log", [](auto v) { return std::log(v); });
    case UnaryOp::Log1p: return map_floating(out, x, "log1p", [](auto v) { return std::log1p(v); });
    case UnaryOp::Erf: return map_floating(out, x, "erf", [](auto v) { return std::erf(v); });
    case UnaryOp::Sqrt: return map_floating(out, x, "sqrt", [](auto v) { return std::sqrt(v); });
    case UnaryOp::Rsqrt: return map_floating(out, x, "rsqrt", [](auto v) { return decltype(v)(1) / std::sqrt(v); });
    case UnaryOp::Sin: return map_floating(out, x, "sin", [](auto v) { return std::sin(v); });
    case UnaryOp::Cos: return map_floating(out, x, "cos", [](auto v) { return std::cos(v); });
    case UnaryOp::Tanh: return map_floating(out, x, "tanh", [](auto v) { return std::tanh(v); });
    case UnaryOp::Sigmoid:
      return map_floating(out, x, "sigmoid", [](auto v) { return decltype(v)(1) / (decltype(v)(1) + std::exp(-v)); });
    case UnaryOp::Silu: return map_floating(out, x, "silu", [](auto v) { return v / (decltype(v)(1) + std::exp(-v)); });
    case UnaryOp::LeakyRelu:
      return map_floating(out, x, "leaky_relu",
                          [slope = a.slope](auto v) { return v > 0 ? v : static_cast<decltype(v)>(v * slope); });
    case UnaryOp::Gelu:
      // float32: the vectorized kernel (gelu.h); the formula below is its float64 reference.
      if (contiguous_float32({&out, &x})) return gelu_erf_forward(x.data_ptr<float>(), out.data_ptr<float>(), x.numel());
      return map_floating(out, x, "gelu", [](auto v) {
        using T = decltype(v);
        return T(0.5) * v * (T(1) + std::erf(v * T(kInvSqrt2)));
      });
    case UnaryOp::GeluTanh:
      // float32: the vectorized kernel (gelu.h); the formula below is its float64 reference.
      if (contiguous_float32({&out, &x})) return gelu_tanh_forward(x.data_ptr<float>(), out.data_ptr<float>(), x.numel());
      return map_floating(out, x, "gelu", [](auto v) {
        using T = decltype(v);
        T inner = T(kSqrt2OverPi) * (v + T(0.044715) * v * v * v);
        return T(0.5) * v * (T(1) + std::tanh(inner));
      });
  }
}

void unary_backward(UnaryOp op, const Tensor& gx, const Tensor& g, const Tensor& v, const UnaryArgs& a) {
  switch (op) {
    case UnaryOp::Tanh:
      return map2_floating(gx, g, v, "tanh_backward", [](auto gg, auto y) { return gg * (1 - y * y); });
    case UnaryOp::Sigmoid:
      return map2_floating(gx, g, v, "sigmoid_backward", [](auto gg, auto y) { return gg * y * (1 - y); });
    case UnaryOp::Relu:
      return map2_floating(gx, g, v, "relu_backward", [](auto gg, auto y) { return y > 0 ? gg : decltype(gg)(0); });
    case UnaryOp::LeakyRelu:
      return map2_floating(gx, g, v, "leaky_relu_backward", [slope = a.slope](auto gg, auto x) {
        return x > 0 ? gg : static_cast<decltype(gg)>(gg * slope);
      });
    case UnaryOp::GeluTanh:
      if (contiguous_float32({&gx, &g, &v}))
        return gelu_tanh_backward(g.data_ptr<float>(), v.data_ptr<float>(), gx.data_ptr<float>(), v.numel());
      return map2_floating(gx, g, v, "gelu_backward", [](auto gg, auto x0) {
        using T = decltype(x0);
        T inner = T(kSqrt2OverPi) * (x0 + T(0.044715) * x0 * x0 * x0);
        T t = std::tanh(inner);
        T dinner = T(kSqrt2OverPi) * (T(1) + T(3 * 0.044715) * x0 * x0);
        return gg * (T(0.5) * (T(1) + t) + T(0.5) * x0 * (T(1) - t * t) * dinner);
      });
    case UnaryOp::Gelu:
      if (contiguous_float32({&gx, &g, &v}))
        return gelu_erf_backward(g.data_ptr<float>(), v.data_ptr<float>(), gx.data_ptr<float>(), v.numel());
      return map2_floating(gx, g, v, "gelu_backward", [](auto gg, auto x0) {
        using T = decltype(x0);
        T cdf = T(0.5) * (T(1) + std::erf(x0 * T(kInvSqrt2)));
        T pdf = T(kInvSqrt2Pi) * std::exp(T(-0.5) * x0 * x0);
        return gg * (cdf + x0 * pdf);
      });
    case UnaryOp::Silu:
      return map2_floating(gx, g, v, "silu_backward", [](auto gg, auto x) {
        using T = decltype(x);
        T s = T(1) / (T(1) + std::exp(-x));
        return gg * s * (T(1) + x * (T(1) - s));
      });
    default:
      throw Error("unary_backward: no fused gradient for this op");
  }
}

}  // namespace ember::cpu
