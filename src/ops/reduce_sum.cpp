// sum, mean and sum_to (the gradient of broadcasting), on the shared reduction plan.
#include <limits>

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/reduce_common.h"
#include "ops/reduce_plan.h"
#include "ember/ops/trace.h"

namespace ember {
namespace detail {

ReducePlan plan_reduce(const Tensor& a, const Shape& dims, bool keepdim) {
  ReducePlan p;
  int64_t nd = a.dim();
  std::vector<bool> red(nd, false);
  for (auto d : dims)
    if (d < nd) red[d] = true;  // a 0-dim tensor's dim 0 names nothing to reduce
  for (int64_t d = 0; d < nd; ++d) {
    if (red[d]) {
      p.R *= a.shape()[d];
      p.keep_shape.push_back(1);
      if (keepdim) p.out_shape.push_back(1);
    } else {
      p.O *= a.shape()[d];
      p.keep_shape.push_back(a.shape()[d]);
      p.out_shape.push_back(a.shape()[d]);
    }
  }
  // Which layout holds without a copy? Reduced dims must be a suffix (row-major) or a prefix
  // (column-major) of the non-unit dims.
  Shape order;
  for (int64_t d = 0; d < nd; ++d)
    if (a.shape()[d] != 1) order.push_back(d);
  bool suffix = true, prefix = true, seen_red = false, seen_keep = false;
  for (auto d : order) {
    if (red[d]) seen_red = true;
    else if (seen_red) suffix = false;
    if (!red[d]) seen_keep = true;
    else if (seen_keep) prefix = false;
  }
  if (a.is_contiguous() && suffix) {
    p.src = a;
  } else if (a.is_contiguous() && prefix) {
    p.src = a;
    p.col_major = true;
  } else {
    Shape perm;
    for (int64_t d = 0; d < nd; ++d)
      if (!red[d]) perm.push_back(d);
    for (int64_t d = 0; d < nd; ++d)
      if (red[d]) perm.push_back(d);
    NoGradGuard ng;
    p.src = a.detach().permute(perm).contiguous();
  }
  return p;
}

}  // namespace detail

namespace {

// sum (scale = 1) or mean (scale = 1/R) without autograd.
Tensor sum_impl(const Tensor& a, const Shape& wrapped, bool keepdim, bool mean, const char* op) {
  auto kernel = EMBER_KERNEL(sum, op, a);
  detail::check_compute_dtype(a, op);
  DType out_dt = is_floating(a.dtype()) ? a.dtype() : kInt64;
  EMBER_CHECK(!mean || is_floating(a.dtype()), op, "mean needs a floating-point input, got ", dtype_name(a.dtype()),
              "; convert with .to(ember::kFloat32)");
  Tensor in = a.dtype() == out_dt ? a : a.to(out_dt);
  auto plan = detail::plan_reduce(in, wrapped, keepdim);
  Tensor out = detail::make_tensor(plan.out_shape, out_dt, a.device());
  double scale = mean ? 1.0 / static_cast<double>(plan.R) : 1.0;
  if (mean && plan.R == 0) scale = std::numeric_limits<double>::quiet_NaN();
  kernel(out, plan.src, plan.shape(), scale);
  return out;
}

Tensor sum_or_mean(const Tensor& a, const Shape& dims, bool keepdim, bool mean) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  const char* op = mean ? "mean" : "sum";
  Shape wrapped = detail::reduce_dims(a, dims, op);  // a 0-dim tensor has no dim to reduce
  Tensor out = sum_impl(a, wrapped, keepdim, mean, op);
  if (autograd::any_requires_grad({&a})) {
    auto plan_keep = [&] {
      Shape ks = a.shape();
      for (auto d : wrapped) ks[d] = 1;
      return ks;
    }();
    double scale = 1.0;
    if (mean) {
      int64_t r = 1;
      for (auto d : wrapped) r *= a.shape()[d];
      scale = 1.0 / static_cast<double>(r);
    }
    autograd::set_history(out, mean ? "MeanBackward" : "SumBackward", {a},
                          [keep = plan_keep, in_shape = a.shape(), scale](const Tensor& g, const autograd::Node&) {
                            Tensor gg = g.reshape(keep);
                            if (scale != 1.0) gg = gg * scale;
                            return std::vector<Tensor>{gg.expand(in_shape).contiguous()};
                          });
  }
  return out;
}();
  if (scope) scope.record(mean ? "reduce_mean" : "reduce_sum", {a}, {out_}, {trace::ints("dims", detail::reduce_dims(a, dims, "sum")), trace::integer("keepdim", keepdim)});
  return out_;
}

}  // namespace

Tensor sum(const Tensor& a) { return sum_or_mean(a, {}, false, false); }
Tensor sum(const Tensor& a, const Shape& dims, bool keepdim) {
  if (dims.empty()) return sum_or_mean(a, {}, keepdim, false);
  return sum_or_mean(a, dims, keepdim, false);
}
Tensor mean(const Tensor& a) { return sum_or_mean(a, {}, false, true); }
Tensor mean(const Tensor& a, const Shape& dims, bool keepdim) { return sum_or_mean(a, dims, keepdim, true); }

Tensor sum_to(const Tensor& t, const Shape& shape) {
  if (t.shape() == shape) return t;
  int64_t lead = t.dim() - static_cast<int64_t>(shape.size());
  EMBER_CHECK(lead >= 0, "sum_to", "cannot sum a tensor of shape ", shape_str(t.shape()), " to the larger shape ",
              shape_str(shape));
  Shape dims;
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (d < lead) dims.push_back(d);
    else if (shape[d - lead] == 1 && t.shape()[d] != 1) dims.push_back(d);
    else
      EMBER_CHECK(shape[d - lead] == t.shape()[d], "sum_to", "shape ", shape_str(t.shape()), " does not broadcast to ",
                  shape_str(shape));
  }
  Tensor s = dims.empty() ? t : sum(t, dims, true);
  return s.reshape(shape);
}

Tensor Tensor::sum() const { return ember::sum(*this); }
Tensor Tensor::sum(const Shape& dims, bool keepdim) const { return ember::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return ember::mean(*this); }
Tensor Tensor::mean(const Shape& dims, bool keepdim) const { return ember::mean(*this, dims, keepdim); }

}  // namespace ember
