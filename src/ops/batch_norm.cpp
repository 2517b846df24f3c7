// batch_norm: fused forward and backward kernels over x viewed as (N, C, S) (contiguous NCHW).
// Training normalizes with the batch's biased variance and moves the running stats toward the
// batch mean and unbiased variance, as PyTorch does. Under create_graph the backward is built from
// Ember ops instead, so it can be differentiated again.
#include <cmath>
#include <memory>

#include "backend/cpu/norm_kernels.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember {

namespace {

struct BatchNormState {
  int64_t N, C, S;
  bool training, has_weight;
  double eps;
  std::vector<double> mean, invstd, weight;  // per channel (weight: 1 when absent)
};

std::vector<double> values_of(const Tensor& t) {
  NoGradGuard ng;
  return t.to_vector<double>();
}

Tensor channel_tensor(const std::vector<double>& v, DType dt, const Shape& shape) {
  return tensor(v, {static_cast<int64_t>(v.size())}, dt).reshape(shape);
}

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
  const int64_t C = st.C;
  const double M = static_cast<double>(st.N * st.S);
  Tensor gc = g.contiguous();
  std::vector<double> sum_g(C, 0.0), sum_gxc(C, 0.0);
  if (st.training || node.needs_grad(1) || node.needs_grad(2))
    cpu::batch_norm_backward_reduce(gc, xc, st.N, C, st.S, st.mean.data(), sum_g.data(), sum_gxc.data());
  Tensor gx, gw, gb;
  if (node.needs_grad(0)) {
    std::vector<double> k1(C), k2(C, 0.0), k3(C, 0.0);
    for (int64_t c = 0; c < C; ++c) {
      const double is = st.invstd[c], w = st.weight[c];
      k1[c] = w * is;
      if (st.training) {  // the batch statistics depend on x too
        k2[c] = -w * is * is * is * sum_gxc[c] / M;
        k3[c] = -w * is * sum_g[c] / M;
      }
    }
    gx = detail::make_tensor(xc.shape(), xc.dtype());
    cpu::batch_norm_backward_apply(gx, gc, xc, st.N, C, st.S, st.mean.data(), k1.data(), k2.data(), k3.data());
  }
  if (node.needs_grad(1)) {
    std::vector<double> v(C);
    for (int64_t c = 0; c < C; ++c) v[c] = sum_gxc[c] * st.invstd[c];  // sum g * xhat
    gw = tensor(v, {C}, xc.dtype());
  }
  if (node.needs_grad(2)) gb = tensor(sum_g, {C}, xc.dtype());
  return {gx, gw, gb};
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
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
  Tensor xc, y;
  {
    NoGradGuard ng;
    xc = x.contiguous();
    std::vector<double> var(C);
    st->mean.resize(C);
    if (training && N * S > 0) {
      cpu::batch_norm_stats(xc, N, C, S, st->mean.data(), var.data());
    } else if (!training) {
      st->mean = values_of(running_mean);
      var = values_of(running_var);
    }
    st->invstd.resize(C);
    for (int64_t c = 0; c < C; ++c) st->invstd[c] = 1.0 / std::sqrt(var[c] + eps);
    st->weight = weight.defined() ? values_of(weight) : std::vector<double>(C, 1.0);
    std::vector<double> scale(C), shift = bias.defined() ? values_of(bias) : std::vector<double>(C, 0.0);
    for (int64_t c = 0; c < C; ++c) scale[c] = st->invstd[c] * st->weight[c];
    y = detail::make_tensor(x.shape(), x.dtype());
    if (y.numel() > 0) cpu::batch_norm_apply(y, xc, N, C, S, st->mean.data(), scale.data(), shift.data());  // (N, C, S)

    if (training && running_mean.defined()) {
      const double unbias = static_cast<double>(N * S) / static_cast<double>(N * S - 1);
      std::vector<double> rm = values_of(running_mean), rv = values_of(running_var);
      for (int64_t c = 0; c < C; ++c) {
        rm[c] = (1 - momentum) * rm[c] + momentum * st->mean[c];
        rv[c] = (1 - momentum) * rv[c] + momentum * var[c] * unbias;
      }
      Tensor rm_t = running_mean, rv_t = running_var;
      rm_t.copy_(tensor(rm, {C}));
      rv_t.copy_(tensor(rv, {C}));
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
}

}  // namespace ember
