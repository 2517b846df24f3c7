// cumsum along a dim: running sums over the [outer, R, inner] view, accumulated in double for
// floats (as PyTorch's CPU kernel) and int64 for integers. Its gradient is the reversed cumsum.
#include <vector>

#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember {

namespace {

Tensor cumsum_impl(const Tensor& a, int64_t d, bool reverse) {
  Tensor x = a.detach().contiguous();
  int64_t outer = 1, R = 1, inner = 1;
  for (int64_t i = 0; i < x.dim(); ++i) (i < d ? outer : i == d ? R : inner) *= x.shape()[i];
  Tensor out = detail::make_tensor(x.shape(), x.dtype());
  EMBER_DISPATCH_NUMERIC(x.dtype(), "cumsum", [&]<typename T>() {
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
    const T* src = x.data_ptr<T>();
    T* dst = out.data_ptr<T>();
    std::vector<Acc> acc(inner);
    for (int64_t o = 0; o < outer; ++o) {
      std::fill(acc.begin(), acc.end(), Acc(0));
      for (int64_t k = 0; k < R; ++k) {
        int64_t r = reverse ? R - 1 - k : k;
        const T* s = src + (o * R + r) * inner;
        T* t = dst + (o * R + r) * inner;
        for (int64_t j = 0; j < inner; ++j) t[j] = static_cast<T>(acc[j] += static_cast<Acc>(s[j]));
      }
    }
  });
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
  detail::check_compute_dtype(a, "cumsum");
  int64_t d = detail::wrap_dim(dim, a.dim(), "cumsum");
  // Integer and bool inputs sum in int64, as PyTorch.
  Tensor x = is_floating(a.dtype()) || a.dtype() == kInt64 ? a : a.to(kInt64);
  if (x.dim() == 0) return cumsum_dir(x.reshape({1}), 0, false).reshape({});
  return cumsum_dir(x, d, false);
}

}  // namespace ember
