#pragma once
// Unary elementwise ops and the first-order gradients of the activations (Kernels::unary,
// Kernels::unary_backward): strided loops of loops.h, and gelu.h's vectorized tanh-GELU for
// contiguous float32.
#include "backend/kernel_args.h"

namespace ember::cpu {

using backend::UnaryArgs;
using backend::UnaryOp;

void unary(UnaryOp op, const Tensor& out, const Tensor& x, const UnaryArgs& a);
void unary_backward(UnaryOp op, const Tensor& gx, const Tensor& g, const Tensor& v, const UnaryArgs& a);

}  // namespace ember::cpu
