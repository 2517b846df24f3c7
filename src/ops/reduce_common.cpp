// Shared reduction helpers (see reduce_common.h).
#include "ops/reduce_common.h"

namespace ember::detail {

Shape reduce_dims(const Tensor& a, const Shape& dims, const char* op) {
  Shape w = wrap_dims(dims, a.dim(), op);
  if (a.dim() == 0) w.clear();
  return w;
}

Shape keepdim_shape(const Shape& shape, const Shape& dims) {
  Shape k = shape;
  for (auto d : dims) k[d] = 1;
  return k;
}

int64_t reduced_numel(const Shape& shape, const Shape& dims) {
  int64_t n = 1;
  for (auto d : dims) n *= shape[d];
  return n;
}

void check_nonempty_reduction(const Tensor& a, const Shape& dims, const char* op) {
  for (auto d : dims)
    EMBER_CHECK(a.shape()[d] != 0, op, "cannot reduce over dim ", d, " of size 0 (input shape ", shape_str(a.shape()),
                "): the operation has no identity; pass a non-empty tensor or reduce over other dims");
}

Tensor output_with_history(const Tensor& saved, const autograd::Node& node) {
  if (!GradMode::is_enabled()) return saved;
  Tensor t = make_view(saved, saved.shape(), saved.strides(), saved.storage_offset());
  t.impl().grad_fn = const_cast<autograd::Node&>(node).shared_from_this();
  t.impl().requires_grad = true;
  return t;
}

}  // namespace ember::detail
