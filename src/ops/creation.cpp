// Factories: constant fills, ranges, identity, random tensors and tensors from C++ data.
#include <cmath>

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ember/ops/trace.h"

namespace ember {

namespace {
Tensor finish(Tensor t, const TensorOptions& o) {
  if (o.requires_grad) t.requires_grad_(true);
  return t;
}
Generator& gen_or_default(Generator* g) { return g ? *g : default_generator(); }
TensorOptions like(const Tensor& t) { return TensorOptions(t.dtype()).with_device(t.device()); }
Tensor new_tensor(const Shape& shape, const TensorOptions& o) { return detail::make_tensor(shape, o.dtype, o.device); }
}  // namespace

Tensor empty(const Shape& shape, TensorOptions o) { return finish(new_tensor(shape, o), o); }

// Factories look their kernel up before allocating, so a device without a backend is named by
// the factory ("zeros: no kernel for device cuda:0 ...") rather than by the allocator.
Tensor full(const Shape& shape, Scalar value, TensorOptions o) {
  auto kernel = EMBER_KERNEL(fill, "full", o.device);
  Tensor t = new_tensor(shape, o);
  kernel(t, value);
  detail::bump_version(t);  // as fill_ does
  return finish(t, o);
}

Tensor zeros(const Shape& shape, TensorOptions o) {
  auto kernel = EMBER_KERNEL(fill, "zeros", o.device);
  Tensor t = new_tensor(shape, o);
  kernel(t, 0);
  return finish(t, o);
}
Tensor ones(const Shape& shape, TensorOptions o) { return full(shape, 1, o); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), like(t)); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), like(t)); }
Tensor full_like(const Tensor& t, Scalar v) { return full(t.shape(), v, like(t)); }
Tensor empty_like(const Tensor& t) { return empty(t.shape(), like(t)); }

Tensor scalar_tensor(Scalar value, TensorOptions o) { return full({}, value, o); }

Tensor arange(Scalar end) { return arange(0, end, 1); }

Tensor arange(Scalar start, Scalar end, Scalar step) {
  bool all_int = start.kind != Scalar::Kind::Float && end.kind != Scalar::Kind::Float && step.kind != Scalar::Kind::Float;
  return arange(start, end, step, all_int ? kInt64 : kFloat32);
}

Tensor arange(Scalar start, Scalar end, Scalar step, TensorOptions o) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  EMBER_CHECK(step.d != 0, "arange", "step must be nonzero");
  EMBER_CHECK((step.d > 0 && end.d >= start.d) || (step.d < 0 && end.d <= start.d), "arange", "upper bound ", end.d,
              " and lower bound ", start.d, " are inconsistent with step sign ", step.d);
  // PyTorch counts int64 ranges with the arguments truncated to integers (arange(0, 5, 1.5, int64)
  // has 5 elements: 0..4, step 1); every other dtype counts in double.
  bool int64_count = o.dtype == kInt64;
  EMBER_CHECK(!int64_count || step.to<int64_t>() != 0, "arange", "step ", step.d,
              " truncates to 0 for an int64 range; use a step of magnitude >= 1 or a floating dtype");
  int64_t n = int64_count ? static_cast<int64_t>(std::ceil(static_cast<double>(end.to<int64_t>() - start.to<int64_t>()) /
                                                           static_cast<double>(step.to<int64_t>())))
                          : static_cast<int64_t>(std::ceil((end.d - start.d) / step.d));
  n = std::max<int64_t>(n, 0);
  auto kernel = EMBER_KERNEL(arange, "arange", o.device);
  Tensor t = new_tensor({n}, o);
  kernel(t, start, step);
  return finish(t, o);
}();
  if (scope) scope.record("arange", {}, {out_}, {trace::ints("range", {start.to<int64_t>(), end.to<int64_t>(), step.to<int64_t>()}), trace::num("start", start.d), trace::num("step", step.d)});
  return out_;
}

Tensor linspace(double start, double end, int64_t steps, TensorOptions o) {
  EMBER_CHECK(steps >= 0, "linspace", "number of steps must be non-negative, got ", steps);
  auto kernel = EMBER_KERNEL(linspace, "linspace", o.device);
  Tensor t = new_tensor({steps}, o);
  kernel(t, start, end);
  return finish(t, o);
}

Tensor eye(int64_t n, std::optional<int64_t> m, TensorOptions o) {
  int64_t cols = m.value_or(n);
  EMBER_CHECK(n >= 0 && cols >= 0, "eye", "sizes must be non-negative, got ", n, " x ", cols);
  auto kernel = EMBER_KERNEL(eye, "eye", o.device);
  Tensor t = zeros({n, cols}, TensorOptions(o.dtype).with_device(o.device));
  kernel(t);
  return finish(t, o);
}

Tensor rand(const Shape& shape, TensorOptions o, Generator* g) {
  auto kernel = EMBER_KERNEL(uniform, "rand", o.device);
  Tensor t = new_tensor(shape, o);
  kernel(t, gen_or_default(g));
  return finish(t, o);
}

Tensor randn(const Shape& shape, TensorOptions o, Generator* g) {
  auto kernel = EMBER_KERNEL(normal, "randn", o.device);
  Tensor t = new_tensor(shape, o);
  kernel(t, gen_or_default(g));
  return finish(t, o);
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions o, Generator* g) {
  EMBER_CHECK(low < high, "randint", "low (", low, ") must be less than high (", high, ")");
  auto kernel = EMBER_KERNEL(randint, "randint", o.device);
  Tensor t = new_tensor(shape, o);
  kernel(t, low, high, gen_or_default(g));
  return finish(t, o);
}

Tensor randperm(int64_t n, Generator* g) {
  EMBER_CHECK(n >= 0, "randperm", "n must be non-negative, got ", n);
  Tensor t = arange(n);
  EMBER_KERNEL(shuffle, "randperm", t)(t, gen_or_default(g));
  return t;
}

Tensor bernoulli(const Tensor& probs, Generator* g) {
  detail::check_floating(probs, "bernoulli");
  Tensor p = probs.contiguous();
  Tensor t = detail::make_tensor(p.shape(), p.dtype(), p.device());
  EMBER_KERNEL(bernoulli, "bernoulli", t)(t, p, gen_or_default(g));
  return t;
}

Tensor rand_like(const Tensor& t, Generator* g) { return rand(t.shape(), like(t), g); }
Tensor randn_like(const Tensor& t, Generator* g) { return randn(t.shape(), like(t), g); }

Tensor& Tensor::uniform_(double from, double to) {
  NoGradGuard ng;
  Tensor r = rand(shape(), like(*this));
  if (from != 0.0 || to != 1.0) r = r * (to - from) + from;
  return copy_(r);
}

Tensor& Tensor::normal_(double mean, double stdv) {
  NoGradGuard ng;
  Tensor r = randn(shape(), like(*this));
  if (mean != 0.0 || stdv != 1.0) r = r * stdv + mean;
  return copy_(r);
}

template <typename T>
Tensor tensor(const std::vector<T>& values, const Shape& shape, TensorOptions o) {
  Shape s = shape.empty() ? Shape{static_cast<int64_t>(values.size())} : shape;
  EMBER_CHECK(detail::shape_numel(s) == static_cast<int64_t>(values.size()), "tensor", values.size(),
              " values do not fill shape ", shape_str(s));
  Tensor t = detail::make_tensor(s, dtype_of<T>::value, kCPU);  // the host copy of values
  T* p = t.data_ptr<T>();
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  if (o.dtype != dtype_of<T>::value) t = t.to(o.dtype);
  return finish(t.to(o.device), o);
}
template Tensor tensor(const std::vector<float>&, const Shape&, TensorOptions);
template Tensor tensor(const std::vector<double>&, const Shape&, TensorOptions);
template Tensor tensor(const std::vector<int32_t>&, const Shape&, TensorOptions);
template Tensor tensor(const std::vector<int64_t>&, const Shape&, TensorOptions);

Tensor tensor(std::initializer_list<float> values, const Shape& shape) {
  return tensor(std::vector<float>(values), shape);
}

Tensor from_blob(void* data, const Shape& shape, DType dtype, std::function<void(void*)> deleter) {
  EMBER_CHECK(data != nullptr || detail::shape_numel(shape) == 0, "from_blob", "data pointer is null");
  auto impl = std::make_shared<TensorImpl>();
  impl->numel = detail::shape_numel(shape);
  impl->storage = Storage::from_external(data, static_cast<size_t>(impl->numel) * itemsize(dtype), std::move(deleter));
  impl->shape = shape;
  impl->strides = detail::contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

}  // namespace ember
