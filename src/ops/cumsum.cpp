// cumsum along a dim: running sums over the [outer, R, inner] view, accumulated in double for
// floats (as PyTorch's CPU kernel) and int64 for integers. Its gradient is the reversed cumsum.
#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember {

namespace {

Tensor cumsum_impl(const Tensor& a, int64_t d, bool reverse) {
  Tensor x = a.detach().contiguous();
  int64_t outer = 1, R = 1, inner = 1;
  for (int64_t i = 0; i < x.dim(); ++i) (i < d ? outer : i == d ? R : inner) *= x.shape()[i];
  Tensor out = detail::make_tensor(x.shape(), x.dtype(), x.device());
  EMBER_KERNEL(cumsum, "cumsum", out)(out, x, {outer, R, inner}, reverse);
  return out;
}

// Differentiable: the gradient of a (reversed) cumsum is the opposite-direction cumsum.
Tensor cumsum_dir(const Tensor& a, int64_t d, bool reverse) {
  Tensor out = cumsum_impl(a, d, reverse);
  if (autograd::any_requires_grad({&a}))
    autograd::set_history(out, "CumsumBackward", {a}, [d, reverse](const Tensor& g, const autograd::Node&) {
      return std::vector<Tensor>{cumsum_dir(g, d, !reverse)};
    });
  return out;
}

}  // namespace

Tensor cumsum(const Tensor& a, int64_t dim) {
  EMBER_KERNEL(cumsum, "cumsum", a);  // a device without the kernel fails before any conversion
  detail::check_compute_dtype(a, "cumsum");
  int64_t d = detail::wrap_dim(dim, a.dim(), "cumsum");
  // Integer and bool inputs sum in int64, as PyTorch.
  Tensor x = is_floating(a.dtype()) || a.dtype() == kInt64 ? a : a.to(kInt64);
  if (x.dim() == 0) return cumsum_dir(x.reshape({1}), 0, false).reshape({});
  return cumsum_dir(x, d, false);
}

}  // namespace ember
