// Copies and conversions: to() (dtype or device), clone(), contiguous(), copy_(), and item() /
// to_vector() (they read through a CPU copy).
#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/inplace.h"
#include "ember/ops/trace.h"

namespace ember {

Tensor Tensor::to(DType t) const {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  if (t == dtype()) return *this;
  Tensor out = detail::make_tensor(shape(), t, device());
  EMBER_KERNEL(copy, "to", out)(out, *this);
  if (autograd::any_requires_grad({this}) && is_floating(t)) {
    DType from = dtype();
    autograd::set_history(out, "ToCopyBackward", {*this}, [from](const Tensor& g, const autograd::Node&) {
      return std::vector<Tensor>{g.to(from)};
    });
  }
  return out;
}();
  if (scope) scope.record("cast", {*this}, {out_}, {trace::integer("to", static_cast<int64_t>(t))});
  return out_;
}

Tensor Tensor::to(Device d) const {
  if (d == device()) return *this;
  // A transfer is the copy kernel of the device that is not the CPU (both sides' otherwise).
  auto kernel = EMBER_KERNEL(copy, "to", d.is_cpu() ? device() : d);
  Tensor out = detail::make_tensor(shape(), dtype(), d);
  kernel(out, *this);
  if (autograd::any_requires_grad({this})) {
    Device from = device();
    autograd::set_history(out, "ToCopyBackward", {*this}, [from](const Tensor& g, const autograd::Node&) {
      return std::vector<Tensor>{g.to(from)};
    });
  }
  return out;
}

Tensor Tensor::clone() const {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  Tensor out = detail::make_tensor(shape(), dtype(), device());
  EMBER_KERNEL(copy, "clone", out)(out, *this);
  if (autograd::any_requires_grad({this}))
    autograd::set_history(out, "CloneBackward", {*this}, [](const Tensor& g, const autograd::Node&) {
      return std::vector<Tensor>{g};
    });
  return out;
}();
  if (scope) scope.record("identity", {*this}, {out_});
  return out_;
}

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

Tensor& Tensor::copy_(const Tensor& src) {
  Tensor s = src;
  if (s.shape() != shape()) s = s.expand(shape());  // errors name expand and both shapes
  if (!GradMode::is_enabled() || (!requires_grad() && !src.requires_grad())) {
    // Across devices too: the copy kernel of the side that is not the CPU.
    EMBER_KERNEL(copy, "copy_", device().is_cpu() ? s : *this)(*this, s);
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
  Tensor c = (dtype() == dtype_of<T>::value ? *this : to(dtype_of<T>::value)).to(kCPU);
  return *static_cast<const T*>(c.raw_data());
}

template <typename T> std::vector<T> Tensor::to_vector() const {
  Tensor c = (dtype() == dtype_of<T>::value ? *this : to(dtype_of<T>::value)).contiguous().to(kCPU);
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
