// Copies and dtype conversion: to(), clone(), contiguous(), copy_().
#include "backend/cpu/kernels.h"
#include "core/internal.h"
#include "ember/ops.h"
#include "ops/inplace.h"

namespace ember {

Tensor Tensor::to(DType t) const {
  if (t == dtype()) return *this;
  Tensor out = detail::make_tensor(shape(), t);
  cpu::copy(out, *this);
  if (autograd::any_requires_grad({this}) && is_floating(t)) {
    DType from = dtype();
    autograd::set_history(out, "ToCopyBackward", {*this}, [from](const Tensor& g, const autograd::Node&) {
      return std::vector<Tensor>{g.to(from)};
    });
  }
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = detail::make_tensor(shape(), dtype());
  cpu::copy(out, *this);
  if (autograd::any_requires_grad({this}))
    autograd::set_history(out, "CloneBackward", {*this}, [](const Tensor& g, const autograd::Node&) {
      return std::vector<Tensor>{g};
    });
  return out;
}

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

Tensor& Tensor::copy_(const Tensor& src) {
  Tensor s = src;
  if (s.shape() != shape()) s = s.expand(shape());  // errors name expand and both shapes
  if (!GradMode::is_enabled() || (!requires_grad() && !src.requires_grad())) {
    cpu::copy(*this, s);
    detail::bump_version(*this);
    return *this;
  }
  return detail::inplace_with_history(*this, "copy_", [&](const Tensor&) {
    return s.dtype() == dtype() ? s.clone() : s.to(dtype());
  });
}

}  // namespace ember
