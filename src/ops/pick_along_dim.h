#pragma once
// Internal, differentiable one-index-per-position gather/scatter along a dim, used by max/min(dim)
// backward and by nll_loss. Each is the other's adjoint, so gradients of any order flow.
#include "ember/tensor.h"

namespace ember::detail {

// src (..., S, ...) with S at `dim`; index int64 of src's shape but 1 at `dim`.
// out[..., 0, ...] = src[..., index[..., 0, ...], ...]; an index outside [0, S) gives 0 (callers
// validate indices first; out-of-range entries are how ignored targets are skipped).
Tensor pick_along_dim(const Tensor& src, int64_t dim, const Tensor& index);

// The adjoint: zeros of `shape` (index's shape with S at `dim`) with val[..., 0, ...] written at
// position index[..., 0, ...] along dim; out-of-range indices write nothing.
Tensor put_along_dim(const Tensor& val, int64_t dim, const Tensor& index, const Shape& shape);

}  // namespace ember::detail
