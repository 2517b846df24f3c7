// amax/amin, max/min (all elements or along a dim with indices), argmax/argmin.
// NaN wins (a NaN anywhere in a reduced slice makes its max/min NaN and its arg the first NaN) and
// ties take the first index, as PyTorch (backend/cpu/reduce.cpp).
#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/pick_along_dim.h"
#include "ops/reduce_common.h"
#include "ops/reduce_plan.h"
#include "ember/ops/trace.h"

namespace ember {

using autograd::SavedTensor;

namespace {

// amax/amin over `dims` (wrapped) without autograd.
Tensor extreme_impl(const Tensor& a, const Shape& dims, bool keepdim, bool is_max, const char* op) {
  auto kernel = EMBER_KERNEL(extreme, op, a);
  detail::check_compute_dtype(a, op);
  detail::check_nonempty_reduction(a, dims, op);
  auto plan = detail::plan_reduce(a, dims, keepdim);
  Tensor out = detail::make_tensor(plan.out_shape, a.dtype(), a.device());
  kernel(out, plan.src, plan.shape(), is_max);
  return out;
}

// Values (optional) and int64 indices of the max/min along one wrapped dim.
std::pair<Tensor, Tensor> arg_impl(const Tensor& a, const Shape& dims, bool keepdim, bool is_max, bool want_values,
                                   const char* op) {
  auto kernel = EMBER_KERNEL(arg_extreme, op, a);
  detail::check_compute_dtype(a, op);
  detail::check_nonempty_reduction(a, dims, op);
  auto plan = detail::plan_reduce(a, dims, keepdim);
  Tensor values = want_values ? detail::make_tensor(plan.out_shape, a.dtype(), a.device()) : Tensor();
  Tensor indices = detail::make_tensor(plan.out_shape, kInt64, a.device());
  kernel(values, indices, plan.src, plan.shape(), is_max);
  return {values, indices};
}

// amax/amin with autograd: ties share the gradient evenly (PyTorch 1.13's amax/amin and max()/min()).
Tensor extreme(const Tensor& a, const Shape& dims_in, bool keepdim, bool is_max, const char* op) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  Shape dims = detail::reduce_dims(a, dims_in, op);
  Tensor out = extreme_impl(a, dims, keepdim, is_max, op);
  if (autograd::any_requires_grad({&a})) {
    Shape keep = detail::keepdim_shape(a.shape(), dims);
    autograd::set_history(out, is_max ? "AmaxBackward" : "AminBackward", {a},
                          [sa = SavedTensor(a), so = SavedTensor(out.detach()), keep, dims, op](const Tensor& g,
                                                                                               const autograd::Node&) {
                            const Tensor& x = sa.get(op);
                            // (in) mask of the elements equal to their slice's extreme; (keep) their count
                            Tensor mask = eq(x, so.get(op).reshape(keep)).to(x.dtype());
                            Tensor count = sum(mask, dims, true);
                            return std::vector<Tensor>{mask * (g.reshape(keep) / count)};
                          });
  }
  return out;
}();
  if (scope) scope.record(is_max ? "reduce_max" : "reduce_min", {a}, {out_}, {trace::ints("dims", detail::reduce_dims(a, dims_in, op)), trace::integer("keepdim", keepdim)});
  return out_;
}

// max/min along a dim: (values, indices); the values' gradient goes to the returned index.
std::tuple<Tensor, Tensor> extreme_dim(const Tensor& a, int64_t dim, bool keepdim, bool is_max, const char* op) {
  trace::OpScope scope;
  std::tuple<Tensor, Tensor> out_ = [&]() -> std::tuple<Tensor, Tensor> {
  int64_t d = detail::wrap_dim(dim, a.dim(), op);
  if (a.dim() == 0) {  // a 0-dim tensor is its own max, at index 0
    auto [v, i] = extreme_dim(a.reshape({1}), 0, false, is_max, op);
    return {v.reshape({}), i.reshape({})};
  }
  auto [values, indices] = arg_impl(a, {d}, keepdim, is_max, true, op);
  if (autograd::any_requires_grad({&a})) {
    Shape keep = detail::keepdim_shape(a.shape(), {d});
    autograd::set_history(values, is_max ? "MaxBackward" : "MinBackward", {a},
                          [idx = indices.reshape(keep), keep, d, shape = a.shape()](const Tensor& g, const autograd::Node&) {
                            return std::vector<Tensor>{detail::put_along_dim(g.reshape(keep), d, idx, shape)};
                          });
  }
  return {values, indices};
}();
  if (scope) scope.record(is_max ? "max_dim" : "min_dim", {a}, {std::get<0>(out_), std::get<1>(out_)}, {trace::integer("dim", detail::wrap_dim(dim, a.dim(), op)), trace::integer("keepdim", keepdim)});
  return out_;
}

Tensor arg(const Tensor& a, std::optional<int64_t> dim, bool keepdim, bool is_max, const char* op) {
  if (!dim) {
    // Over the flattened tensor; keepdim gives all-ones dims, as PyTorch.
    Tensor flat = a.reshape({-1});
    Tensor idx = arg_impl(flat, {0}, false, is_max, false, op).second;
    return keepdim ? idx.reshape(Shape(a.dim(), 1)) : idx;
  }
  int64_t d = detail::wrap_dim(*dim, a.dim(), op);
  if (a.dim() == 0) return zeros({}, TensorOptions(kInt64).with_device(a.device()));
  return arg_impl(a, {d}, keepdim, is_max, false, op).second;
}

}  // namespace

Tensor amax(const Tensor& a, const Shape& dims, bool keepdim) { return extreme(a, dims, keepdim, true, "amax"); }
Tensor amin(const Tensor& a, const Shape& dims, bool keepdim) { return extreme(a, dims, keepdim, false, "amin"); }

Tensor max(const Tensor& a) {
  EMBER_CHECK(a.numel() > 0, "max", "the tensor of shape ", shape_str(a.shape()),
              " is empty, so it has no maximum; pass a dim to reduce over another dim, or check the input");
  return extreme(a, {}, false, true, "max");
}
Tensor min(const Tensor& a) {
  EMBER_CHECK(a.numel() > 0, "min", "the tensor of shape ", shape_str(a.shape()),
              " is empty, so it has no minimum; pass a dim to reduce over another dim, or check the input");
  return extreme(a, {}, false, false, "min");
}

std::tuple<Tensor, Tensor> max(const Tensor& a, int64_t dim, bool keepdim) {
  return extreme_dim(a, dim, keepdim, true, "max");
}
std::tuple<Tensor, Tensor> min(const Tensor& a, int64_t dim, bool keepdim) {
  return extreme_dim(a, dim, keepdim, false, "min");
}

Tensor argmax(const Tensor& a, std::optional<int64_t> dim, bool keepdim) { return arg(a, dim, keepdim, true, "argmax"); }
Tensor argmin(const Tensor& a, std::optional<int64_t> dim, bool keepdim) { return arg(a, dim, keepdim, false, "argmin"); }

Tensor Tensor::max() const { return ember::max(*this); }
Tensor Tensor::min() const { return ember::min(*this); }
Tensor Tensor::argmax(std::optional<int64_t> dim, bool keepdim) const { return ember::argmax(*this, dim, keepdim); }

}  // namespace ember
