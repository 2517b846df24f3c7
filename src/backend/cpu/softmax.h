#pragma once
// Fused softmax / log_softmax / logsumexp kernels. Every tensor is a contiguous block viewed as
// [outer, R, inner]; the op runs over R. inner == 1 (the last dim) is the fast row case; inner > 1
// works on strips of columns so the loads stay contiguous. One pass finds the max, one sums the
// exponentials, one writes the result; rows are split across threads (deterministic: each output
// is computed by one thread in a fixed order).
#include "backend/kernel_args.h"

namespace ember::cpu {

using backend::Block3;

// Kernels::softmax and softmax_backward over contiguous [outer, R, inner] tensors.
void softmax(const Tensor& out, const Tensor& x, Block3 b, bool log);
void softmax_backward(const Tensor& gx, const Tensor& g, const Tensor& y, Block3 b, bool log);

// The same on raw buffers, for the other CPU kernels (logsumexp, linear_cross_entropy):
// out = softmax(x) or log_softmax(x) over R.
template <typename T>
void softmax_blocks(const T* x, T* out, int64_t outer, int64_t R, int64_t inner, bool log);

// gx = dL/dx from g = dL/dy and the forward output y:
//   softmax:     gx = y * (g - sum_R(g * y))
//   log_softmax: gx = g - exp(y) * sum_R(g)
template <typename T>
void softmax_backward_blocks(const T* g, const T* y, T* gx, int64_t outer, int64_t R, int64_t inner, bool log);

// out[o, j] = log(sum_r exp(x[o, r, j])), computed as m + log(sum exp(x - m)) with m the max
// (m = 0 when it is infinite, so all -inf gives -inf and any +inf gives +inf).
template <typename T>
void logsumexp_blocks(const T* x, T* out, int64_t outer, int64_t R, int64_t inner);

}  // namespace ember::cpu
