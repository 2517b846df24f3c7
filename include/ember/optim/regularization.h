#pragma once
// Explicit regularization terms to add to a loss.
#include <vector>

#include "ember/tensor.h"

namespace ember::optim {

// lambda * sum_i sum(|p_i|): a differentiable scalar; add it to the loss before backward():
//   Tensor loss = criterion(out, y) + optim::l1_penalty(model.parameters(), 1e-4);
// Its gradient is lambda * sign(p) (0 at p == 0, as PyTorch's abs). L1 is offered only this way,
// not as an optimizer option: a penalty in the loss composes with every optimizer, and for L2
// the optimizers' weight_decay option (or AdamW's decoupled decay) already exists.
// The result has the first parameter's dtype; an empty list gives a float32 zero.
Tensor l1_penalty(const std::vector<Tensor>& params, double lambda);

}  // namespace ember::optim
