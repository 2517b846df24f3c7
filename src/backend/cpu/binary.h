#pragma once
// Broadcasting binary ops, comparisons and where over operands already expanded to the output's
// shape (Kernels::binary, Kernels::where).
#include "backend/kernel_args.h"

namespace ember::cpu {

using backend::BinaryOp;

void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, double alpha);
void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);

}  // namespace ember::cpu
