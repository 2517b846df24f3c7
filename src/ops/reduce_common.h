#pragma once
// Helpers shared by the reduction, softmax and loss op files.
#include "core/op_helpers.h"
#include "ember/autograd.h"

namespace ember::detail {

// Wrapped, sorted, unique reduction dims (empty = all). A 0-dim tensor accepts dim 0 / -1 and has
// nothing to reduce, so its list comes back empty.
Shape reduce_dims(const Tensor& a, const Shape& dims, const char* op);

// `shape` with every dim in `dims` set to 1 (the keepdim shape, used to broadcast results back).
Shape keepdim_shape(const Shape& shape, const Shape& dims);

// Product of the sizes of `dims`.
int64_t reduced_numel(const Shape& shape, const Shape& dims);

// Errors when a reduction without identity (max, min, arg-max...) meets an empty reduced dim.
void check_nonempty_reduction(const Tensor& a, const Shape& dims, const char* op);

// Inside a backward closure: the node's own (saved, detached) output re-attached to the node, so a
// backward formula that uses the output is differentiable again under create_graph (double
// backward flows back into this same node, as PyTorch does for saved outputs). Without grad mode
// it returns `saved` unchanged.
Tensor output_with_history(const Tensor& saved, const autograd::Node& node);

}  // namespace ember::detail
