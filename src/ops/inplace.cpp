// In-place ops. Without autograd recording they run the kernel with self as the output; while
// recording, they go through inplace_with_history.
#include "ops/inplace.h"

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/elementwise_internal.h"

namespace ember {
namespace detail {

bool inplace_needs_history(const Tensor& self, std::initializer_list<const Tensor*> others) {
  if (!GradMode::is_enabled()) return false;
  if (self.requires_grad()) return true;
  for (auto* t : others)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

Tensor& inplace_with_history(Tensor& self, const char* op, const std::function<Tensor(const Tensor&)>& compute) {
  EMBER_CHECK(!(self.is_leaf() && self.requires_grad()), op,
              "a leaf tensor that requires grad is being used in an in-place operation; wrap the update in "
              "ember::NoGradGuard (as optimizers do) or use the out-of-place op");
  EMBER_CHECK(!self.impl().is_view, op,
              "in-place operations on a view while autograd is recording are not supported (shape ",
              shape_str(self.shape()), "); use the out-of-place op, or clone() the view first");
  Tensor before = self.requires_grad() ? self.clone() : self;
  Tensor result = compute(before);
  EMBER_CHECK(result.shape() == self.shape(), op, "the result of shape ", shape_str(result.shape()),
              " cannot be written into a tensor of shape ", shape_str(self.shape()));
  EMBER_KERNEL(copy, op, self.device().is_cpu() ? result : self)(self, result);
  bump_version(self);
  auto& impl = self.impl();
  impl.grad_fn = result.impl().grad_fn;
  impl.requires_grad = result.requires_grad();
  return self;
}

}  // namespace detail

namespace {

// self = f(self, other) for a broadcasting binary op, in place. `kernel` (optional) lets the
// no-history path write straight into self instead of through a temporary.
Tensor& binary_inplace(Tensor& self, const Tensor& other, const char* op,
                       const std::function<Tensor(const Tensor&, const Tensor&)>& f,
                       std::optional<detail::BinaryOp> kernel = std::nullopt, double alpha = 1.0) {
  EMBER_CHECK(broadcast_shapes(self.shape(), other.shape(), op) == self.shape(), op, "output with shape ",
              shape_str(self.shape()), " doesn't match the broadcast shape of ", shape_str(self.shape()), " and ",
              shape_str(other.shape()));
  if (detail::inplace_needs_history(self, {&other})) {
    // When other is self (x.mul_(x)), the node must not save self itself: after the write self's
    // grad_fn is that node, and the node holding it would be a reference cycle. An alias with the
    // old history keeps the same storage (so the version check still fires) without the cycle.
    Tensor alias;
    if (other.is_same(self)) {
      alias = detail::make_view(self, self.shape(), self.strides(), self.storage_offset());
      alias.impl().grad_fn = self.impl().grad_fn;
      alias.impl().requires_grad = self.requires_grad();
    }
    const Tensor& o = alias.defined() ? alias : other;
    return detail::inplace_with_history(self, op, [&](const Tensor& s) { return f(s, o); });
  }
  if (kernel && is_compute_dtype(self.dtype()) && is_compute_dtype(other.dtype()) &&
      result_type(self, other) == self.dtype() && !(self.dtype() == kBool && *kernel != detail::BinaryOp::Mul)) {
    detail::broadcast_binary(*kernel, op, self, other, self.dtype(), self, alpha);
    detail::bump_version(self);
    return self;
  }
  Tensor r;
  {
    NoGradGuard ng;
    r = f(self, other);
  }
  EMBER_CHECK(promote_types(r.dtype(), self.dtype()) == self.dtype() || !is_floating(r.dtype()) ||
                  is_floating(self.dtype()),
              op, "result type ", dtype_name(r.dtype()), " can't be cast to the desired output type ",
              dtype_name(self.dtype()));
  EMBER_KERNEL(copy, op, self)(self, r);
  detail::bump_version(self);
  return self;
}

}  // namespace

Tensor& Tensor::add_(const Tensor& o, Scalar alpha) {
  return binary_inplace(*this, o, "add_", [&](const Tensor& a, const Tensor& b) { return ember::add(a, b, alpha); },
                        detail::BinaryOp::Add, alpha.d);
}
Tensor& Tensor::add_(Scalar o) { return add_(detail::wrap_scalar(o)); }
Tensor& Tensor::sub_(const Tensor& o, Scalar alpha) {
  return binary_inplace(*this, o, "sub_", [&](const Tensor& a, const Tensor& b) { return ember::sub(a, b, alpha); },
                        detail::BinaryOp::Sub, alpha.d);
}
Tensor& Tensor::sub_(Scalar o) { return sub_(detail::wrap_scalar(o)); }
Tensor& Tensor::mul_(const Tensor& o) {
  return binary_inplace(*this, o, "mul_", [](const Tensor& a, const Tensor& b) { return ember::mul(a, b); },
                        detail::BinaryOp::Mul);
}
Tensor& Tensor::mul_(Scalar o) { return mul_(detail::wrap_scalar(o)); }
Tensor& Tensor::div_(const Tensor& o) {
  return binary_inplace(*this, o, "div_", [](const Tensor& a, const Tensor& b) { return ember::div(a, b); },
                        detail::BinaryOp::Div);
}
Tensor& Tensor::div_(Scalar o) { return div_(detail::wrap_scalar(o)); }

Tensor& Tensor::zero_() { return fill_(0); }

Tensor& Tensor::fill_(Scalar v) {
  if (detail::inplace_needs_history(*this, {}))
    return detail::inplace_with_history(*this, "fill_", [&](const Tensor& s) { return full_like(s, v).detach(); });
  EMBER_KERNEL(fill, "fill_", *this)(*this, v);
  detail::bump_version(*this);
  return *this;
}

Tensor& Tensor::clamp_(std::optional<Scalar> lo, std::optional<Scalar> hi) {
  Tensor dummy = detail::wrap_scalar(0);
  return binary_inplace(*this, dummy, "clamp_", [&](const Tensor& a, const Tensor&) { return ember::clamp(a, lo, hi); });
}

Tensor& Tensor::masked_fill_(const Tensor& mask, Scalar v) {
  return binary_inplace(*this, mask, "masked_fill_",
                        [&](const Tensor& a, const Tensor& m) { return ember::masked_fill(a, m, v); });
}

Tensor& Tensor::addcmul_(const Tensor& a, const Tensor& b, Scalar v) {
  return binary_inplace(*this, a, "addcmul_", [&](const Tensor& s, const Tensor&) { return ember::addcmul(s, a, b, v); });
}

Tensor& Tensor::addcdiv_(const Tensor& a, const Tensor& b, Scalar v) {
  return binary_inplace(*this, a, "addcdiv_", [&](const Tensor& s, const Tensor&) { return ember::addcdiv(s, a, b, v); });
}

Tensor& Tensor::sqrt_() {
  Tensor dummy = detail::wrap_scalar(0);
  return binary_inplace(*this, dummy, "sqrt_", [](const Tensor& a, const Tensor&) { return ember::sqrt(a); });
}

Tensor& operator+=(Tensor& a, const Tensor& b) { return a.add_(b); }
Tensor& operator-=(Tensor& a, const Tensor& b) { return a.sub_(b); }
Tensor& operator*=(Tensor& a, const Tensor& b) { return a.mul_(b); }
Tensor& operator/=(Tensor& a, const Tensor& b) { return a.div_(b); }
Tensor& operator+=(Tensor& a, Scalar b) { return a.add_(b); }
Tensor& operator-=(Tensor& a, Scalar b) { return a.sub_(b); }
Tensor& operator*=(Tensor& a, Scalar b) { return a.mul_(b); }
Tensor& operator/=(Tensor& a, Scalar b) { return a.div_(b); }

}  // namespace ember
