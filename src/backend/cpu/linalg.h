#pragma once
// Kernels::matmul and Kernels::dot on the CPU (BLAS for float32/float64, loops for integers).
#include "ember/tensor.h"

namespace ember::cpu {

// out (*, M, N), contiguous, = alpha * a (*, M, K) @ b (*, K, N) + beta * out. a and b have any
// strides and the same leading (batch) shape as out; broadcast batch dims may have stride 0.
// beta = 0: out need not be initialized. Same dtype everywhere (float32/64, int32/64).
void matmul(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta);
// out (0-dim) = sum over i of a[i] * b[i] for 1-D a, b of the same length and dtype.
void dot(const Tensor& out, const Tensor& a, const Tensor& b);

}  // namespace ember::cpu
