// Elementwise losses: mse_loss, l1_loss, binary_cross_entropy (+ with logits) and kl_div.
// Each computes per-element losses, applies the optional weight with an ordinary (differentiable)
// multiply, then reduces. The two BCE cores have their own backward nodes so the gradients are
// PyTorch's stable formulas (exact at the kinks where a composite of max/abs would be wrong).
#include <cmath>

#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/loss_common.h"

namespace ember {

using autograd::SavedTensor;
using detail::Reduction;

namespace {

void check_weight(const Tensor& w, const Tensor& input, const char* what, const char* op) {
  if (!w.defined()) return;
  detail::check_loss_input(w, what, op);
  bool ok = w.dim() <= input.dim();
  for (int64_t i = 1; ok && i <= w.dim(); ++i) {
    int64_t a = w.shape()[w.dim() - i], b = input.shape()[input.dim() - i];
    ok = a == b || a == 1;
  }
  EMBER_CHECK(ok, op, what, " of shape ", shape_str(w.shape()), " must broadcast to the input's shape ",
              shape_str(input.shape()));
}

// softplus(-x) = log(1 + exp(-x)), stable for any x: max(-x, 0) + log1p(exp(-|x|)).
Tensor softplus_neg(const Tensor& x) { return relu(-x) + log1p(exp(-abs(x))); }

// Unweighted BCE per element: -(t log x + (1 - t) log(1 - x)) with each log clamped to >= -100.
Tensor bce_core(const Tensor& x, const Tensor& t) {
  Tensor out;
  {
    NoGradGuard ng;
    out = -(t * clamp(log(x), -100.0, std::nullopt) + (1.0 - t) * clamp(log1p(-x), -100.0, std::nullopt));
  }
  if (autograd::any_requires_grad({&x, &t}))
    autograd::set_history(out, "BinaryCrossEntropyBackward", {x, t},
                          [sx = SavedTensor(x), st = SavedTensor(t)](const Tensor& g, const autograd::Node& n) {
                            const Tensor& xx = sx.get("binary_cross_entropy");
                            const Tensor& tt = st.get("binary_cross_entropy");
                            // d/dx = (x - t) / max(x (1 - x), 1e-12) (PyTorch's epsilon)
                            Tensor gx = n.needs_grad(0) ? g * (xx - tt) / clamp(xx * (1.0 - xx), 1e-12, std::nullopt)
                                                        : Tensor();
                            // d/dt = log(1 - x) - log(x), both clamped as in the forward
                            Tensor gt = n.needs_grad(1) ? g * (clamp(log1p(-xx), -100.0, std::nullopt) -
                                                               clamp(log(xx), -100.0, std::nullopt))
                                                        : Tensor();
                            return std::vector<Tensor>{gx, gt};
                          });
  return out;
}

// Unweighted BCE with logits per element, with optional pos_weight p (broadcast over the input):
// (1 - t) x + (1 + (p - 1) t) softplus(-x).
Tensor bce_logits_core(const Tensor& x, const Tensor& t, const Tensor& pw) {
  Tensor out;
  {
    NoGradGuard ng;
    Tensor sp = softplus_neg(x);
    out = pw.defined() ? (1.0 - t) * x + ((pw - 1.0) * t + 1.0) * sp : (1.0 - t) * x + sp;
  }
  std::vector<Tensor> inputs{x, t};
  if (pw.defined()) inputs.push_back(pw);
  if (autograd::any_requires_grad(inputs))
    autograd::set_history(out, "BinaryCrossEntropyWithLogitsBackward", inputs,
                          [sx = SavedTensor(x), st = SavedTensor(t), sp = SavedTensor(pw)](const Tensor& g,
                                                                                          const autograd::Node& n) {
                            const char* op = "binary_cross_entropy_with_logits";
                            const Tensor& xx = sx.get(op);
                            const Tensor& tt = st.get(op);
                            const Tensor& pp = sp.get(op);
                            std::vector<Tensor> r(pp.defined() ? 3 : 2);
                            // d/dx = (1 - t) - (1 + (p - 1) t) sigmoid(-x)   (= sigmoid(x) - t when p = 1)
                            if (n.needs_grad(0))
                              r[0] = pp.defined() ? g * ((1.0 - tt) - ((pp - 1.0) * tt + 1.0) * sigmoid(-xx))
                                                  : g * (sigmoid(xx) - tt);
                            // d/dt = -x + (p - 1) softplus(-x)
                            if (n.needs_grad(1)) r[1] = pp.defined() ? g * ((pp - 1.0) * softplus_neg(xx) - xx) : -(g * xx);
                            // d/dp = t softplus(-x), summed over the broadcast dims
                            if (pp.defined() && n.needs_grad(2)) r[2] = sum_to(g * tt * softplus_neg(xx), pp.shape());
                            return r;
                          });
  return out;
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, const std::string& reduction) {
  Reduction red = detail::parse_reduction(reduction, "mse_loss");
  detail::check_loss_input(input, "input", "mse_loss");
  detail::check_loss_input(target, "target", "mse_loss");
  detail::check_same_shape(input, target, "mse_loss");
  return detail::reduce_loss(square(input - target), red);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, const std::string& reduction) {
  Reduction red = detail::parse_reduction(reduction, "l1_loss");
  detail::check_loss_input(input, "input", "l1_loss");
  detail::check_loss_input(target, "target", "l1_loss");
  detail::check_same_shape(input, target, "l1_loss");
  return detail::reduce_loss(abs(input - target), red);
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                            const std::string& reduction) {
  const char* op = "binary_cross_entropy";
  Reduction red = detail::parse_reduction(reduction, op);
  detail::check_loss_input(input, "input", op);
  detail::check_loss_input(target, "target", op);
  detail::check_same_shape(input, target, op);
  check_weight(weight, input, "weight", op);
  {
    NoGradGuard ng;
    bool in_range = input.numel() == 0 || (amin(input).item<double>() >= 0.0 && amax(input).item<double>() <= 1.0);
    EMBER_CHECK(in_range, op, "all elements of input must be probabilities in [0, 1] (found values in [",
                amin(input).item<double>(), ", ", amax(input).item<double>(),
                "]); for raw scores use binary_cross_entropy_with_logits");
  }
  Tensor losses = bce_core(input, target);
  if (weight.defined()) losses = losses * weight;
  return detail::reduce_loss(losses, red);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        const std::string& reduction, const Tensor& pos_weight) {
  const char* op = "binary_cross_entropy_with_logits";
  Reduction red = detail::parse_reduction(reduction, op);
  detail::check_loss_input(input, "input", op);
  detail::check_loss_input(target, "target", op);
  detail::check_same_shape(input, target, op);
  check_weight(weight, input, "weight", op);
  check_weight(pos_weight, input, "pos_weight", op);
  Tensor losses = bce_logits_core(input, target, pos_weight);
  if (weight.defined()) losses = losses * weight;
  return detail::reduce_loss(losses, red);
}

Tensor kl_div(const Tensor& input, const Tensor& target, const std::string& reduction, bool log_target) {
  Reduction red = detail::parse_reduction(reduction, "kl_div", true);
  detail::check_loss_input(input, "input", "kl_div");
  detail::check_loss_input(target, "target", "kl_div");
  detail::check_same_shape(input, target, "kl_div");
  Tensor losses;
  if (log_target) {
    losses = exp(target) * (target - input);
  } else {
    // t (log t - x), with 0 log 0 = 0: log of t where t != 0, of 1 elsewhere, keeps gradients finite.
    losses = target * (log(where(ne(target, 0.0), target, 1.0)) - input);
  }
  return detail::reduce_loss(losses, red);
}

}  // namespace ember
