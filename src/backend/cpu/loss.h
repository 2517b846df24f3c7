#pragma once
// Kernels::linear_cross_entropy: the language-model head x @ w^T and the mean cross-entropy in
// one pass over row chunks, so the (N, V) logits of a large vocabulary never exist at once. Each
// chunk's logits become the gradient of the loss in place (softmax minus one-hot, over the count
// of targets) and are contracted right away into dx = dlogits @ w and dw += dlogits^T @ x.
#include "ember/tensor.h"

namespace ember::cpu {

// x (N, C), w (V, C), target (N) int64, all contiguous; out 0-dim; dx (N, C), dw (V, C) or
// undefined. Returns the first row whose target is out of range (nothing computed), or -1.
int64_t linear_cross_entropy(const Tensor& out, const Tensor& dx, const Tensor& dw, const Tensor& x, const Tensor& w,
                             const Tensor& target, int64_t ignore_index);

}  // namespace ember::cpu
