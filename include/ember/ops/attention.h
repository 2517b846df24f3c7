#pragma once
// Attention (torch.nn.functional.scaled_dot_product_attention's contract).
#include <optional>

#include "ember/random.h"
#include "ember/tensor.h"

namespace ember {

// softmax(q @ k^T * scale + mask) @ v, with dropout on the attention weights when dropout_p > 0.
//   q (*, L, E), k (*, S, E), v (*, S, Ev) -> (*, L, Ev); the batch dims (*) broadcast.
//   attn_mask broadcastable to (*, L, S): bool (true = may attend) or floating (added to the scores).
//   is_causal: query i attends to keys j <= i (aligned at the top-left, as PyTorch); not together
//   with attn_mask. scale defaults to 1 / sqrt(E).
// A query row whose keys are all masked out gets NaN, as in PyTorch's reference implementation.
// float32 q, k, v without attn_mask (causal or not), with equal batch dims and contiguous last dims
// (e.g. (B, H, T, D) views of a (B, T, 3C) projection) run a fused kernel that never holds the
// (L, S) scores; everything else runs the composite. Both draw the same dropout mask from `gen`.
// EMBER_SDPA_FUSED=0 forces the composite.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& attn_mask = Tensor(), double dropout_p = 0.0,
                                    bool is_causal = false, std::optional<double> scale = std::nullopt,
                                    Generator* gen = nullptr);

}  // namespace ember
