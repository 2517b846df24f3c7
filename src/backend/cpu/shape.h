#pragma once
// Kernels::cat and Kernels::triangle (tril/triu).
#include <vector>

#include "ember/tensor.h"

namespace ember::cpu {

// out (contiguous) = inputs joined along dim, in order. Contiguous inputs of out's dtype are copied
// as memcpy row blocks; others go through the strided converting copy.
void cat(const Tensor& out, const std::vector<Tensor>& inputs, int64_t dim);

// out = tril(src, diagonal) when lower, else triu; both contiguous (batch, R, C), any dtype.
void triangle(const Tensor& out, const Tensor& src, int64_t diagonal, bool lower);

}  // namespace ember::cpu
