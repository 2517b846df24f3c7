#pragma once
// Helpers shared by the indexing ops (index_ops.cpp, embedding.cpp): index validation and the
// differentiable index_add used by their gradients.
#include <string>

#include "core/op_helpers.h"

namespace ember::detail {

// The index as a contiguous int64 tensor (int32 is widened).
Tensor contiguous_index(const Tensor& index);

// Throws "op: index V is out of range for <where>" for the first value outside [0, size).
void check_index_range(const Tensor& index64, int64_t size, const char* op, const std::string& where);
[[noreturn]] void index_out_of_range(int64_t value, int64_t size, const char* op, const std::string& where);
// The value at flat position `flat` of a contiguous int64 index (for error messages).
int64_t index_at(const Tensor& index64, int64_t flat);

// A view of t's leading block of extent `sizes` in every dim (sizes[d] <= t.size(d)); no autograd.
Tensor leading_block(const Tensor& t, const Shape& sizes);

// zeros(shape) with src (shape with dim replaced by index.numel()) added at `index` along dim:
// the gradient of index_select. Differentiable in src (its gradient is index_select).
Tensor index_add_zeros(const Shape& shape, int64_t dim, const Tensor& index64, const Tensor& src);

}  // namespace ember::detail
