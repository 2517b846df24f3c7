#pragma once
// Strided copies with dtype conversion, and fills (Kernels::copy, Kernels::fill).
#include "ember/tensor.h"

namespace ember::cpu {

// dst[i] = convert(src[i]); src already expanded to dst's shape; any dtypes.
void copy(const Tensor& dst, const Tensor& src);
void fill(const Tensor& dst, Scalar value);

// For kernels: t itself when contiguous, else a contiguous copy on the CPU.
Tensor contiguous(const Tensor& t);

}  // namespace ember::cpu
