#pragma once
#include <functional>

#include "ember/tensor.h"

namespace ember::detail {

// Runs an in-place op while autograd is recording: computes `op(self_before)` out of place (on a
// differentiable clone, so saved tensors stay valid), writes the result into self and moves self's
// history onto it. Rejects leaves that require grad and views, as PyTorch does for leaves.
Tensor& inplace_with_history(Tensor& self, const char* op, const std::function<Tensor(const Tensor&)>& compute);

// True when an in-place op on self (with these other operands) must record autograd history.
bool inplace_needs_history(const Tensor& self, std::initializer_list<const Tensor*> others);

}  // namespace ember::detail
