#pragma once
// What ops and kernels share below the public API (private to core, backend and ops): tensor
// construction, dim wrapping, dtype dispatch, argument checks, version bumps.
#include <memory>

#include "ember/tensor.h"

namespace ember::detail {

Shape contiguous_strides(const Shape& shape);
int64_t shape_numel(const Shape& shape);
// A new contiguous tensor with uninitialized data on `device` (an op's outputs go on its inputs').
Tensor make_tensor(const Shape& shape, DType dtype, Device device);
// A view sharing `base`'s storage (no autograd history).
Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset);
// Wraps a possibly negative dim into [0, ndim); errors name `op`.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);
// Sorted, unique, wrapped dims; empty input means all dims.
Shape wrap_dims(const Shape& dims, int64_t ndim, const char* op);
// A 0-dim CPU tensor holding a C++ number, marked as a wrapped number for type promotion. Kernels
// of any device accept such CPU numbers beside their own tensors (as PyTorch does).
Tensor wrap_scalar(Scalar s);
// The device an op with these inputs runs on: that of the first defined tensor, skipping CPU
// 0-dim tensors (numbers) when another tensor is elsewhere. Throws naming `op` and both devices
// when two inputs live on different devices.
Device common_device(const char* op, std::initializer_list<const Tensor*> ts);
// Checks that a kernel can compute in `t`'s dtype (half types are storage-only).
void check_compute_dtype(const Tensor& t, const char* op);
void check_floating(const Tensor& t, const char* op);
void check_same_dtype(const Tensor& a, const Tensor& b, const char* op);
// Bumps the version counter after an in-place write.
inline void bump_version(const Tensor& t) { ++t.impl().storage->version; }

}  // namespace ember::detail

// Calls F.template operator()<T>() with T the C++ type of `dt`.
#define EMBER_DISPATCH_ALL(dt, op, ...)                                                      \
  [&] {                                                                                   \
    auto&& ember_fn_ = (__VA_ARGS__);                                                             \
    switch (dt) {                                                                         \
      case ::ember::DType::Float32: return ember_fn_.template operator()<float>();                \
      case ::ember::DType::Float64: return ember_fn_.template operator()<double>();               \
      case ::ember::DType::Int32: return ember_fn_.template operator()<int32_t>();                \
      case ::ember::DType::Int64: return ember_fn_.template operator()<int64_t>();                \
      case ::ember::DType::Bool: return ember_fn_.template operator()<bool>();                    \
      default:                                                                            \
        throw ::ember::Error(::ember::detail::str_cat(op, ": dtype ", ::ember::dtype_name(dt), \
            " is a storage type; convert with .to(ember::kFloat32) first"));             \
    }                                                                                     \
  }()

#define EMBER_DISPATCH_NUMERIC(dt, op, ...)                                                  \
  [&] {                                                                                   \
    auto&& ember_fn_ = (__VA_ARGS__);                                                             \
    switch (dt) {                                                                         \
      case ::ember::DType::Float32: return ember_fn_.template operator()<float>();                \
      case ::ember::DType::Float64: return ember_fn_.template operator()<double>();               \
      case ::ember::DType::Int32: return ember_fn_.template operator()<int32_t>();                \
      case ::ember::DType::Int64: return ember_fn_.template operator()<int64_t>();                \
      default:                                                                            \
        throw ::ember::Error(::ember::detail::str_cat(op, ": not implemented for dtype ", \
            ::ember::dtype_name(dt)));                                                    \
    }                                                                                     \
  }()

#define EMBER_DISPATCH_FLOATING(dt, op, ...)                                                 \
  [&] {                                                                                   \
    auto&& ember_fn_ = (__VA_ARGS__);                                                             \
    switch (dt) {                                                                         \
      case ::ember::DType::Float32: return ember_fn_.template operator()<float>();                \
      case ::ember::DType::Float64: return ember_fn_.template operator()<double>();               \
      default:                                                                            \
        throw ::ember::Error(::ember::detail::str_cat(op, ": expected a float32 or float64 tensor, got ", \
            ::ember::dtype_name(dt)));                                                    \
    }                                                                                     \
  }()
