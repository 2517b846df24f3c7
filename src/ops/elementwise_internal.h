#pragma once
// Shared by the elementwise op files: the broadcasting binary kernel entry point.
#include "ember/tensor.h"

namespace ember::detail {

enum class BinaryOp { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge, And, Or };

// out = op(a, b) (Add/Sub: a + alpha * b) broadcast, computed in `compute` dtype. When `out` is
// given it must have the broadcast shape and the result dtype (in-place ops pass self).
Tensor binary_kernel(BinaryOp op, const Tensor& a, const Tensor& b, DType compute, Tensor out = Tensor(),
                     double alpha = 1.0);

}  // namespace ember::detail
