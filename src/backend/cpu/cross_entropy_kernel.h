#pragma once
// Cross-entropy gradient rows for the fused linear + cross-entropy op.
#include <cstdint>

namespace ember::cpu {

// In place over rows (rows, V) of logits z with row log-sum-exp lse:
//   z[r, :] = scale * (exp(z[r, :] - lse[r]) - onehot(target[r]))   (softmax minus one-hot)
// and rows whose target is ignore_index become zeros. Rows are split across threads; each row is
// computed the same way whatever the split (float rows use vec_math's exp).
template <typename T>
void softmax_minus_onehot(T* z, const T* lse, const int64_t* target, int64_t rows, int64_t V, T scale,
                          int64_t ignore_index);

}  // namespace ember::cpu
