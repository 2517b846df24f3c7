// Elementwise ops as ember.<op>(input, ...) and Tensor.<op>(...), with their in-place forms.
#include <cmath>

#include "tensor_ops.h"

namespace ember::py {
namespace {

// other * alpha, keeping an integer product integral (torch.add(int_t, 2, alpha=3) stays int64).
Scalar scaled(Scalar b, Scalar alpha) {
  if (b.kind != Scalar::Kind::Float && alpha.kind != Scalar::Kind::Float) return Scalar(static_cast<long long>(b.i * alpha.i));
  return Scalar(b.d * alpha.d);
}
bool is_one(Scalar s) { return s.kind == Scalar::Kind::Float ? s.d == 1.0 : s.i == 1; }

// The in-place form of an out-of-place op: self.copy_(f(self)). While recording, f sees a clone
// so that what it saves for backward is not overwritten by the copy.
template <typename F>
void assign(Tensor& t, F f) {
  Tensor src = GradMode::is_enabled() && t.requires_grad() ? t.clone() : t;
  t.copy_(f(src));
}

Tensor isinf_(const Tensor& a) { return eq(ember::abs(a), Scalar(INFINITY)); }

Tensor isclose_(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  Tensor close = logical_or(eq(a, b), le(ember::abs(a - b), ember::abs(b) * Scalar(rtol) + Scalar(atol)));
  if (equal_nan) close = logical_or(close, logical_and(isnan(a), isnan(b)));
  return close;
}

Tensor full_scalar(const Tensor& like, Scalar v, Scalar other) {
  DType dt = v.kind == Scalar::Kind::Float || other.kind == Scalar::Kind::Float ? DType::Float32
             : v.kind == Scalar::Kind::Int || other.kind == Scalar::Kind::Int ? DType::Int64 : DType::Bool;
  return full(like.shape(), v, dt);
}

}  // namespace

void init_ops_elementwise(nb::module_& m, nb::class_<Tensor>& cls) {
  auto other = nb::arg("other");
  auto alpha = nb::arg("alpha") = 1;

  // ---- arithmetic with a tensor or a number ----
  for (const char* name : {"add"}) {
    def_both(m, cls, name, [](const Tensor& a, const Tensor& b, Scalar al) { return ember::add(a, b, al); }, other, nb::kw_only(), alpha);
    def_both(m, cls, name, [](const Tensor& a, Scalar b, Scalar al) { return a + (is_one(al) ? b : scaled(b, al)); }, other, nb::kw_only(), alpha);
  }
  for (const char* name : {"sub", "subtract"}) {
    def_both(m, cls, name, [](const Tensor& a, const Tensor& b, Scalar al) { return ember::sub(a, b, al); }, other, nb::kw_only(), alpha);
    def_both(m, cls, name, [](const Tensor& a, Scalar b, Scalar al) { return a - (is_one(al) ? b : scaled(b, al)); }, other, nb::kw_only(), alpha);
  }
  def_both(m, cls, "rsub", [](const Tensor& a, const Tensor& b, Scalar al) { return ember::sub(b, a, al); }, other, nb::kw_only(), alpha);
  def_both(m, cls, "rsub", [](const Tensor& a, Scalar b, Scalar al) { return b - (is_one(al) ? a : a * al); }, other, nb::kw_only(), alpha);
  for (const char* name : {"mul", "multiply"}) {
    def_both(m, cls, name, [](const Tensor& a, const Tensor& b) { return a * b; }, other);
    def_both(m, cls, name, [](const Tensor& a, Scalar b) { return a * b; }, other);
  }
  for (const char* name : {"div", "divide", "true_divide"}) {
    def_both(m, cls, name, [](const Tensor& a, const Tensor& b, std::optional<std::string> mode) {
      if (mode) throw nb::value_error("div(): rounding_mode is not supported by Ember (it has no floor/trunc op)");
      return a / b;
    }, other, nb::kw_only(), nb::arg("rounding_mode").none() = nb::none());
    def_both(m, cls, name, [](const Tensor& a, Scalar b, std::optional<std::string> mode) {
      if (mode) throw nb::value_error("div(): rounding_mode is not supported by Ember (it has no floor/trunc op)");
      return a / b;
    }, other, nb::kw_only(), nb::arg("rounding_mode").none() = nb::none());
  }
  def_both(m, cls, "pow", [](const Tensor& a, const Tensor& e) { return ember::pow(a, e); }, nb::arg("exponent"));
  def_both(m, cls, "pow", [](const Tensor& a, Scalar e) { return ember::pow(a, e); }, nb::arg("exponent"));
  m.def("pow", [](Scalar s, const Tensor& e) { return ember::pow(s, e); }, nb::arg("self"), nb::arg("exponent"));
  def_both(m, cls, "maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }, other);
  def_both(m, cls, "minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }, other);

  // ---- comparisons and logic ----
#define EMBER_CMP(fn, ...)                                                                          \
  for (const char* name : {#fn __VA_OPT__(,) __VA_ARGS__}) {                                                 \
    def_both(m, cls, name, [](const Tensor& a, const Tensor& b) { return ember::fn(a, b); }, other); \
    def_both(m, cls, name, [](const Tensor& a, Scalar b) { return ember::fn(a, b); }, other);       \
  }
  EMBER_CMP(eq)
  EMBER_CMP(ne, "not_equal")
  EMBER_CMP(lt, "less")
  EMBER_CMP(le, "less_equal")
  EMBER_CMP(gt, "greater")
  EMBER_CMP(ge, "greater_equal")
#undef EMBER_CMP
  def_both(m, cls, "logical_and", [](const Tensor& a, const Tensor& b) { return logical_and(a, b); }, other);
  def_both(m, cls, "logical_or", [](const Tensor& a, const Tensor& b) { return logical_or(a, b); }, other);
  def_both(m, cls, "logical_xor", [](const Tensor& a, const Tensor& b) { return ne(a.to(DType::Bool), b.to(DType::Bool)); }, other);
  def_both(m, cls, "logical_not", [](const Tensor& a) { return logical_not(a); });
  def_both(m, cls, "isnan", [](const Tensor& a) { return isnan(a); });
  def_both(m, cls, "isinf", [](const Tensor& a) { return isinf_(a); });
  def_both(m, cls, "isfinite", [](const Tensor& a) { return logical_not(logical_or(isnan(a), isinf_(a))); });
  def_both(m, cls, "allclose", [](const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
    return equal_nan ? ember::all(isclose_(a, b, rtol, atol, true)).item<bool>() : allclose(a, b, rtol, atol);
  }, other, nb::arg("rtol") = 1e-5, nb::arg("atol") = 1e-8, nb::arg("equal_nan") = false);
  def_both(m, cls, "isclose", &isclose_, other, nb::arg("rtol") = 1e-5, nb::arg("atol") = 1e-8, nb::arg("equal_nan") = false);
  def_both(m, cls, "equal", [](const Tensor& a, const Tensor& b) { return equal(a, b); }, other);

  // ---- unary math, each with its in-place form ----
#define EMBER_UNARY(fn, ...)                                                                       \
  for (const char* name : {#fn __VA_OPT__(,) __VA_ARGS__})                                                  \
    def_both(m, cls, name, [](const Tensor& a) { return ember::fn(a); });                        \
  cls.def(#fn "_", [](nb::object self) {                                                          \
    assign(nb::cast<Tensor&>(self), [](const Tensor& a) { return ember::fn(a); });                \
    return self;                                                                                  \
  });
  EMBER_UNARY(neg, "negative")
  EMBER_UNARY(exp)
  EMBER_UNARY(log)
  EMBER_UNARY(log1p)
  EMBER_UNARY(erf)
  EMBER_UNARY(rsqrt)
  EMBER_UNARY(square)
  EMBER_UNARY(abs, "absolute")
  EMBER_UNARY(sign)
  EMBER_UNARY(sin)
  EMBER_UNARY(cos)
  EMBER_UNARY(tanh)
  EMBER_UNARY(sigmoid)
  EMBER_UNARY(relu)
#undef EMBER_UNARY
  def_both(m, cls, "sqrt", [](const Tensor& a) { return ember::sqrt(a); });
  cls.def("sqrt_", [](nb::object self) { nb::cast<Tensor&>(self).sqrt_(); return self; });
  def_both(m, cls, "reciprocal", [](const Tensor& a) { return Scalar(1.0) / a; });
  cls.def("reciprocal_", [](nb::object self) { assign(nb::cast<Tensor&>(self), [](const Tensor& a) { return Scalar(1.0) / a; }); return self; });
  cls.def("pow_", [](nb::object self, Scalar e) { assign(nb::cast<Tensor&>(self), [e](const Tensor& a) { return ember::pow(a, e); }); return self; }, nb::arg("exponent"));
  cls.def("pow_", [](nb::object self, const Tensor& e) { assign(nb::cast<Tensor&>(self), [&e](const Tensor& a) { return ember::pow(a, e); }); return self; }, nb::arg("exponent"));
  // Activations torch keeps in torch.nn.functional; here for ember.nn.functional and the tests.
  m.def("silu", [](const Tensor& a) { return silu(a); }, nb::arg("input"));
  m.def("gelu", [](const Tensor& a, const std::string& approximate) { return gelu(a, approximate); }, nb::arg("input"),
        nb::arg("approximate") = "none");
  m.def("leaky_relu", [](const Tensor& a, double slope) { return leaky_relu(a, slope); }, nb::arg("input"),
        nb::arg("negative_slope") = 0.01);

  // ---- clamp, where, addcmul ----
  auto lo = nb::arg("min").none() = nb::none();
  auto hi = nb::arg("max").none() = nb::none();
  for (const char* name : {"clamp", "clip"}) {
    def_both(m, cls, name, [](const Tensor& a, std::optional<Scalar> l, std::optional<Scalar> h) { return ember::clamp(a, l, h); }, lo, hi);
    def_both(m, cls, name, [](const Tensor& a, std::optional<Tensor> l, std::optional<Tensor> h) {
      Tensor r = l ? maximum(a, *l) : a;
      return h ? minimum(r, *h) : r;
    }, lo, hi);
    std::string inplace = std::string(name) + "_";
    cls.def(inplace.c_str(), [](nb::object self, std::optional<Scalar> l, std::optional<Scalar> h) {
      nb::cast<Tensor&>(self).clamp_(l, h);
      return self;
    }, lo, hi);
  }
  def_both(m, cls, "clamp_min", [](const Tensor& a, Scalar l) { return ember::clamp(a, l, std::nullopt); }, nb::arg("min"));
  def_both(m, cls, "clamp_max", [](const Tensor& a, Scalar h) { return ember::clamp(a, std::nullopt, h); }, nb::arg("max"));
  cls.def("clamp_min_", [](nb::object self, Scalar l) { nb::cast<Tensor&>(self).clamp_(l, std::nullopt); return self; }, nb::arg("min"));
  cls.def("clamp_max_", [](nb::object self, Scalar h) { nb::cast<Tensor&>(self).clamp_(std::nullopt, h); return self; }, nb::arg("max"));

  auto cond = nb::arg("condition");
  m.def("where", [](const Tensor& c, const Tensor& a, const Tensor& b) { return where(c, a, b); }, cond, nb::arg("input"), other);
  m.def("where", [](const Tensor& c, const Tensor& a, Scalar b) { return where(c, a, b); }, cond, nb::arg("input"), other);
  m.def("where", [](const Tensor& c, Scalar a, const Tensor& b) { return where(logical_not(c), b, a); }, cond, nb::arg("input"), other);
  m.def("where", [](const Tensor& c, Scalar a, Scalar b) { return where(c, full_scalar(c, a, b), b); }, cond, nb::arg("input"), other);
  m.def("where", [](const Tensor& c) { return nb::tuple(nb::cast(nonzero_indices(c))); }, cond);
  cls.def("where", [](const Tensor& a, const Tensor& c, const Tensor& b) { return where(c, a, b); }, cond, other);
  cls.def("where", [](const Tensor& a, const Tensor& c, Scalar b) { return where(c, a, b); }, cond, other);

  auto t1 = nb::arg("tensor1"), t2 = nb::arg("tensor2");
  auto value = nb::arg("value") = 1;
  def_both(m, cls, "addcmul", [](const Tensor& s, const Tensor& a, const Tensor& b, Scalar v) { return addcmul(s, a, b, v); }, t1, t2, nb::kw_only(), value);
  def_both(m, cls, "addcdiv", [](const Tensor& s, const Tensor& a, const Tensor& b, Scalar v) { return addcdiv(s, a, b, v); }, t1, t2, nb::kw_only(), value);
  cls.def("addcmul_", [](nb::object self, const Tensor& a, const Tensor& b, Scalar v) { nb::cast<Tensor&>(self).addcmul_(a, b, v); return self; }, t1, t2, nb::kw_only(), value);
  cls.def("addcdiv_", [](nb::object self, const Tensor& a, const Tensor& b, Scalar v) { nb::cast<Tensor&>(self).addcdiv_(a, b, v); return self; }, t1, t2, nb::kw_only(), value);
}

}  // namespace ember::py
