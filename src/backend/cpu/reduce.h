#pragma once
// Reductions over the contiguous blocks of backend::ReduceShape: sum and mean, amax/amin, arg
// max/min, prod; and any/all (Kernels:: entries). Results depend only on the thread count: work
// splits into fixed slices merged in slice order. var/std, logsumexp and norm are in stats.h.
#include "backend/kernel_args.h"

namespace ember::cpu {

using backend::ReduceShape;

void sum(const Tensor& out, const Tensor& src, ReduceShape r, double scale);  // scale 1/R: mean
// NaN wins (a NaN anywhere in a slice makes its max/min NaN and its arg the first NaN); ties take
// the first index, as PyTorch.
void extreme(const Tensor& out, const Tensor& src, ReduceShape r, bool is_max);
void arg_extreme(const Tensor& values, const Tensor& indices, const Tensor& src, ReduceShape r, bool is_max);
void prod(const Tensor& out, const Tensor& src, ReduceShape r);  // accumulated in double / int64
void any_all(const Tensor& out, const Tensor& src, bool is_any);  // NaN counts as true (nonzero)

}  // namespace ember::cpu
