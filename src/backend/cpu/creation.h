#pragma once
// Ranges and the identity (Kernels::arange, linspace, eye); out contiguous.
#include "ember/tensor.h"

namespace ember::cpu {

// out[i] = start + i * step, in integers for integer dtypes, else in double.
void arange(const Tensor& out, Scalar start, Scalar step);
// out (steps) from start to end, filled from both ends so the last value is exactly end.
void linspace(const Tensor& out, double start, double end);
// Ones on the diagonal of an already zero (n, m) out.
void eye(const Tensor& out);

}  // namespace ember::cpu
