#pragma once
// var/std (two passes in double), logsumexp and norms over the contiguous blocks of
// backend::ReduceShape, float32/float64 (Kernels:: entries).
#include "backend/kernel_args.h"

namespace ember::cpu {

using backend::ReduceShape;

// sum((x - mean)^2) / denom per output, square-rooted when take_sqrt (std); R == 0 gives NaN.
void var(const Tensor& out, const Tensor& src, ReduceShape r, double denom, bool take_sqrt);
void logsumexp(const Tensor& out, const Tensor& src, ReduceShape r);
// (sum |x|^p)^(1/p); p = 0 counts nonzeros, +-inf takes the max/min of |x| (NaN wins).
void norm(const Tensor& out, const Tensor& src, ReduceShape r, double p);

}  // namespace ember::cpu
