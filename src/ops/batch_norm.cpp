// batch_norm: fused forward and backward kernels over x viewed as (N, C, S) (contiguous NCHW).
// Training normalizes with the batch's biased variance and moves the running stats toward the
// batch mean and unbiased variance, as PyTorch does. Under create_graph the backward is built from
// Ember ops instead, so it can be differentiated again.
#include <cmath>
#include <memory>

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ember/ops/trace.h"

namespace ember {

namespace {

struct BatchNormState {
  int64_t N, C, S;
  bool training, has_weight;
  double eps;
  Tensor mean, invstd, weight;  // (C) float64; weight undefined when absent
};

// A per-channel parameter or statistic as a contiguous float64 (C) tensor (undefined stays so).
Tensor values_of(const Tensor& t) {
  NoGradGuard ng;
  return t.defined() ? t.detach().to(kFloat64).contiguous() : t;
}

Tensor channel_tensor(const Tensor& v, DType dt, const Shape& shape) { return v.to(dt).reshape(shape); }

// Backward from Ember ops (differentiable again): x (N, C, *), weight (C) or undefined.
std::vector<Tensor> batch_norm_backward_composite(const BatchNormState& st, const Tensor& x, const Tensor& weight,
                                                  const Tensor& g, const autograd::Node& node) {
  Shape red{0}, cshape(x.dim(), 1);  // reduce over all dims but 1; (1, C, 1, ...)
  for (int64_t d = 2; d < x.dim(); ++d) red.push_back(d);
  cshape[1] = st.C;
  Tensor mu, invstd;
  if (st.training) {
    mu = mean(x, red, true);
    invstd = rsqrt(mean(square(x - mu), red, true) + st.eps);
  } else {
    mu = channel_tensor(st.mean, x.dtype(), cshape);
    invstd = channel_tensor(st.invstd, x.dtype(), cshape);
  }
  Tensor xhat = (x - mu) * invstd;  // (N, C, *)
  Tensor gx, gw, gb;
  if (node.needs_grad(0)) {
    gx = st.training ? (g - mean(g, red, true) - xhat * mean(g * xhat, red, true)) * invstd : g * invstd;
    if (st.has_weight) gx = gx * weight.reshape(cshape);
  }
  if (node.needs_grad(1)) gw = sum(g * xhat, red);
  if (node.needs_grad(2)) gb = sum(g, red);
  return {gx, gw, gb};
}

std::vector<Tensor> batch_norm_backward_fused(const BatchNormState& st, const Tensor& xc, const Tensor& g,
                                              const autograd::Node& node) {
  auto grad_of = [&](size_t i, const Shape& s) {
    return node.needs_grad(i) ? detail::make_tensor(s, xc.dtype(), xc.device()) : Tensor();
  };
  Tensor gx = grad_of(0, xc.shape()), gw = grad_of(1, {st.C}), gb = grad_of(2, {st.C});
  EMBER_KERNEL(batch_norm_backward, "batch_norm_backward", xc)(gx, gw, gb, g.contiguous(), xc, st.mean, st.invstd,
                                                               st.weight, st.training);
  return {gx, gw, gb};
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  const char* op = "batch_norm";
  detail::check_floating(x, op);
  EMBER_CHECK(x.dim() >= 2, op, "expects x of shape (N, C, *) with at least 2 dims, got shape ", shape_str(x.shape()));
  const int64_t N = x.shape()[0], C = x.shape()[1];
  int64_t S = 1;
  for (int64_t d = 2; d < x.dim(); ++d) S *= x.shape()[d];
  auto check_channel_param = [&](const Tensor& t, const char* name) {
    if (!t.defined()) return;
    EMBER_CHECK(t.shape() == Shape{C}, op, name, " must have shape [", C, "] (one value per channel of x, whose shape is ",
                shape_str(x.shape()), "), got shape ", shape_str(t.shape()));
    EMBER_CHECK(is_floating(t.dtype()) && is_compute_dtype(t.dtype()), op, name, " must be float32 or float64, got ",
                dtype_name(t.dtype()));
  };
  check_channel_param(running_mean, "running_mean");
  check_channel_param(running_var, "running_var");
  check_channel_param(weight, "weight");
  check_channel_param(bias, "bias");
  EMBER_CHECK(running_mean.defined() == running_var.defined(), op,
              "running_mean and running_var must both be given or both be undefined");
  EMBER_CHECK(training || running_mean.defined(), op,
              "running_mean and running_var must be given in evaluation mode (training=false)");
  EMBER_CHECK(!training || N * S > 1, op, "expected more than 1 value per channel when training, got x of shape ",
              shape_str(x.shape()));
  EMBER_CHECK(eps >= 0, op, "eps must be non-negative, got ", eps);

  bool needs = autograd::any_requires_grad({&x, &weight, &bias});
  auto st = std::make_shared<BatchNormState>();
  st->N = N, st->C = C, st->S = S, st->training = training, st->eps = eps, st->has_weight = weight.defined();
  auto kernel = EMBER_KERNEL(batch_norm, op, x);
  Tensor xc, y;
  {
    NoGradGuard ng;
    const Device dev = detail::common_device(op, {&x, &running_mean, &running_var, &weight, &bias});
    xc = x.contiguous();
    st->mean = detail::make_tensor({C}, kFloat64, dev);
    st->invstd = detail::make_tensor({C}, kFloat64, dev);
    st->weight = values_of(weight);
    const bool update = training && running_mean.defined();
    Tensor new_mean = update ? detail::make_tensor({C}, kFloat64, dev) : Tensor();
    Tensor new_var = update ? detail::make_tensor({C}, kFloat64, dev) : Tensor();
    y = detail::make_tensor(x.shape(), x.dtype(), dev);
    kernel(y, st->mean, st->invstd, new_mean, new_var, xc, st->weight, values_of(bias), values_of(running_mean),
           values_of(running_var), {training, momentum, eps});  // (N, C, *)
    if (update) {
      Tensor rm_t = running_mean, rv_t = running_var;
      rm_t.copy_(new_mean);
      rv_t.copy_(new_var);
    }
  }
  if (needs) {
    autograd::set_history(y, "BatchNormBackward", {x, weight, bias},
                          [st, sx = autograd::SavedTensor(x), xc = x.is_contiguous() ? Tensor() : xc,
                           sw = autograd::SavedTensor(weight)](const Tensor& g, const autograd::Node& node) {
                            const Tensor& x = sx.get("batch_norm");
                            if (GradMode::is_enabled())
                              return batch_norm_backward_composite(*st, x, sw.get("batch_norm"), g, node);
                            return batch_norm_backward_fused(*st, xc.defined() ? xc : x.detach(), g, node);
                          });
  }
  return y;
}();
  if (scope) scope.record("batch_norm", {x, weight, bias, running_mean, running_var}, {out_}, {trace::integer("training", training), trace::num("eps", eps)});
  return out_;
}

}  // namespace ember
