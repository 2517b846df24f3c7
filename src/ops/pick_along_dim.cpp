// pick_along_dim / put_along_dim (see pick_along_dim.h) on contiguous [outer, S, inner] blocks.
#include "ops/pick_along_dim.h"

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::detail {

namespace {

// [outer, S, inner] around dim.
backend::Block3 layout_of(const Shape& shape, int64_t dim) {
  backend::Block3 l;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (d < dim) l.outer *= shape[d];
    else if (d == dim) l.R = shape[d];
    else l.inner *= shape[d];
  }
  return l;
}

Tensor pick_impl(const Tensor& src_in, int64_t dim, const Tensor& index_in) {
  Tensor src = src_in.contiguous();
  Tensor index = index_in.contiguous();
  Tensor out = make_tensor(index.shape(), src.dtype(), src.device());
  EMBER_KERNEL(pick_along_dim, "pick_along_dim", out)(out, src, index, layout_of(src.shape(), dim));
  return out;
}

Tensor put_impl(const Tensor& val_in, int64_t dim, const Tensor& index_in, const Shape& shape) {
  Tensor val = val_in.contiguous();
  Tensor index = index_in.contiguous();
  Tensor out = zeros(shape, TensorOptions(val.dtype()).with_device(val.device()));
  EMBER_KERNEL(put_along_dim, "put_along_dim", out)(out, val, index, layout_of(shape, dim));
  return out;
}

}  // namespace

Tensor pick_along_dim(const Tensor& src, int64_t dim, const Tensor& index) {
  Tensor out = pick_impl(src, dim, index);
  if (autograd::any_requires_grad({&src}))
    autograd::set_history(out, "PickAlongDimBackward", {src},
                          [dim, index, shape = src.shape()](const Tensor& g, const autograd::Node&) {
                            return std::vector<Tensor>{put_along_dim(g, dim, index, shape)};
                          });
  return out;
}

Tensor put_along_dim(const Tensor& val, int64_t dim, const Tensor& index, const Shape& shape) {
  Tensor out = put_impl(val, dim, index, shape);
  if (autograd::any_requires_grad({&val}))
    autograd::set_history(out, "PutAlongDimBackward", {val}, [dim, index](const Tensor& g, const autograd::Node&) {
      return std::vector<Tensor>{pick_along_dim(g, dim, index)};
    });
  return out;
}

}  // namespace ember::detail
