// Factories: constant fills, ranges, identity, random tensors and tensors from C++ data.
#include <cmath>
#include <cstring>

#include "backend/cpu/kernels.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember {

namespace {
Tensor finish(Tensor t, const TensorOptions& o) {
  if (o.requires_grad) t.requires_grad_(true);
  return t;
}
Generator& gen_or_default(Generator* g) { return g ? *g : default_generator(); }
}  // namespace

Tensor empty(const Shape& shape, TensorOptions o) { return finish(detail::make_tensor(shape, o.dtype), o); }

Tensor full(const Shape& shape, Scalar value, TensorOptions o) {
  Tensor t = detail::make_tensor(shape, o.dtype);
  {
    NoGradGuard ng;
    t.fill_(value);
  }
  return finish(t, o);
}

Tensor zeros(const Shape& shape, TensorOptions o) {
  Tensor t = detail::make_tensor(shape, o.dtype);
  std::memset(t.raw_data(), 0, static_cast<size_t>(t.numel()) * t.element_size());
  return finish(t, o);
}
Tensor ones(const Shape& shape, TensorOptions o) { return full(shape, 1, o); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype()); }
Tensor full_like(const Tensor& t, Scalar v) { return full(t.shape(), v, t.dtype()); }
Tensor empty_like(const Tensor& t) { return empty(t.shape(), t.dtype()); }

Tensor scalar_tensor(Scalar value, TensorOptions o) { return full({}, value, o); }

Tensor arange(Scalar end) { return arange(0, end, 1); }

Tensor arange(Scalar start, Scalar end, Scalar step) {
  bool all_int = start.kind != Scalar::Kind::Float && end.kind != Scalar::Kind::Float && step.kind != Scalar::Kind::Float;
  return arange(start, end, step, all_int ? kInt64 : kFloat32);
}

Tensor arange(Scalar start, Scalar end, Scalar step, TensorOptions o) {
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
  Tensor t = detail::make_tensor({n}, o.dtype);
  EMBER_DISPATCH_NUMERIC(o.dtype, "arange", [&]<typename T>() {
    T* p = t.data_ptr<T>();
    if constexpr (std::is_integral_v<T>) {
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start.i + i * step.i);
    } else {
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start.d + static_cast<double>(i) * step.d);
    }
  });
  return finish(t, o);
}

Tensor linspace(double start, double end, int64_t steps, TensorOptions o) {
  EMBER_CHECK(steps >= 0, "linspace", "number of steps must be non-negative, got ", steps);
  Tensor t = detail::make_tensor({steps}, o.dtype);
  EMBER_DISPATCH_NUMERIC(o.dtype, "linspace", [&]<typename T>() {
    T* p = t.data_ptr<T>();
    if (steps == 1) {
      p[0] = static_cast<T>(start);  // PyTorch: a single step is `start`
      return;
    }
    // PyTorch's arithmetic: the step in the tensor's own float type (double for integers), and
    // the values filled from both ends so that the last one is exactly `end`.
    using S = std::conditional_t<std::is_integral_v<T>, double, T>;
    const T s = static_cast<T>(start), e = static_cast<T>(end);
    const S step = (static_cast<S>(e) - static_cast<S>(s)) / static_cast<S>(steps - 1);
    const int64_t half = steps / 2;
    for (int64_t i = 0; i < steps; ++i)
      // std::fma: PyTorch's build contracts these into fused multiply-adds; spelled out, the values
      // do not depend on whether the compiler contracts (it does not at -O1).
      p[i] = static_cast<T>(i < half ? std::fma(step, static_cast<S>(i), static_cast<S>(s))
                                     : std::fma(-step, static_cast<S>(steps - 1 - i), static_cast<S>(e)));
  });
  return finish(t, o);
}

Tensor eye(int64_t n, std::optional<int64_t> m, TensorOptions o) {
  int64_t cols = m.value_or(n);
  EMBER_CHECK(n >= 0 && cols >= 0, "eye", "sizes must be non-negative, got ", n, " x ", cols);
  Tensor t = zeros({n, cols}, o.dtype);
  EMBER_DISPATCH_ALL(o.dtype, "eye", [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < std::min(n, cols); ++i) p[i * cols + i] = T(1);
  });
  return finish(t, o);
}

Tensor rand(const Shape& shape, TensorOptions o, Generator* g) {
  Tensor t = detail::make_tensor(shape, o.dtype);
  Generator& gen = gen_or_default(g);
  EMBER_DISPATCH_FLOATING(o.dtype, "rand", [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < t.numel(); ++i)
      p[i] = std::is_same_v<T, float> ? static_cast<T>(gen.uniform_float()) : static_cast<T>(gen.uniform());
  });
  return finish(t, o);
}

Tensor randn(const Shape& shape, TensorOptions o, Generator* g) {
  Tensor t = detail::make_tensor(shape, o.dtype);
  Generator& gen = gen_or_default(g);
  EMBER_DISPATCH_FLOATING(o.dtype, "randn", [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(gen.normal());
  });
  return finish(t, o);
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions o, Generator* g) {
  EMBER_CHECK(low < high, "randint", "low (", low, ") must be less than high (", high, ")");
  Tensor t = detail::make_tensor(shape, o.dtype);
  Generator& gen = gen_or_default(g);
  uint64_t range = static_cast<uint64_t>(high - low);
  EMBER_DISPATCH_NUMERIC(o.dtype, "randint", [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      std::uniform_int_distribution<uint64_t> dist(0, range - 1);
      p[i] = static_cast<T>(low + static_cast<int64_t>(dist(gen.engine())));
    }
  });
  return finish(t, o);
}

Tensor randperm(int64_t n, Generator* g) {
  EMBER_CHECK(n >= 0, "randperm", "n must be non-negative, got ", n);
  Tensor t = arange(n);
  int64_t* p = t.data_ptr<int64_t>();
  Generator& gen = gen_or_default(g);
  for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates
    std::uniform_int_distribution<int64_t> dist(0, i);
    std::swap(p[i], p[dist(gen.engine())]);
  }
  return t;
}

Tensor bernoulli(const Tensor& probs, Generator* g) {
  detail::check_floating(probs, "bernoulli");
  Tensor p = probs.contiguous();
  Tensor t = detail::make_tensor(p.shape(), p.dtype());
  Generator& gen = gen_or_default(g);
  EMBER_DISPATCH_FLOATING(p.dtype(), "bernoulli", [&]<typename T>() {
    const T* in = p.data_ptr<T>();
    T* out = t.data_ptr<T>();
    for (int64_t i = 0; i < t.numel(); ++i) out[i] = gen.uniform() < static_cast<double>(in[i]) ? T(1) : T(0);
  });
  return t;
}

Tensor rand_like(const Tensor& t, Generator* g) { return rand(t.shape(), t.dtype(), g); }
Tensor randn_like(const Tensor& t, Generator* g) { return randn(t.shape(), t.dtype(), g); }

Tensor& Tensor::uniform_(double from, double to) {
  NoGradGuard ng;
  Tensor r = rand(shape(), dtype());
  if (from != 0.0 || to != 1.0) r = r * (to - from) + from;
  return copy_(r);
}

Tensor& Tensor::normal_(double mean, double stdv) {
  NoGradGuard ng;
  Tensor r = randn(shape(), dtype());
  if (mean != 0.0 || stdv != 1.0) r = r * stdv + mean;
  return copy_(r);
}

template <typename T>
Tensor tensor(const std::vector<T>& values, const Shape& shape, TensorOptions o) {
  Shape s = shape.empty() ? Shape{static_cast<int64_t>(values.size())} : shape;
  EMBER_CHECK(detail::shape_numel(s) == static_cast<int64_t>(values.size()), "tensor", values.size(),
              " values do not fill shape ", shape_str(s));
  Tensor t = detail::make_tensor(s, dtype_of<T>::value);
  T* p = t.data_ptr<T>();
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  if (o.dtype != dtype_of<T>::value) t = t.to(o.dtype);
  return finish(t, o);
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
