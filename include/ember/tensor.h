#pragma once
// Tensor: a reference-counted handle to a strided view of shared storage, with autograd metadata.
// Copies of a Tensor alias the same data (as in PyTorch); use clone() for a deep copy.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ember/device.h"
#include "ember/dtype.h"
#include "ember/error.h"

namespace ember {

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);  // "[2, 3]"

// A number passed where a tensor is expected; remembers whether it was written as an integer,
// a bool or a float, which decides type promotion (as PyTorch's wrapped numbers do).
struct Scalar {
  enum class Kind : uint8_t { Bool, Int, Float } kind;
  double d;
  int64_t i;
  Scalar(double v) : kind(Kind::Float), d(v), i(static_cast<int64_t>(v)) {}
  Scalar(float v) : Scalar(static_cast<double>(v)) {}
  Scalar(int v) : kind(Kind::Int), d(v), i(v) {}
  Scalar(long v) : kind(Kind::Int), d(static_cast<double>(v)), i(v) {}
  Scalar(long long v) : kind(Kind::Int), d(static_cast<double>(v)), i(v) {}
  Scalar(bool v) : kind(Kind::Bool), d(v), i(v) {}
  template <typename T> T to() const {
    if constexpr (std::is_floating_point_v<T>) return static_cast<T>(d);
    else if (kind == Kind::Float) return static_cast<T>(d);
    else return static_cast<T>(i);
  }
};

// Bytes from the allocator of `device`'s backend (on the CPU: 64-byte aligned), or an external host
// buffer with its own deleter. The version counter is shared by every view of the storage, so
// autograd can detect in-place changes.
struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;
  std::function<void(void*)> deleter;
  uint64_t version = 0;
  Device device;
  // Throws ember::Error when no backend is registered for the device's type.
  static std::shared_ptr<Storage> allocate(size_t nbytes, Device device = kCPU);
  static std::shared_ptr<Storage> from_external(void* data, size_t nbytes, std::function<void(void*)> deleter);
  ~Storage();
};

// Returns cached large blocks (kept for reuse by the allocator) to the system.
void empty_cache();

namespace autograd { struct Node; }

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;  // in elements
  int64_t offset = 0;  // in elements
  int64_t numel = 1;
  DType dtype = DType::Float32;
  bool requires_grad = false;
  bool is_wrapped_number = false;  // a 0-dim tensor made from a C++ number (type promotion)
  bool is_view = false;
  std::shared_ptr<TensorImpl> grad;
  std::shared_ptr<autograd::Node> grad_fn;
  std::weak_ptr<autograd::Node> grad_accumulator;  // leaves: the one AccumulateGrad node
  bool retains_grad = false;
  std::vector<std::function<void(TensorImpl&)>> post_accumulate_hooks;  // leaves, after .grad updates
  void* data() const { return static_cast<char*>(storage->data) + offset * static_cast<int64_t>(itemsize(dtype)); }
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Shape& sizes() const { return impl().shape; }
  int64_t size(int64_t dim) const;
  const Shape& strides() const { return impl().strides; }
  int64_t stride(int64_t dim) const;
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  int64_t numel() const { return impl().numel; }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device; }
  size_t element_size() const { return itemsize(dtype()); }
  bool is_contiguous() const;
  bool is_floating_point() const { return is_floating(dtype()); }
  int64_t storage_offset() const { return impl().offset; }
  uint64_t version() const { return impl().storage->version; }
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }
  TensorImpl& impl() const {
    if (!impl_) [[unlikely]] throw Error("Tensor: this tensor is undefined (default-constructed); create it with a factory such as ember::zeros");
    return *impl_;
  }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

  // ---- data access ----
  void* raw_data() const { return impl().data(); }
  template <typename T> T* data_ptr() const;  // checks dtype
  template <typename T> T item() const;       // a one-element tensor's value
  double item() const { return item<double>(); }
  template <typename T> std::vector<T> to_vector() const;  // in logical (row-major) order

  // ---- autograd ----
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& requires_grad_(bool requires_grad = true);
  Tensor& set_requires_grad(bool r) { return requires_grad_(r); }
  Tensor grad() const;
  void set_grad(const Tensor& g);
  bool is_leaf() const;
  const std::shared_ptr<autograd::Node>& grad_fn() const { return impl().grad_fn; }
  void retain_grad();
  // gradient: needed unless this is a one-element tensor. Frees the graph unless retain_graph.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false, bool create_graph = false) const;
  Tensor detach() const;
  Tensor& detach_();

  // ---- conversion and copies ----
  Tensor to(DType t) const;
  Tensor to(Device d) const;  // a copy on device d (this tensor itself when it is there already)
  Tensor clone() const;
  Tensor contiguous() const;
  Tensor& copy_(const Tensor& src);

  // ---- views (no copy) ----
  Tensor view(const Shape& shape) const;
  Tensor reshape(const Shape& shape) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor t() const;
  Tensor permute(const Shape& dims) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor operator[](int64_t index) const { return select(0, index); }
  Tensor expand(const Shape& shape) const;
  Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor unflatten(int64_t dim, const Shape& sizes) const;

  // ---- in-place ----
  Tensor& add_(const Tensor& other, Scalar alpha = 1);
  Tensor& add_(Scalar other);
  Tensor& sub_(const Tensor& other, Scalar alpha = 1);
  Tensor& sub_(Scalar other);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(Scalar other);
  Tensor& div_(const Tensor& other);
  Tensor& div_(Scalar other);
  Tensor& zero_();
  Tensor& fill_(Scalar value);
  Tensor& clamp_(std::optional<Scalar> min, std::optional<Scalar> max);
  Tensor& masked_fill_(const Tensor& mask, Scalar value);
  Tensor& addcmul_(const Tensor& a, const Tensor& b, Scalar value = 1);
  Tensor& addcdiv_(const Tensor& a, const Tensor& b, Scalar value = 1);
  Tensor& sqrt_();
  Tensor& uniform_(double from = 0, double to = 1);
  Tensor& normal_(double mean = 0, double std = 1);

  // ---- method forms of common ops (see ember/ops.h) ----
  Tensor add(const Tensor& o, Scalar alpha = 1) const;
  Tensor sub(const Tensor& o, Scalar alpha = 1) const;
  Tensor mul(const Tensor& o) const;
  Tensor div(const Tensor& o) const;
  Tensor pow(Scalar e) const;
  Tensor pow(const Tensor& e) const;
  Tensor neg() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor rsqrt() const;
  Tensor abs() const;
  Tensor sin() const;
  Tensor cos() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor square() const;
  Tensor clamp(std::optional<Scalar> min, std::optional<Scalar> max) const;
  Tensor sum() const;
  Tensor sum(const Shape& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const Shape& dims, bool keepdim = false) const;
  Tensor max() const;
  Tensor min() const;
  Tensor argmax(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor matmul(const Tensor& o) const;
  Tensor mm(const Tensor& o) const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;
  Tensor masked_fill(const Tensor& mask, Scalar value) const;
  Tensor eq(const Tensor& o) const;
  Tensor eq(Scalar o) const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, Scalar b);
Tensor operator-(const Tensor& a, Scalar b);
Tensor operator*(const Tensor& a, Scalar b);
Tensor operator/(const Tensor& a, Scalar b);
Tensor operator+(Scalar a, const Tensor& b);
Tensor operator-(Scalar a, const Tensor& b);
Tensor operator*(Scalar a, const Tensor& b);
Tensor operator/(Scalar a, const Tensor& b);
Tensor operator-(const Tensor& a);
Tensor& operator+=(Tensor& a, const Tensor& b);
Tensor& operator-=(Tensor& a, const Tensor& b);
Tensor& operator*=(Tensor& a, const Tensor& b);
Tensor& operator/=(Tensor& a, const Tensor& b);
Tensor& operator+=(Tensor& a, Scalar b);
Tensor& operator-=(Tensor& a, Scalar b);
Tensor& operator*=(Tensor& a, Scalar b);
Tensor& operator/=(Tensor& a, Scalar b);

// Prints like PyTorch: tensor([[1.0000, 2.5000], ...], dtype=..., requires_grad=True)
std::ostream& operator<<(std::ostream& os, const Tensor& t);
std::string to_string(const Tensor& t);

// ---- template definitions ----
template <typename T> T* Tensor::data_ptr() const {
  EMBER_CHECK(dtype() == dtype_of<T>::value, "data_ptr", "tensor has dtype ", dtype_name(dtype()),
              " but data_ptr was asked for ", dtype_name(dtype_of<T>::value));
  return static_cast<T*>(raw_data());
}

}  // namespace ember
