#pragma once
#include <vector>

#include "ember/random.h"
#include "ember/tensor.h"

namespace ember {

// The dtype, device (default_device() when not given: the CPU) and requires_grad of a new tensor.
struct TensorOptions {
  DType dtype = DType::Float32;
  bool requires_grad = false;
  Device device = default_device();
  TensorOptions() = default;
  TensorOptions(DType d) : dtype(d) {}  // NOLINT: lets callers write zeros({2}, kInt64)
  TensorOptions& with_requires_grad(bool r = true) { requires_grad = r; return *this; }
  TensorOptions& with_device(Device d) { device = d; return *this; }
};

Tensor empty(const Shape& shape, TensorOptions opts = {});
Tensor zeros(const Shape& shape, TensorOptions opts = {});
Tensor ones(const Shape& shape, TensorOptions opts = {});
Tensor full(const Shape& shape, Scalar value, TensorOptions opts = {});
// The *_like factories take t's shape, dtype and device.
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, Scalar value);
Tensor empty_like(const Tensor& t);
Tensor scalar_tensor(Scalar value, TensorOptions opts = {});
// arange(end), arange(start, end, step): int64 when all arguments are integers, else float32.
Tensor arange(Scalar end);
Tensor arange(Scalar start, Scalar end, Scalar step = 1);
Tensor arange(Scalar start, Scalar end, Scalar step, TensorOptions opts);
Tensor linspace(double start, double end, int64_t steps, TensorOptions opts = {});
Tensor eye(int64_t n, std::optional<int64_t> m = std::nullopt, TensorOptions opts = {});
Tensor rand(const Shape& shape, TensorOptions opts = {}, Generator* gen = nullptr);
Tensor randn(const Shape& shape, TensorOptions opts = {}, Generator* gen = nullptr);
Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions opts = DType::Int64, Generator* gen = nullptr);
Tensor randperm(int64_t n, Generator* gen = nullptr);
Tensor bernoulli(const Tensor& probs, Generator* gen = nullptr);
Tensor rand_like(const Tensor& t, Generator* gen = nullptr);
Tensor randn_like(const Tensor& t, Generator* gen = nullptr);

// Copies `values` into a new tensor of `shape` (default: 1-D).
template <typename T> Tensor tensor(const std::vector<T>& values, const Shape& shape = {}, TensorOptions opts = dtype_of<T>::value);
Tensor tensor(std::initializer_list<float> values, const Shape& shape = {});
// Wraps an external host buffer (a CPU tensor) without copying; `deleter` (may be empty) runs when
// the last view dies.
Tensor from_blob(void* data, const Shape& shape, DType dtype, std::function<void(void*)> deleter = {});

}  // namespace ember
