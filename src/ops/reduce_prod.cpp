// prod over all elements or one dim. The gradient uses exclusive products (the product of every
// other element of the slice, from prefix and suffix products), which is exact with zeros in the
// input, unlike out / x.
#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/reduce_common.h"
#include "ops/reduce_plan.h"

namespace ember {

using autograd::SavedTensor;

namespace {

// (shape of x) -> (shape of x): product of the other elements of each slice along dims, where
// the slices are the rows of the [outer, R, inner] view (dims = one dim, or all dims).
Tensor exclusive_prod(const Tensor& x_in, const Shape& dims) {
  Tensor x = x_in.detach().contiguous();
  int64_t outer = 1, R = 1, inner = 1;
  if (dims.size() == 1 && x.dim() > 1) {
    int64_t d = dims[0];
    for (int64_t i = 0; i < x.dim(); ++i) (i < d ? outer : i == d ? R : inner) *= x.shape()[i];
  } else {
    R = x.numel();
  }
  Tensor out = detail::make_tensor(x.shape(), x.dtype(), x.device());
  EMBER_KERNEL(prod_backward, "prod_backward", out)(out, x, {outer, R, inner});
  return out;
}

}  // namespace

Tensor prod(const Tensor& a, std::optional<int64_t> dim, bool keepdim) {
  auto kernel = EMBER_KERNEL(prod, "prod", a);
  detail::check_compute_dtype(a, "prod");
  // Integer and bool products are int64, as PyTorch.
  DType out_dt = is_floating(a.dtype()) ? a.dtype() : kInt64;
  Tensor x = a.dtype() == out_dt ? a : a.to(out_dt);
  Shape dims = dim ? detail::reduce_dims(x, {*dim}, "prod") : detail::reduce_dims(x, {}, "prod");
  auto plan = detail::plan_reduce(x, dims, keepdim);
  Tensor out = detail::make_tensor(plan.out_shape, out_dt, a.device());
  kernel(out, plan.src, plan.shape());
  if (autograd::any_requires_grad({&a})) {
    Shape keep = detail::keepdim_shape(a.shape(), dims);
    autograd::set_history(out, "ProdBackward", {a},
                          [sa = SavedTensor(a), so = SavedTensor(out.detach()), keep, dims](const Tensor& g,
                                                                                            const autograd::Node& n) {
                            const Tensor& xs = sa.get("prod");
                            Tensor gk = g.reshape(keep);
                            if (!GradMode::is_enabled()) return std::vector<Tensor>{gk * exclusive_prod(xs, dims)};
                            // create_graph: out / x is differentiable but wrong where x == 0.
                            EMBER_CHECK(!any(eq(xs, 0.0)).item<bool>(), "prod",
                                        "double backward (create_graph) through prod is only supported when the "
                                        "input has no zeros; the input of shape ", shape_str(xs.shape()),
                                        " contains zeros");
                            Tensor o = detail::output_with_history(so.get("prod"), n).reshape(keep);
                            return std::vector<Tensor>{gk * o / xs};
                          });
  }
  return out;
}

}  // namespace ember
