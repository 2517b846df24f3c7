#pragma once
#include <optional>

#include "ember/tensor.h"

namespace ember {

// torch.matmul semantics: 1-D dot, 2-D mm, batched with broadcast batch dims.
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);    // (n, k) @ (k, m)
Tensor bmm(const Tensor& a, const Tensor& b);   // (B, n, k) @ (B, k, m)
Tensor dot(const Tensor& a, const Tensor& b);   // (n) . (n)
// x (*, in) @ weight(out, in)^T + bias(out)
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());
Tensor addmm(const Tensor& bias, const Tensor& a, const Tensor& b, Scalar beta = 1, Scalar alpha = 1);

}  // namespace ember
