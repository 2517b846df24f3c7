// layer_norm: fused forward and backward kernels over x viewed as (R, M), M = prod(normalized_shape).
// Under create_graph the backward is built from Ember ops so it can be differentiated again.
#include <memory>

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ember/ops/trace.h"

namespace ember {

namespace {

struct LayerNormState {
  int64_t R, M, k;  // rows, row length, number of normalized dims
  double eps;
  Tensor mean, rstd;  // (R) float64
};

std::vector<Tensor> layer_norm_backward_composite(const LayerNormState& st, const Tensor& x, const Tensor& w,
                                                  const Tensor& g, const autograd::Node& node) {
  Shape norm_dims, lead_dims;
  for (int64_t d = 0; d < x.dim(); ++d) (d < x.dim() - st.k ? lead_dims : norm_dims).push_back(d);
  Tensor mu = mean(x, norm_dims, true);
  Tensor rstd = rsqrt(mean(square(x - mu), norm_dims, true) + st.eps);
  Tensor xhat = (x - mu) * rstd;  // (*, normalized_shape)
  Tensor gx, gw, gb;
  if (node.needs_grad(0)) {
    Tensor dxhat = w.defined() ? g * w : g;
    gx = (dxhat - mean(dxhat, norm_dims, true) - xhat * mean(dxhat * xhat, norm_dims, true)) * rstd;
  }
  // sum over leading dims (none: the per-element product itself)
  auto sum_lead = [&](const Tensor& t) { return lead_dims.empty() ? t : sum(t, lead_dims); };
  if (node.needs_grad(1)) gw = sum_lead(g * xhat);
  if (node.needs_grad(2)) gb = sum_lead(g);
  return {gx, gw, gb};
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias, double eps) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  const char* op = "layer_norm";
  detail::check_floating(x, op);
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  EMBER_CHECK(k >= 1, op, "normalized_shape must have at least one dim, got []");
  bool match = x.dim() >= k;
  for (int64_t i = 0; match && i < k; ++i) match = x.shape()[x.dim() - k + i] == normalized_shape[i];
  EMBER_CHECK(match, op, "normalized_shape ", shape_str(normalized_shape),
              " must equal the trailing dims of the input, but the input has shape ", shape_str(x.shape()));
  for (const Tensor* p : {&weight, &bias}) {
    if (!p->defined()) continue;
    const char* name = p == &weight ? "weight" : "bias";
    EMBER_CHECK(p->shape() == normalized_shape, op, name, " must have shape ", shape_str(normalized_shape),
                " (normalized_shape), got ", shape_str(p->shape()));
    detail::check_floating(*p, op);
  }
  EMBER_CHECK(eps >= 0, op, "eps must be non-negative, got ", eps);
  int64_t M = 1;
  for (auto s : normalized_shape) M *= s;
  const int64_t R = M == 0 ? 0 : x.numel() / M;

  bool needs = autograd::any_requires_grad({&x, &weight, &bias});
  auto kernel = EMBER_KERNEL(layer_norm, op, x);
  const Device dev = detail::common_device(op, {&x, &weight, &bias});
  auto st = std::make_shared<LayerNormState>();
  st->R = R, st->M = M, st->k = k, st->eps = eps;
  st->mean = detail::make_tensor({R}, kFloat64, dev);
  st->rstd = detail::make_tensor({R}, kFloat64, dev);
  Tensor y = detail::make_tensor(x.shape(), x.dtype(), dev);
  Tensor xc, wc, bc;
  {
    NoGradGuard ng;
    xc = x.contiguous();
    if (weight.defined()) wc = weight.to(x.dtype()).contiguous();
    if (bias.defined()) bc = bias.to(x.dtype()).contiguous();
    if (R > 0) kernel(y, st->mean, st->rstd, xc, wc, bc, eps);  // (R, M)
  }
  if (needs) {
    autograd::set_history(
        y, "LayerNormBackward", {x, weight, bias},
        [st, sx = autograd::SavedTensor(x), xc = x.is_contiguous() ? Tensor() : xc, sw = autograd::SavedTensor(weight),
         wc, normalized_shape](const Tensor& g, const autograd::Node& node) {
          const Tensor& x = sx.get("layer_norm");
          if (GradMode::is_enabled()) return layer_norm_backward_composite(*st, x, sw.get("layer_norm"), g, node);
          Tensor gx, gw, gb;
          if (node.needs_grad(0)) gx = detail::make_tensor(x.shape(), x.dtype(), x.device());
          if (node.needs_grad(1)) gw = detail::make_tensor(normalized_shape, x.dtype(), x.device());
          if (node.needs_grad(2)) gb = detail::make_tensor(normalized_shape, x.dtype(), x.device());
          if (st->R > 0) {
            sw.get("layer_norm");  // weight changed in place since forward: refuse, as PyTorch does
            EMBER_KERNEL(layer_norm_backward, "layer_norm_backward", x)(
                gx, gw, gb, g.contiguous(), xc.defined() ? xc : x.detach(), wc, st->mean, st->rstd);
          } else {
            if (gw.defined()) gw.zero_();
            if (gb.defined()) gb.zero_();
          }
          return std::vector<Tensor>{gx, gw, gb};
        });
  }
  return y;
}();
  if (scope) scope.record("layer_norm", {x, weight, bias}, {out_}, {trace::ints("normalized_shape", normalized_shape), trace::num("eps", eps)});
  return out_;
}

}  // namespace ember
