// Broadcasting binary ops, comparisons and where: type promotion, kernels and gradients.
#include <cmath>
#include <optional>

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ops/reduce_common.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/elementwise_internal.h"
#include "ember/ops/trace.h"

namespace ember {

using autograd::SavedTensor;
using detail::BinaryOp;

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    EMBER_CHECK(da == db || da == 1 || db == 1, op, "shapes ", shape_str(a), " and ", shape_str(b),
                " cannot be broadcast together (dim ", i, ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {
int category(DType t) { return t == kBool ? 0 : is_floating(t) ? 2 : 1; }
DType default_for(int cat) { return cat == 0 ? kBool : cat == 1 ? kInt64 : kFloat32; }
}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  // PyTorch: dimensioned tensors decide; 0-dim tensors and then wrapped numbers only when they
  // are of a higher category (bool < integer < float).
  std::optional<DType> dims, zero, wrapped;
  for (const Tensor* t : {&a, &b}) {
    auto& slot = t->impl().is_wrapped_number ? wrapped : t->dim() == 0 ? zero : dims;
    DType d = t->impl().is_wrapped_number ? default_for(category(t->dtype())) : t->dtype();
    slot = slot ? promote_types(*slot, d) : d;
  }
  DType r = dims ? *dims : zero ? *zero : *wrapped;
  if (zero && category(*zero) > category(r)) r = *zero;
  if (wrapped && category(*wrapped) > category(r)) r = *wrapped;
  return r;
}

namespace detail {

Tensor broadcast_binary(BinaryOp op, const char* name, const Tensor& a, const Tensor& b, DType compute, Tensor out,
                        double alpha) {
  // Into a given out (in place, div_out): not recorded, so the tracer's kernel check rejects it.
  std::optional<trace::OpScope> scope;
  if (!out.defined()) scope.emplace();
  Tensor out_ = [&]() -> Tensor {
  Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  DType out_dtype = backend::is_comparison(op) ? kBool : compute;
  const Device dev = out.defined() ? out.device() : common_device(name, {&a, &b});
  auto kernel = EMBER_KERNEL(binary, name, dev);  // before any conversion, so errors name this op
  if (!out.defined()) out = make_tensor(shape, out_dtype, dev);
  Tensor ae = a.dtype() == compute ? a : a.detach().to(compute);
  Tensor be = b.dtype() == compute ? b : b.detach().to(compute);
  // Broadcast views without autograd history.
  auto bview = [&](const Tensor& t) {
    if (t.shape() == shape) return t;
    size_t off = shape.size() - t.shape().size();
    Shape st(shape.size(), 0);
    for (size_t i = 0; i < t.shape().size(); ++i) st[off + i] = t.shape()[i] == 1 ? 0 : t.strides()[i];
    return make_view(t, shape, st, t.storage_offset());
  };
  kernel(op, out, bview(ae), bview(be), alpha);
  return out;
}();
  if (scope && *scope) scope->record("binary", {a, b}, {out_}, {trace::str("op", name), trace::integer("compute", static_cast<int64_t>(compute)), trace::num("alpha", alpha)});
  return out_;
}

}  // namespace detail

namespace {

Tensor binary(BinaryOp op, const char* name, const Tensor& a, const Tensor& b, double alpha = 1.0) {
  detail::check_compute_dtype(a, name);
  detail::check_compute_dtype(b, name);
  broadcast_shapes(a.shape(), b.shape(), name);  // error names the op
  return detail::broadcast_binary(op, name, a, b, result_type(a, b), Tensor(), alpha);
}

bool needs(const Tensor& a, const Tensor& b) { return autograd::any_requires_grad({&a, &b}); }

}  // namespace

Tensor add(const Tensor& a, const Tensor& b, Scalar alpha) {
  Tensor out = binary(BinaryOp::Add, "add", a, b, alpha.d);
  if (needs(a, b)) {
    double al = alpha.d;
    autograd::set_history(out, "AddBackward", {a, b}, [sa = a.shape(), sb = b.shape(), al](const Tensor& g, const autograd::Node& n) {
      return std::vector<Tensor>{n.needs_grad(0) ? sum_to(g, sa) : Tensor(),
                                 n.needs_grad(1) ? sum_to(al == 1.0 ? g : g * al, sb) : Tensor()};
    });
  }
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha) {
  EMBER_CHECK(a.dtype() != kBool && b.dtype() != kBool, "sub", "subtraction of bool tensors is not supported; use "
              "logical_xor or convert to an integer dtype");
  Tensor out = binary(BinaryOp::Sub, "sub", a, b, alpha.d);
  if (needs(a, b)) {
    double al = alpha.d;
    autograd::set_history(out, "SubBackward", {a, b}, [sa = a.shape(), sb = b.shape(), al](const Tensor& g, const autograd::Node& n) {
      return std::vector<Tensor>{n.needs_grad(0) ? sum_to(g, sa) : Tensor(),
                                 n.needs_grad(1) ? sum_to(g * (-al), sb) : Tensor()};
    });
  }
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary(BinaryOp::Mul, "mul", a, b);
  if (needs(a, b)) {
    // Save each operand only when the other one needs its gradient (as PyTorch does): this keeps
    // e.g. activations multiplied by a constant mask out of memory, and an in-place change of an
    // operand that no gradient needs is not reported as an error.
    bool ga = a.requires_grad(), gb = b.requires_grad();
    autograd::set_history(out, "MulBackward", {a, b},
                          [sa = gb ? SavedTensor(a) : SavedTensor(), sb = ga ? SavedTensor(b) : SavedTensor(),
                           sha = a.shape(), shb = b.shape()](const Tensor& g, const autograd::Node& n) {
                            return std::vector<Tensor>{
                                n.needs_grad(0) ? sum_to(g * sb.get("MulBackward"), sha) : Tensor(),
                                n.needs_grad(1) ? sum_to(g * sa.get("MulBackward"), shb) : Tensor()};
                          });
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  // True division: integer inputs promote to float32, as torch.div.
  DType rt = result_type(a, b);
  detail::check_compute_dtype(a, "div");
  detail::check_compute_dtype(b, "div");
  broadcast_shapes(a.shape(), b.shape(), "div");
  Tensor out = detail::broadcast_binary(BinaryOp::Div, "div", a, b, is_floating(rt) ? rt : kFloat32);
  if (needs(a, b)) {
    // a is needed only for b's gradient (see mul).
    autograd::set_history(out, "DivBackward", {a, b},
                          [sa = b.requires_grad() ? SavedTensor(a) : SavedTensor(), sb = SavedTensor(b),
                           sha = a.shape(), shb = b.shape()](const Tensor& g, const autograd::Node& n) {
                            const Tensor& y = sb.get("DivBackward");
                            return std::vector<Tensor>{
                                n.needs_grad(0) ? sum_to(g / y, sha) : Tensor(),
                                n.needs_grad(1) ? sum_to(-g * sa.get("DivBackward") / (y * y), shb) : Tensor()};
                          });
  }
  return out;
}

Tensor& div_out(Tensor& out, const Tensor& a, const Tensor& b) {
  const char* op = "div_out";
  EMBER_CHECK(out.defined() && a.defined() && b.defined(), op, "out, a and b must be defined tensors");
  detail::check_compute_dtype(a, op);
  detail::check_compute_dtype(b, op);
  const DType rt = result_type(a, b), compute = is_floating(rt) ? rt : kFloat32;
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  EMBER_CHECK(out.shape() == shape, op, "out has shape ", shape_str(out.shape()), " but ", shape_str(a.shape()),
              " / ", shape_str(b.shape()), " has shape ", shape_str(shape), "; pass an out of that shape");
  EMBER_CHECK(out.dtype() == compute, op, "out has dtype ", dtype_name(out.dtype()), " but the quotient has dtype ",
              dtype_name(compute), "; pass an out of that dtype");
  EMBER_CHECK(!GradMode::is_enabled() || !(a.requires_grad() || b.requires_grad() || out.requires_grad()), op,
              "out= variants do not support autograd (an argument requires grad); call it under NoGradGuard "
              "or use div()");
  detail::common_device(op, {&out, &a, &b});
  detail::broadcast_binary(BinaryOp::Div, op, a, b, compute, out);
  detail::bump_version(out);
  return out;
}

Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor out = binary(BinaryOp::Pow, "pow", a, b);
  if (needs(a, b)) {
    autograd::set_history(out, "PowBackward", {a, b},
                          [sa = SavedTensor(a), sb = SavedTensor(b),
                           // detached: saving `out` itself made a cycle (out -> node -> out) that leaked
                           // the graph whenever backward did not run
                           so = SavedTensor(out.detach())](const Tensor& g, const autograd::Node& n) {
                            const Tensor& x = sa.get("pow");
                            const Tensor& y = sb.get("pow");
                            Tensor ga, gb;
                            if (n.needs_grad(0)) ga = sum_to(g * y * pow(x, y - 1.0), x.shape());
                            if (n.needs_grad(1)) {
                              // d/dy x^y = x^y log x; zero where x == 0 and y >= 0 (PyTorch's convention)
                              Tensor d = g * detail::output_with_history(so.get("pow"), n) * log(x);
                              gb = sum_to(where(logical_and(eq(x, 0.0), ge(y, 0.0)), zeros_like(d), d), y.shape());
                            }
                            return std::vector<Tensor>{ga, gb};
                          });
  }
  return out;
}

Tensor pow(const Tensor& a, Scalar e) {
  Tensor ew = detail::wrap_scalar(e);
  Tensor out = binary(BinaryOp::Pow, "pow", a, ew);
  if (autograd::any_requires_grad({&a})) {
    double ed = e.d;
    autograd::set_history(out, "PowBackward", {a}, [sa = SavedTensor(a), ed](const Tensor& g, const autograd::Node&) {
      if (ed == 0.0) return std::vector<Tensor>{zeros_like(g)};
      const Tensor& x = sa.get("pow");
      Tensor d = ed == 2.0 ? x * 2.0 : pow(x, ed - 1.0) * ed;
      return std::vector<Tensor>{g * d};
    });
  }
  return out;
}

Tensor pow(Scalar base, const Tensor& e) { return pow(full_like(e, base).to(result_type(detail::wrap_scalar(base), e)), e); }

namespace {
Tensor min_max(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  Tensor out = binary(op, name, a, b);
  if (needs(a, b)) {
    autograd::set_history(out, name, {a, b}, [sa = SavedTensor(a), sb = SavedTensor(b), op, name](const Tensor& g, const autograd::Node& n) {
      const Tensor& x = sa.get(name);
      const Tensor& y = sb.get(name);
      // Ties split the gradient evenly, as PyTorch's maximum/minimum.
      Tensor x_wins = op == BinaryOp::Maximum ? gt(x, y) : lt(x, y);
      Tensor tie = eq(x, y);
      Tensor share = where(tie, g * 0.5, where(x_wins, g, zeros_like(g)));
      Tensor other = where(tie, g * 0.5, where(logical_or(x_wins, tie), zeros_like(g), g));
      return std::vector<Tensor>{n.needs_grad(0) ? sum_to(share, x.shape()) : Tensor(),
                                 n.needs_grad(1) ? sum_to(other, y.shape()) : Tensor()};
    });
  }
  return out;
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) { return min_max(BinaryOp::Maximum, "maximum", a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return min_max(BinaryOp::Minimum, "minimum", a, b); }

#define EMBER_CMP(fn, OP)                                                                        \
  Tensor fn(const Tensor& a, const Tensor& b) { return binary(BinaryOp::OP, #fn, a, b); }         \
  Tensor fn(const Tensor& a, Scalar b) { return binary(BinaryOp::OP, #fn, a, detail::wrap_scalar(b)); }
EMBER_CMP(eq, Eq)
EMBER_CMP(ne, Ne)
EMBER_CMP(lt, Lt)
EMBER_CMP(le, Le)
EMBER_CMP(gt, Gt)
EMBER_CMP(ge, Ge)
#undef EMBER_CMP

Tensor logical_and(const Tensor& a, const Tensor& b) { return binary(BinaryOp::And, "logical_and", a, b); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Or, "logical_or", a, b); }
Tensor logical_not(const Tensor& a) { return eq(a, detail::wrap_scalar(false).to(a.dtype() == kBool ? kBool : a.dtype())); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  EMBER_CHECK(cond.dtype() == kBool, "where", "condition must be a bool tensor, got ", dtype_name(cond.dtype()));
  detail::check_compute_dtype(a, "where");
  detail::check_compute_dtype(b, "where");
  Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  DType dt = result_type(a, b);
  Tensor out = detail::make_tensor(shape, dt, detail::common_device("where", {&cond, &a, &b}));
  Tensor c = cond.expand(shape);
  Tensor x = (a.dtype() == dt ? a : a.to(dt)).detach().expand(shape);
  Tensor y = (b.dtype() == dt ? b : b.to(dt)).detach().expand(shape);
  EMBER_KERNEL(where, "where", out)(out, c, x, y);
  if (needs(a, b)) {
    autograd::set_history(out, "WhereBackward", {a, b}, [c = cond, sa = a.shape(), sb = b.shape()](const Tensor& g, const autograd::Node& n) {
      Tensor z = zeros_like(g);
      return std::vector<Tensor>{n.needs_grad(0) ? sum_to(where(c, g, z), sa) : Tensor(),
                                 n.needs_grad(1) ? sum_to(where(c, z, g), sb) : Tensor()};
    });
  }
  return out;
}();
  if (scope) scope.record("where", {cond, a, b}, {out_});
  return out_;
}

Tensor where(const Tensor& cond, const Tensor& a, Scalar b) { return where(cond, a, detail::wrap_scalar(b)); }

Tensor addcmul(const Tensor& self, const Tensor& a, const Tensor& b, Scalar value) {
  return add(self, mul(a, b), value);
}
Tensor addcdiv(const Tensor& self, const Tensor& a, const Tensor& b, Scalar value) {
  return add(self, div(a, b), value);
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  if (a.shape() != b.shape()) return false;
  auto x = a.to_vector<double>(), y = b.to_vector<double>();
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) || std::isnan(y[i])) return false;
    if (std::abs(x[i] - y[i]) > atol + rtol * std::abs(y[i])) return false;
  }
  return true;
}

bool equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return false;
  return a.to_vector<double>() == b.to_vector<double>();
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, Scalar b) { return add(a, detail::wrap_scalar(b)); }
Tensor operator-(const Tensor& a, Scalar b) { return sub(a, detail::wrap_scalar(b)); }
Tensor operator*(const Tensor& a, Scalar b) { return mul(a, detail::wrap_scalar(b)); }
Tensor operator/(const Tensor& a, Scalar b) { return div(a, detail::wrap_scalar(b)); }
Tensor operator+(Scalar a, const Tensor& b) { return add(detail::wrap_scalar(a), b); }
Tensor operator-(Scalar a, const Tensor& b) { return sub(detail::wrap_scalar(a), b); }
Tensor operator*(Scalar a, const Tensor& b) { return mul(detail::wrap_scalar(a), b); }
Tensor operator/(Scalar a, const Tensor& b) { return div(detail::wrap_scalar(a), b); }

}  // namespace ember

namespace ember {

Tensor masked_fill(const Tensor& t, const Tensor& mask, Scalar value) {
  EMBER_CHECK(mask.dtype() == kBool, "masked_fill", "mask must be a bool tensor, got ", dtype_name(mask.dtype()));
  EMBER_CHECK(broadcast_shapes(mask.shape(), t.shape(), "masked_fill") == t.shape(), "masked_fill", "mask of shape ",
              shape_str(mask.shape()), " does not broadcast to the tensor's shape ", shape_str(t.shape()));
  return where(mask, scalar_tensor(value, t.dtype()), t);
}

Tensor Tensor::masked_fill(const Tensor& mask, Scalar value) const { return ember::masked_fill(*this, mask, value); }

}  // namespace ember
