#pragma once
// Shared by the elementwise op files: broadcasting and type conversion in front of the binary kernel.
#include "backend/kernel_args.h"
#include "ember/tensor.h"

namespace ember::detail {

using backend::BinaryOp;

// out = op(a, b) (Add/Sub: a + alpha * b) broadcast, computed in `compute` dtype. When `out` is
// given it must have the broadcast shape and the result dtype (in-place ops pass self). `name`
// names the op in errors.
Tensor broadcast_binary(BinaryOp op, const char* name, const Tensor& a, const Tensor& b, DType compute,
                        Tensor out = Tensor(), double alpha = 1.0);

}  // namespace ember::detail
