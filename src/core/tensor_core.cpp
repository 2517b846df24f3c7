// Tensor construction, metadata and data access.
#include <algorithm>
#include <numeric>
#include <sstream>

#include "core/op_helpers.h"

namespace ember {

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << "]";
  return os.str();
}

namespace detail {

Shape contiguous_strides(const Shape& shape) {
  Shape st(shape.size());
  int64_t acc = 1;
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= std::max<int64_t>(shape[i], 1);
  }
  return st;
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

Tensor make_tensor(const Shape& shape, DType dtype, Device device) {
  for (auto d : shape)
    EMBER_CHECK(d >= 0, "empty", "negative dimension in shape ", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->numel = shape_numel(shape);
  impl->storage = Storage::allocate(static_cast<size_t>(impl->numel) * itemsize(dtype), device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl().storage;
  impl->numel = shape_numel(shape);
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = base.dtype();
  impl->is_view = true;
  return Tensor(std::move(impl));
}

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t n = std::max<int64_t>(ndim, 1);  // 0-dim tensors accept dim 0 and -1, as in PyTorch
  EMBER_CHECK(dim >= -n && dim < n, op, "dimension ", dim, " out of range for a tensor with ", ndim,
              " dims (expected a dim in [", -n, ", ", n - 1, "])");
  return dim < 0 ? dim + n : dim;
}

Shape wrap_dims(const Shape& dims, int64_t ndim, const char* op) {
  Shape out;
  if (dims.empty()) {
    out.resize(ndim);
    std::iota(out.begin(), out.end(), 0);
    return out;
  }
  for (auto d : dims) out.push_back(wrap_dim(d, ndim, op));
  std::sort(out.begin(), out.end());
  EMBER_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), op, "dim ",
              *std::adjacent_find(out.begin(), out.end()), " appears more than once in ", shape_str(dims));
  return out;
}

Tensor wrap_scalar(Scalar s) {
  Tensor t;
  switch (s.kind) {
    case Scalar::Kind::Bool: t = make_tensor({}, kBool, kCPU); *t.data_ptr<bool>() = s.i != 0; break;
    case Scalar::Kind::Int: t = make_tensor({}, kInt64, kCPU); *t.data_ptr<int64_t>() = s.i; break;
    case Scalar::Kind::Float: t = make_tensor({}, kFloat64, kCPU); *t.data_ptr<double>() = s.d; break;
  }
  t.impl().is_wrapped_number = true;
  return t;
}

Device common_device(const char* op, std::initializer_list<const Tensor*> ts) {
  const Tensor* first = nullptr;
  for (const Tensor* t : ts) {
    if (!t->defined() || (t->dim() == 0 && t->device().is_cpu())) continue;
    if (!first) first = t;
    else if (t->device() != first->device())
      EMBER_FAIL(op, "expected all tensors on one device, got ", first->device().str(), " and ", t->device().str(),
                 "; move them with .to(device)");
  }
  if (first) return first->device();
  for (const Tensor* t : ts)
    if (t->defined()) return t->device();
  return kCPU;
}

void check_compute_dtype(const Tensor& t, const char* op) {
  EMBER_CHECK(is_compute_dtype(t.dtype()), op, "dtype ", dtype_name(t.dtype()),
              " is a storage type; convert with .to(ember::kFloat32) first");
}

void check_floating(const Tensor& t, const char* op) {
  EMBER_CHECK(t.dtype() == kFloat32 || t.dtype() == kFloat64, op,
              "expected a float32 or float64 tensor, got ", dtype_name(t.dtype()));
}

void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  EMBER_CHECK(a.dtype() == b.dtype(), op, "expected tensors of the same dtype, got ", dtype_name(a.dtype()),
              " and ", dtype_name(b.dtype()));
}

}  // namespace detail

int64_t Tensor::size(int64_t d) const { return shape()[detail::wrap_dim(d, dim(), "size")]; }
int64_t Tensor::stride(int64_t d) const { return strides()[detail::wrap_dim(d, dim(), "stride")]; }

bool Tensor::is_contiguous() const {
  const auto& s = shape();
  const auto& st = strides();
  int64_t expected = 1;
  for (int64_t i = static_cast<int64_t>(s.size()) - 1; i >= 0; --i) {
    if (s[i] == 1) continue;
    if (st[i] != expected) return false;
    expected *= s[i];
  }
  return true;
}


}  // namespace ember
