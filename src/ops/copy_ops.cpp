// Copies and dtype conversion: to(), clone(), contiguous(), copy_(), and item() / to_vector()
// (they convert with to()).
#include "backend/cpu/kernels.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
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

template <typename T> T Tensor::item() const {
  EMBER_CHECK(numel() == 1, "item", "a tensor with ", numel(), " elements (shape ", shape_str(shape()),
              ") cannot be converted to a number; only one-element tensors can");
  Tensor c = dtype() == dtype_of<T>::value ? *this : to(dtype_of<T>::value);
  return *static_cast<const T*>(c.raw_data());
}

template <typename T> std::vector<T> Tensor::to_vector() const {
  Tensor c = (dtype() == dtype_of<T>::value ? *this : to(dtype_of<T>::value)).contiguous();
  const T* p = static_cast<const T*>(c.raw_data());
  return std::vector<T>(p, p + c.numel());
}

#define EMBER_INSTANTIATE(T) \
  template T Tensor::item<T>() const; \
  template std::vector<T> Tensor::to_vector<T>() const;
EMBER_INSTANTIATE(float)
EMBER_INSTANTIATE(double)
EMBER_INSTANTIATE(int32_t)
EMBER_INSTANTIATE(int64_t)
EMBER_INSTANTIATE(bool)
#undef EMBER_INSTANTIATE

}  // namespace ember
