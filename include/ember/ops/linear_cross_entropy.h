#pragma once
// The language-model head and its loss in one op, for large vocabularies.
#include "ember/tensor.h"

namespace ember {

// cross_entropy(linear(x, weight), target, ignore_index) with reduction "mean", without keeping
// the (N, V) logits: rows are processed in chunks of at most ~16M logits, and the gradients for x
// and weight are formed chunk by chunk during the forward (when either requires grad), so memory
// holds one chunk, dx (N, C) and dweight (V, C) instead of the logits, the log-probabilities and
// their gradients. Same three products as the unfused form.
//   x (N, C), weight (V, C) floating, same dtype; target (N) int64 in [0, V) or ignore_index.
// All targets ignored gives NaN, as PyTorch's mean. Its backward runs once per forward (the
// gradients are handed over, not copied: retain_graph and a second backward raise an
// ember::Error) and is not differentiable again (create_graph raises too); use the unfused form
// for those.
Tensor linear_cross_entropy(const Tensor& x, const Tensor& weight, const Tensor& target, int64_t ignore_index = -100);

}  // namespace ember
