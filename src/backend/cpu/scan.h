#pragma once
// Running sums and exclusive products along one dim of a contiguous [outer, R, inner] block
// (Kernels::cumsum, Kernels::prod_backward).
#include "backend/kernel_args.h"

namespace ember::cpu {

using backend::Block3;

// Accumulated in double for floats (as PyTorch's CPU kernel) and int64 for integers.
void cumsum(const Tensor& out, const Tensor& src, Block3 b, bool reverse);
// out = the product of the other elements of each slice along R, from prefix and suffix
// products in double: prod's gradient, exact with zeros in the input.
void prod_backward(const Tensor& out, const Tensor& src, Block3 b);

}  // namespace ember::cpu
