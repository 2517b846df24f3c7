#pragma once
// Reductions see their input as a contiguous 2-D block: O output elements by R reduced elements,
// either row-major (src[o * R + r], reduced dims innermost) or column-major (src[r * O + o],
// reduced dims leading). plan_reduce makes a copy only when neither layout holds already.
#include "backend/kernel_args.h"
#include "core/op_helpers.h"

namespace ember::detail {

struct ReducePlan {
  Tensor src;             // contiguous
  int64_t O = 1, R = 1;   // outputs, reduced elements per output
  bool col_major = false; // true: src[r * O + o]; false: src[o * R + r]
  Shape out_shape;        // result shape honouring keepdim
  Shape keep_shape;       // result shape with reduced dims kept as 1 (for broadcasting back)
  backend::ReduceShape shape() const { return {O, R, col_major}; }
};

// dims: wrapped, sorted, unique (see wrap_dims); empty means all.
ReducePlan plan_reduce(const Tensor& a, const Shape& dims, bool keepdim);

}  // namespace ember::detail
