// prod over all elements or one dim. The gradient uses exclusive products (the product of every
// other element of the slice, from prefix and suffix products), which is exact with zeros in the
// input, unlike out / x.
#include <vector>

#include "backend/cpu/reduce_kernels.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/reduce_common.h"
#include "ops/reduce_plan.h"

namespace ember {

using autograd::SavedTensor;

namespace {

template <typename T>
struct ProdOp {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
  T* out;
  Acc init(int64_t) const { return 1; }
  void step(Acc& a, T v, int64_t) const { a *= static_cast<Acc>(v); }
  void merge(Acc& a, const Acc& b) const { a *= b; }
  void finish(const Acc& a, int64_t o) const { out[o] = static_cast<T>(a); }
};

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
  Tensor out = detail::make_tensor(x.shape(), x.dtype());
  EMBER_DISPATCH_FLOATING(x.dtype(), "prod_backward", [&]<typename T>() {
    const T* src = x.data_ptr<T>();
    T* dst = out.data_ptr<T>();
    std::vector<double> prefix(R);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < inner; ++j) {
        const T* s = src + o * R * inner + j;
        T* t = dst + o * R * inner + j;
        double p = 1;
        for (int64_t r = 0; r < R; ++r) prefix[r] = p, p *= s[r * inner];
        p = 1;
        for (int64_t r = R - 1; r >= 0; --r) t[r * inner] = static_cast<T>(prefix[r] * p), p *= s[r * inner];
      }
  });
  return out;
}

}  // namespace

Tensor prod(const Tensor& a, std::optional<int64_t> dim, bool keepdim) {
  detail::check_compute_dtype(a, "prod");
  // Integer and bool products are int64, as PyTorch.
  DType out_dt = is_floating(a.dtype()) ? a.dtype() : kInt64;
  Tensor x = a.dtype() == out_dt ? a : a.to(out_dt);
  Shape dims = dim ? detail::reduce_dims(x, {*dim}, "prod") : detail::reduce_dims(x, {}, "prod");
  auto plan = detail::plan_reduce(x, dims, keepdim);
  Tensor out = detail::make_tensor(plan.out_shape, out_dt);
  EMBER_DISPATCH_NUMERIC(out_dt, "prod", [&]<typename T>() {
    cpu::reduce_block(plan.src.template data_ptr<T>(), plan.O, plan.R, plan.col_major,
                      ProdOp<T>{out.template data_ptr<T>()});
  });
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
