// nll_loss and cross_entropy, composed from log_softmax and a differentiable pick of each
// target's log-probability, with PyTorch's weighted-mean, ignore_index and label-smoothing rules.
#include <cmath>

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/loss_common.h"
#include "ops/pick_along_dim.h"

namespace ember {

using detail::Reduction;

namespace {

// Validated class-index targets, ready for the pick: (target shape) indices with ignored entries
// set to -1 (the pick skips them), and each entry's class weight (0 for ignored entries).
struct Targets {
  Tensor index;       // int64, target shape
  Tensor weight;      // input dtype, target shape; no gradient
  double total = 0;   // sum of `weight`: the divisor of the weighted mean
  Tensor ignored;     // bool, target shape
};

// Class dim of input: 0 for a (C) input, else 1.
int64_t class_dim(const Tensor& input) { return input.dim() == 1 ? 0 : 1; }

void check_class_targets(const Tensor& input, const Tensor& target, const Tensor& weight, const char* op) {
  EMBER_CHECK(input.dim() >= 1, op, "input must have a class dim: (C), (N, C) or (N, C, d1, ...), got a 0-dim tensor");
  EMBER_CHECK(target.dtype() == kInt64, op, "target must be an int64 tensor of class indices, got ",
              dtype_name(target.dtype()), "; convert with .to(ember::kInt64)");
  // Expected target shape: input's shape without the class dim.
  Shape want = input.shape();
  want.erase(want.begin() + class_dim(input));
  EMBER_CHECK(target.shape() == want, op, "for input of shape ", shape_str(input.shape()), " (class dim ",
              class_dim(input), " of size ", input.shape()[class_dim(input)], ") the target must have shape ",
              shape_str(want), ", got ", shape_str(target.shape()));
  if (weight.defined()) {
    int64_t C = input.shape()[class_dim(input)];
    EMBER_CHECK(weight.dim() == 1 && weight.numel() == C, op, "weight must be a 1-D tensor with one entry per class (",
                C, "), got shape ", shape_str(weight.shape()));
    detail::check_loss_input(weight, "weight", op);
    EMBER_CHECK(!(GradMode::is_enabled() && weight.requires_grad()), op,
                "class weights do not receive gradients (as in PyTorch); pass weight.detach()");
  }
}

Targets prepare_targets(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                        const char* op) {
  auto kernel = EMBER_KERNEL(class_targets, op, input);
  int64_t C = input.shape()[class_dim(input)];
  const Device dev = detail::common_device(op, {&input, &target, &weight});
  Tensor t = target.contiguous();
  Targets r;
  r.index = detail::make_tensor(t.shape(), kInt64, dev);
  r.ignored = detail::make_tensor(t.shape(), kBool, dev);
  Tensor w = detail::make_tensor(t.shape(), kFloat64, dev);
  Tensor cw;
  if (weight.defined()) {
    NoGradGuard ng;
    cw = weight.detach().to(kFloat64).contiguous();
  }
  const backend::ClassTargets found = kernel(r.index, r.ignored, w, t, cw, C, ignore_index);
  if (found.bad >= 0) {
    const int64_t k = t.reshape({-1})[found.bad].item<int64_t>();
    EMBER_FAIL(op, "target value ", k, " is out of range for ", C, " classes (expected 0 <= target < ", C,
               ", or ignore_index ", ignore_index, ")");
  }
  r.total = found.total;
  r.weight = w.to(input.dtype());
  return r;
}

// -w[t] * logp[t] per target position, then the reduction (mean: divided by the sum of w[t]).
Tensor nll_from_targets(const Tensor& logp, const Targets& tg, Reduction red) {
  int64_t cd = class_dim(logp);
  // (N, C, d...) -> (N, 1, d...) -> (N, d...)
  Tensor picked = detail::pick_along_dim(logp, cd, tg.index.unsqueeze(cd)).squeeze(cd);
  Tensor losses = -(picked * tg.weight);
  switch (red) {
    case Reduction::None: return losses;
    case Reduction::Sum: return sum(losses);
    default: return sum(losses) / tg.total;  // 0 / 0 = nan when every target is ignored, as PyTorch
  }
}

}  // namespace

Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                const std::string& reduction) {
  Reduction red = detail::parse_reduction(reduction, "nll_loss");
  detail::check_loss_input(input, "input", "nll_loss");
  check_class_targets(input, target, weight, "nll_loss");
  Targets tg = prepare_targets(input, target, weight, ignore_index, "nll_loss");
  return nll_from_targets(input, tg, red);
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                     const std::string& reduction, double label_smoothing) {
  const char* op = "cross_entropy";
  Reduction red = detail::parse_reduction(reduction, op);
  detail::check_loss_input(input, "input", op);
  EMBER_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0, op, "label_smoothing must be in [0, 1], got ",
              label_smoothing);
  EMBER_CHECK(input.dim() >= 1, op, "input must have a class dim: (C), (N, C) or (N, C, d1, ...), got a 0-dim tensor");
  int64_t cd = class_dim(input);
  int64_t C = input.shape()[cd];
  // Weight broadcast along the class dim: (C) -> (1, C, 1, ...)
  auto class_view = [&](const Tensor& w) {
    Shape s(input.dim(), 1);
    s[cd] = C;
    return w.to(input.dtype()).reshape(s);
  };

  if (is_floating(target.dtype())) {
    // Class probabilities of input's shape: -sum_c w_c p_c log q_c, mean over the non-class elements.
    EMBER_CHECK(target.shape() == input.shape(), op, "probability targets must have the input's shape ",
                shape_str(input.shape()), ", got ", shape_str(target.shape()),
                "; for class indices pass an int64 tensor of shape without the class dim");
    EMBER_CHECK(ignore_index == -100, op, "ignore_index (", ignore_index,
                ") is not supported with probability (floating-point) targets; leave it at -100");
    if (weight.defined())
      EMBER_CHECK(weight.dim() == 1 && weight.numel() == C, op, "weight must be a 1-D tensor with one entry per class (",
                  C, "), got shape ", shape_str(weight.shape()));
    Tensor logp = log_softmax(input, cd);
    Tensor p = label_smoothing > 0 ? target * (1.0 - label_smoothing) + label_smoothing / static_cast<double>(C) : target;
    Tensor prod_ = logp * p;
    if (weight.defined()) prod_ = prod_ * class_view(weight.detach());
    return detail::reduce_loss(-sum(prod_, {cd}), red);  // (N, d...), mean over those positions
  }

  check_class_targets(input, target, weight, op);
  Targets tg = prepare_targets(input, target, weight, ignore_index, op);
  Tensor logp = log_softmax(input, cd);
  Tensor nll = nll_from_targets(logp, tg, red);
  if (label_smoothing == 0.0) return nll;
  // Label smoothing (PyTorch 1.13): (1 - eps) * nll + eps / C * smooth, where smooth is
  // -sum_c w_c logp_c per position (0 at ignored positions), reduced with sum, "none", or for
  // mean: divided by the sum of w[target] over the positions not ignored (their count without
  // weights), the same divisor as the nll term.
  Tensor smooth = -sum(weight.defined() ? logp * class_view(weight.detach()) : logp, {cd});  // (N, d...)
  smooth = where(tg.ignored, zeros_like(smooth), smooth);
  Tensor s;
  switch (red) {
    case Reduction::None: s = smooth; break;
    case Reduction::Sum: s = sum(smooth); break;
    default: s = sum(smooth) / tg.total; break;
  }
  return nll * (1.0 - label_smoothing) + s * (label_smoothing / static_cast<double>(C));
}

}  // namespace ember
